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

/// Values (scalars, maps and arrays, at any depth) one payload may hold. A decoded value costs
/// 16 bytes and a map or array tens more, while CBOR spends one byte on an empty map (0xA0): a
/// 256 KiB body of them decoded to over 25 MiB. The largest OCF/plgd payloads (an ACL list, a
/// device's /oic/res links) hold a few hundred values; 4096 bounds a decoded payload to about
/// half a MiB whatever its size.
inline constexpr size_t kMaxPayloadValues = 4096;

enum class PayloadFormat { Cbor, Json };

/// `bytes` as one value. BadRequest, naming `what`, when they do not decode, nest deeper than
/// kMaxPayloadNesting or hold more than kMaxPayloadValues values (decoding stops there). CBOR tags
/// 6 and above are skipped (their content is kept); tags 0-5 are refused, nlohmann 3.11.2 cannot
/// skip them (tested). Never throws.
/// `max_values` replaces kMaxPayloadValues for payloads that legitimately hold more (the
/// management API's bodies: a group's revocation list).
Result<nlohmann::json> decode_bounded(std::span<const uint8_t> bytes, PayloadFormat format,
                                      const std::string& what,
                                      size_t max_values = kMaxPayloadValues);

}  // namespace dps
