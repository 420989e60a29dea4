// Scalar parsing and formatting shared by the walker, the binder and the help renderer. Internal.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace dps::config {

/// Decimal digits only, no sign: "262144". nullopt on anything else or overflow.
std::optional<uint64_t> parse_uint(std::string_view text);

/// Go's time.ParseDuration syntax without a sign: "20s", "1h30m", "1.5h", "500ms", "0".
/// Units ns, us (µs), ms, s, m, h. nullopt on anything else or overflow.
std::optional<std::chrono::nanoseconds> parse_duration(std::string_view text);

/// The shortest Go-style text that parse_duration reads back: "20s", "1h30m", "8760h", "0s".
std::string format_duration(std::chrono::nanoseconds value);

/// Canonical 8-4-4-4-12 hex UUID, either case.
bool is_uuid(std::string_view text);

/// The candidate closest to `word` by case-insensitive edit distance, if it is close enough to be
/// a plausible typo.
std::optional<std::string_view> suggest(std::string_view word,
                                        std::span<const std::string_view> candidates);

}  // namespace dps::config
