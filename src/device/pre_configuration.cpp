// The pre-configuration step (dps's extension, device-protocol "Pre-configuration of device
// resources"): the device fetches the updates its enrollment template holds for it, applies each
// to its own resource tree and reports which it applied. One StepOutcome covers both exchanges:
// the step fails when either answer is refused, not when a resource refuses an update (that is
// the report's business, and dps records it).
#include "device/checks.hpp"
#include "device/provisioner.hpp"
#include "device/requests.hpp"

namespace dps::device {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

asio::awaitable<StepOutcome> Provisioner::pre_configuration(DeviceSession& session) {
  StepOutcome outcome;
  outcome.step = Step::PreConfiguration;
  const auto start = Clock::now();
  auto finish_step = [&]() {
    outcome.latency_us =
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count();
    outcome.ok = outcome.error.empty();
    record(outcome, &session);
    return outcome;
  };

  auto answer = co_await session.request(make_pre_configuration_request(config_.device_id));
  if (!answer) {
    outcome.error = answer.error().internal;
    co_return finish_step();
  }
  outcome.code = answer->code;
  outcome.payload = payload_text(*answer);
  auto updates = check_pre_configuration_response(*answer);
  if (!updates) {
    outcome.error = updates.error().internal;
    co_return finish_step();
  }

  if (!resources_seeded_) {
    resources_ = ResourceTree::simulated(config_.device_id);
    resources_seeded_ = true;
  }
  PreConfigurationResult applied;
  applied.session = session.options().identity ? Session::Identity : Session::Manufacturer;
  for (const auto& update : *updates) {
    std::string refused = resources_.update(update.href, update.representation);
    applied.results.push_back({update.href, refused.empty(), std::move(refused)});
  }
  applied.updates = std::move(*updates);
  applied.resources = resources_.snapshot();

  // An empty list is reported too: dps then records that the device asked and applied nothing.
  auto ack =
      co_await session.request(make_pre_configuration_report(config_.device_id, applied.results));
  if (!ack) {
    outcome.error = "report: " + ack.error().internal;
  } else {
    outcome.code = ack->code;
    if (auto accepted = check_pre_configuration_report_response(*ack); !accepted) {
      outcome.error = "report: " + accepted.error().internal;
    }
    applied.reported = outcome.error.empty();
  }
  result_.pre_configuration = std::move(applied);
  co_return finish_step();
}

}  // namespace dps::device
