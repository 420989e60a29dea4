#include <gtest/gtest.h>

#include "bench_report.hpp"

namespace dps::bench {
namespace {

using device::Step;
using device::StepOutcome;

StepOutcome answer(Step step, coap::Code code, bool ok, int64_t us, std::string error = {}) {
  return StepOutcome{step, ok, code, {}, us, std::move(error)};
}

TEST(ErrorClass, NamesCodesAndMissingAnswers) {
  EXPECT_EQ(error_class(answer(Step::Ownership, coap::Code::ServiceUnavailable, false, 1)), "5.03");
  EXPECT_EQ(error_class(answer(Step::Acls, coap::Code::BadRequest, false, 1)), "4.00");
  EXPECT_EQ(error_class(answer(Step::Time, coap::Code::Empty, false, 0, "connect: refused")),
            "connect");
  EXPECT_EQ(error_class(answer(Step::Time, coap::Code::Empty, false, 0, "read: timeout")),
            "timeout");
  EXPECT_EQ(error_class(answer(Step::Time, coap::Code::Empty, false, 0, "session closed")),
            "no answer");
  EXPECT_EQ(error_class(answer(Step::Credentials, coap::Code::Changed, false, 1, "bad cert")),
            "2.04 rejected");
}

TEST(AddFleetResult, CountsSuccessfulAnswersAndErrorsByCode) {
  device::FleetResult fleet;
  fleet.wall_us = 2'000'000;
  device::DeviceRun good;
  good.device_id = "a";
  good.ok = true;
  good.total_us = 900;
  good.retries = 1;
  good.answers = {answer(Step::Time, coap::Code::Content, true, 100),
                  answer(Step::Ownership, coap::Code::ServiceUnavailable, false, 50),
                  answer(Step::Ownership, coap::Code::Content, true, 200),
                  answer(Step::CloudConfiguration, coap::Code::Changed, true, 300),
                  answer(Step::Credentials, coap::Code::Changed, true, 400),
                  answer(Step::Acls, coap::Code::Changed, true, 500)};
  device::DeviceRun bad;
  bad.device_id = "b";
  bad.error = "time: connect: refused";
  bad.restarts = 2;
  bad.answers = {answer(Step::Time, coap::Code::Empty, false, 0, "connect: refused")};
  fleet.devices = {good, bad};

  ProvisionReport report;
  add_fleet_result(fleet, report);
  EXPECT_EQ(report.succeeded, 1u);
  EXPECT_EQ(report.failed, 1u);
  EXPECT_DOUBLE_EQ(report.per_second, 0.5);
  EXPECT_EQ(report.retries, 1u);
  EXPECT_EQ(report.restarts, 2u);
  EXPECT_EQ(report.errors, (std::map<std::string, size_t>{{"5.03", 1}, {"connect", 1}}));
  ASSERT_EQ(report.first_errors.size(), 1u);
  EXPECT_EQ(report.first_errors[0], "device b: time: connect: refused");
  ASSERT_EQ(report.latencies.size(), 6u);
  EXPECT_EQ(report.latencies[1].name, "ownership");
  EXPECT_EQ(report.latencies[1].latency.count, 1u);  // the failed 5.03 answer is not a latency
  EXPECT_EQ(report.latencies[1].latency.max, 200);
  EXPECT_EQ(report.latencies[5].name, "total");
  EXPECT_EQ(report.latencies[5].latency.p50, 900);
}

TEST(AddFleetResult, ATpmFleetIsReportedByTheStepsOfTheTpmFlow) {
  device::FleetResult fleet;
  fleet.wall_us = 1'000'000;
  device::DeviceRun run;
  run.device_id = "t";
  run.ok = true;
  run.total_us = 700;
  run.answers = {answer(Step::Time, coap::Code::Content, true, 100),
                 answer(Step::TpmChallenge, coap::Code::Changed, true, 200),
                 answer(Step::TpmActivation, coap::Code::Changed, true, 300),
                 answer(Step::Ownership, coap::Code::Content, true, 400)};
  for (auto [step, us] : {std::pair{Step::CloudConfiguration, 500}, std::pair{Step::Acls, 600}}) {
    auto identity = answer(step, coap::Code::Changed, true, us);
    identity.session = device::Session::Identity;
    run.answers.push_back(identity);
  }
  fleet.devices = {run};

  ProvisionReport report;
  add_fleet_result(fleet, report);
  std::vector<std::string> names;
  for (const auto& latency : report.latencies) names.push_back(latency.name);
  EXPECT_EQ(names,
            (std::vector<std::string>{"time", "tpm challenge", "tpm activation", "ownership",
                                      "identity cloud-configuration", "identity acls", "total"}));
  EXPECT_EQ(report.latencies[2].latency.max, 300);
  EXPECT_EQ(report.latencies[5].latency.max, 600);  // the identity session's, by its session
}

}  // namespace
}  // namespace dps::bench
