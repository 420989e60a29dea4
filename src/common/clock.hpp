// Wall-clock helpers shared by records, certificates and tokens.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace dps {

/// Nanoseconds since the Unix epoch: the unit of every `date` in provisioning records.
int64_t unix_nanos(std::chrono::system_clock::time_point t = std::chrono::system_clock::now());

/// RFC 3339 UTC with microseconds, e.g. "2026-11-27T20:13:04.362856Z" (device-protocol §3.1).
std::string rfc3339_utc(std::chrono::system_clock::time_point t);

}  // namespace dps
