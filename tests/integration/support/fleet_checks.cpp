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

}  // namespace dps::itest
