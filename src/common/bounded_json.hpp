// CBOR and JSON decoding with a nesting bound, for every payload that comes from a peer (device
// request bodies on the server; server answers in the device client, dps-device and dps-bench).
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <string>

#include "common/result.hpp"

namespace dps {

/// Maps and arrays nested deeper than this are refused. OCF payloads nest two or three levels
/// (device-protocol §3); nlohmann's readers recurse once per level, so without a bound a body of
/// one byte per level (0x81 0x81 ...) overflows a thread's stack well below any size limit
/// (100 kB crashed a release build; fuzz/regressions/cbor_step_body_fuzz).
inline constexpr size_t kMaxPayloadNesting = 32;

enum class PayloadFormat { Cbor, Json };

/// `bytes` as one value. BadRequest, naming `what`, when they do not decode or nest deeper than
/// kMaxPayloadNesting. CBOR tags 6 and above are skipped (their content is kept); tags 0-5 are
/// refused, nlohmann 3.11.2 cannot skip them (tested). Never throws.
Result<nlohmann::json> decode_bounded(std::span<const uint8_t> bytes, PayloadFormat format,
                                      const std::string& what);

}  // namespace dps
