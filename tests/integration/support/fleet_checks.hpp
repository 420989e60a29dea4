// What every resilience test asks of a fleet (device::run_fleet): all devices provisioned, and
// none was ever answered 4.xx: the server's own trouble (a replica killed, the database down, a
// flood, a restart) must show as 5.xx or a lost connection, which devices retry, never as a
// refusal. And nothing the server acknowledged may be missing from its records.
#pragma once

#include <cstddef>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "device/fleet.hpp"

namespace dps::itest {

/// Adds a gtest failure per device that failed or saw a 4.xx answer; returns the retries and
/// restarts the devices needed in all.
size_t expect_all_succeeded_without_4xx(const device::FleetResult& result);

/// The record section a step writes (device-protocol §4), e.g. "credential" for Credentials.
const char* record_section_of(device::Step step);

/// Adds a gtest failure per device without a record in `records` (device id -> the record as the
/// API and `dps records` print it) and per acknowledged step whose section is missing or does not
/// hold a 2.xx status.
void expect_acknowledged_steps_recorded(const device::FleetResult& result,
                                        const std::map<std::string, nlohmann::json>& records);

}  // namespace dps::itest
