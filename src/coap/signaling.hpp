// RFC 8323 §5 signaling messages (CSM, Ping, Pong, Release, Abort), built so that every one of them
// is safe to send to an iotivity-lite device (device-protocol.md §1).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "coap/message.hpp"
#include "common/result.hpp"

namespace dps::coap {

namespace option {
/// Padding option added by pad_to_device_minimum(). 65020 (0xFDFC) lies in the experimental range
/// (RFC 7252 §12.2), so it will never be assigned a meaning. It is even, so elective: receivers
/// MUST ignore it when unknown (RFC 7252 §5.4.1 for requests/responses; RFC 8323 §5.2 and §5.4
/// for signals). Its low bits 11100 also make it safe-to-forward and NoCacheKey (RFC 7252 §5.4.6),
/// so proxies and caches pass it through without effect.
constexpr uint16_t kDevicePadding = 65020;
}  // namespace option

/// Device bug (device-protocol.md §1): iotivity-lite reads the first 6 bytes of a message before
/// the rest; a message of exactly 6 bytes stalls its session, one of 5 or fewer corrupts its heap.
constexpr size_t kDeviceMinimumMessageSize = 7;

/// RFC 8323 §5.3.1: the Max-Message-Size assumed until a CSM says otherwise.
constexpr uint32_t kDefaultMaxMessageSize = 1152;

/// CSM (7.01) with Max-Message-Size and, if `block_wise_transfer`, an empty Block-Wise-Transfer
/// option. Max-Message-Size is written in at least 3 bytes so the CSM is >= 7 bytes (the spec's
/// recommended shape); without Block-Wise-Transfer it is widened to 4 bytes.
[[nodiscard]] Message make_csm(uint32_t max_message_size, bool block_wise_transfer);

/// Ping (7.02) with `token` (at most 8 bytes), padded to the device minimum. Give it a token of
/// 5 bytes or more and no padding is needed; the token is never altered, so the Pong still matches.
[[nodiscard]] Message make_ping(std::vector<uint8_t> token);

/// Pong (7.03) echoing `ping`'s token (RFC 8323 §5.4), padded to the device minimum. It carries
/// no Custody option: the codec cannot know whether earlier requests are processed, and a Pong
/// without Custody is always allowed.
[[nodiscard]] Message make_pong(const Message& ping);

/// Abort (7.05) with `diagnostic` as its diagnostic payload (RFC 8323 §5.6), padded.
[[nodiscard]] Message make_abort(std::string_view diagnostic);

/// Release (7.04) with `diagnostic` as its diagnostic payload (RFC 8323 §5.5), padded.
[[nodiscard]] Message make_release(std::string_view diagnostic);

struct CsmParams {
  std::optional<uint32_t> max_message_size;  // absent: keep the current value (RFC 8323 §5.3)
  bool block_wise_transfer = false;
};

/// Reads a peer's CSM. Values may carry leading zero bytes (a "uint", RFC 7252 §3.2; our own CSM
/// uses them). A later Max-Message-Size overrides an earlier one. Unknown elective options are
/// ignored.
/// @return BadRequest when `csm` is not a 7.01, Max-Message-Size is longer than 4 bytes,
///         Block-Wise-Transfer is not empty, or an option is critical (none is defined, so it is
///         unknown). The message names the option; the session answers with an Abort (7.05)
///         carrying it as diagnostic (RFC 8323 §5.6).
[[nodiscard]] Result<CsmParams> parse_csm(const Message& csm);

/// Makes encode_frame(m) at least kDeviceMinimumMessageSize bytes without changing what `m` means;
/// a no-op for messages that are already long enough (every message with an 8-byte token is).
///  1. A CSM's Max-Message-Size gains leading zero bytes, up to 4: the same uint.
///  2. Otherwise (or if still short) an option::kDevicePadding option is added with a zero-filled
///     value of just the missing length. Token and payload are never touched: a Pong's token must
///     echo the Ping's, a Ping's is what its Pong is matched by, and a payload has meaning (even
///     a diagnostic one is shown to people).
/// Custody was considered and rejected: in a Ping it asks the peer to delay its Pong, in a Pong
/// it claims that all earlier requests are processed (RFC 8323 §5.4.1).
void pad_to_device_minimum(Message& m);

}  // namespace dps::coap
