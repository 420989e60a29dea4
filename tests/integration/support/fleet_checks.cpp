#include "support/fleet_checks.hpp"

#include <gtest/gtest.h>

namespace dps::itest {

size_t expect_all_succeeded_without_4xx(const device::FleetResult& result) {
  EXPECT_EQ(result.succeeded(), result.devices.size()) << "devices failed";
  size_t retried = 0;
  for (const auto& run : result.devices) {
    EXPECT_TRUE(run.ok) << run.device_id << ": " << run.error;
    retried += run.retries + run.restarts;
    for (const auto& answer : run.answers) {
      const auto code = static_cast<unsigned>(answer.code);
      EXPECT_FALSE(code >= 128 && code < 160)
          << run.device_id << " got 4.xx (" << code << ") at " << device::to_string(answer.step)
          << ": " << answer.error;
    }
  }
  return retried;
}

// Attestation is written with the time step, on the first request of every session.
const char* record_section_of(device::Step step) {
  switch (step) {
    case device::Step::Time:
      return "plgdTime";
    case device::Step::Ownership:
      return "ownership";
    case device::Step::CloudConfiguration:
      return "cloud";
    case device::Step::Credentials:
      return "credential";
    case device::Step::Acls:
      return "acl";
    case device::Step::PreConfiguration:
      return "preConfiguration";
    case device::Step::TpmChallenge:
    case device::Step::TpmActivation:
      break;  // the fleet runs the certificate flow
  }
  return "?";
}

void expect_acknowledged_steps_recorded(const device::FleetResult& result,
                                        const std::map<std::string, nlohmann::json>& records) {
  for (const auto& run : result.devices) {
    auto record = records.find(run.device_id);
    if (record == records.end()) {
      ADD_FAILURE() << run.device_id << " acknowledged but has no record (of " << records.size()
                    << ")";
      continue;
    }
    for (device::Step step : run.acknowledged) {
      const char* name = record_section_of(step);
      const nlohmann::json* section =
          record->second.contains(name) ? &record->second.at(name) : nullptr;
      if (!section || !section->is_object()) {
        ADD_FAILURE() << run.device_id << ": acknowledged " << device::to_string(step) << " but "
                      << name << " is missing: " << record->second.dump();
        continue;
      }
      // plgd's record shape: plgdTime is a ProvisionStatus itself, the others hold one.
      const nlohmann::json& status = section->contains("status") ? section->at("status") : *section;
      const int code = status.value("coapCode", 0);
      EXPECT_TRUE(code >= 65 && code <= 69)
          << run.device_id << " " << name << ": " << section->dump();
    }
  }
}

}  // namespace dps::itest
