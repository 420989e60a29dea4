// From a finished fleet to the numbers of the report (bench_report.hpp).
#include <algorithm>
#include <span>
#include <utility>

#include "bench_report.hpp"

namespace dps::bench {
namespace {

constexpr size_t kFirstErrors = 5;
using device::Session;
using device::Step;
// The steps of each flow, in its order: always reported, with a count of 0 when none succeeded.
constexpr std::pair<Step, Session> kCertificateSteps[] = {
    {Step::Time, Session::Manufacturer},
    {Step::Ownership, Session::Manufacturer},
    {Step::CloudConfiguration, Session::Manufacturer},
    {Step::Credentials, Session::Manufacturer},
    {Step::Acls, Session::Manufacturer}};
// TPM attestation (dps-bench --tpm): its hub and ACLs come over the identity session.
constexpr std::pair<Step, Session> kTpmSteps[] = {
    {Step::Time, Session::Manufacturer},           {Step::TpmChallenge, Session::Manufacturer},
    {Step::TpmActivation, Session::Manufacturer},  {Step::Ownership, Session::Manufacturer},
    {Step::CloudConfiguration, Session::Identity}, {Step::Acls, Session::Identity}};

bool ran_tpm_flow(const device::FleetResult& fleet) {
  return std::any_of(fleet.devices.begin(), fleet.devices.end(), [](const auto& run) {
    return std::any_of(run.answers.begin(), run.answers.end(),
                       [](const auto& answer) { return answer.step == Step::TpmChallenge; });
  });
}

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
  using Steps = std::span<const std::pair<Step, Session>>;
  const Steps steps = ran_tpm_flow(fleet) ? Steps(kTpmSteps) : Steps(kCertificateSteps);
  std::vector<std::vector<int64_t>> per_step(steps.size());
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
        const auto it =
            std::find(steps.begin(), steps.end(), std::pair(answer.step, answer.session));
        if (it != steps.end())
          per_step[static_cast<size_t>(it - steps.begin())].push_back(answer.latency_us);
      } else {
        ++report.errors[error_class(answer)];
      }
    }
  }
  report.wall_seconds = static_cast<double>(fleet.wall_us) / 1e6;
  report.per_second =
      report.wall_seconds > 0 ? static_cast<double>(report.succeeded) / report.wall_seconds : 0;
  for (size_t i = 0; i < steps.size(); ++i) {
    report.latencies.push_back(
        {device::step_name(steps[i].first, steps[i].second), summarize(std::move(per_step[i]))});
  }
  report.latencies.push_back({"total", summarize(std::move(totals))});
}

}  // namespace dps::bench
