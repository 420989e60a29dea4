// From a finished fleet to the numbers of the report (bench_report.hpp).
#include <algorithm>

#include "bench_report.hpp"

namespace dps::bench {
namespace {

constexpr size_t kFirstErrors = 5;
constexpr device::Step kSteps[] = {device::Step::Time, device::Step::Ownership,
                                   device::Step::CloudConfiguration, device::Step::Credentials,
                                   device::Step::Acls};

}  // namespace

std::string error_class(const device::StepOutcome& outcome) {
  if (outcome.code == coap::Code::Empty) {
    if (outcome.error.find("timeout") != std::string::npos) return "timeout";
    if (outcome.error.rfind("connect", 0) == 0) return "connect";
    return "no answer";
  }
  const std::string code = coap::to_string(outcome.code);
  return coap::code_class(outcome.code) == 2 ? code + " rejected" : code;
}

void add_fleet_result(const device::FleetResult& fleet, ProvisionReport& report) {
  std::vector<std::vector<int64_t>> per_step(std::size(kSteps));
  std::vector<int64_t> totals;
  for (const auto& run : fleet.devices) {
    report.retries += run.retries;
    report.restarts += run.restarts;
    if (run.ok) {
      ++report.succeeded;
      totals.push_back(run.total_us);
    } else {
      ++report.failed;
      if (report.first_errors.size() < kFirstErrors) {
        report.first_errors.push_back("device " + run.device_id + ": " + run.error);
      }
    }
    for (const auto& answer : run.answers) {
      if (answer.ok) {
        per_step[static_cast<size_t>(answer.step)].push_back(answer.latency_us);
      } else {
        ++report.errors[error_class(answer)];
      }
    }
  }
  report.wall_seconds = static_cast<double>(fleet.wall_us) / 1e6;
  report.per_second =
      report.wall_seconds > 0 ? static_cast<double>(report.succeeded) / report.wall_seconds : 0;
  for (size_t i = 0; i < std::size(kSteps); ++i) {
    report.latencies.push_back(
        {std::string(device::to_string(kSteps[i])), summarize(std::move(per_step[i]))});
  }
  report.latencies.push_back({"total", summarize(std::move(totals))});
}

}  // namespace dps::bench
