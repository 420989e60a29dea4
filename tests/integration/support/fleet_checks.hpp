// What every resilience test asks of a fleet (device::run_fleet): all devices provisioned, and
// none was ever answered 4.xx: the server's own trouble (a replica killed, the database down, a
// flood) must show as 5.xx or a lost connection, which devices retry, never as a refusal.
#pragma once

#include <cstddef>

#include "device/fleet.hpp"

namespace dps::itest {

/// Adds a gtest failure per device that failed or saw a 4.xx answer; returns the retries and
/// restarts the devices needed in all.
size_t expect_all_succeeded_without_4xx(const device::FleetResult& result);

}  // namespace dps::itest
