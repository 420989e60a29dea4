// Critical-option check (RFC 7252 §5.4.1): which options this service understands.
#pragma once

#include <cstdint>
#include <optional>

#include "coap/message.hpp"

namespace dps::coap {

/// Returns the lowest-numbered critical (odd) option in `message` that this service does not
/// understand, or nullopt when every critical option is known. Unknown elective (even) options are
/// never reported: RFC 7252 §5.4.1 says to ignore them.
///
/// Requests and responses share one option space. Known there: If-Match (1), Uri-Host (3), ETag
/// (4), Observe (6), Uri-Port (7), Uri-Path (11), Content-Format (12), Max-Age (14), Uri-Query
/// (15), Accept (17), Block2 (23), Block1 (27), Size2 (28), Size1 (60) and the OCF version options
/// 2049 and 2053, which every real device sends on every request (rejecting them would reject every
/// device). A request that yields a number here is answered 4.02 Bad Option.
///
/// Signals (7.xx) number their options per code (RFC 8323 §5.2) and every option RFC 8323 defines
/// for them is elective, so for a signal any critical option is unknown; the session answers it
/// with an Abort (RFC 8323 §5.2: "it MUST abort the connection").
[[nodiscard]] std::optional<uint16_t> first_unknown_critical_option(const Message& message);

}  // namespace dps::coap
