// Peer-supplied text quoted in error messages and logs (a device's "di", a token's "alg").
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace dps {

/// `text` in double quotes, cut to `max_chars` bytes (then "..." follows the closing quote's
/// content), every byte that is not printable ASCII, and every '"', shown as '?'. The result is
/// always valid UTF-8 without control characters: it can go into a CoAP diagnostic payload
/// (RFC 7252 §5.5.2), a JSON string and a log line as is, whatever the peer sent.
std::string quote_untrusted(std::string_view text, size_t max_chars = 64);

}  // namespace dps
