// Peer text in log lines. A device's certificate CN, an issuer name, a CoAP Uri-Path or an API
// path is whatever the peer chose: written as is, a CN holding "\n2024-01-01T00:00:00 info ..."
// forges a log line in the text encoding, and terminal escapes or bidi overrides rewrite what an
// operator sees. Every such value goes through quoted() on its way to a log line.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace dps::log {

/// Input bytes shown by default: longer than any real CN (X.509 caps it at 64 characters) or
/// request path, short enough that one peer value cannot flood a line.
inline constexpr size_t kQuotedMaxBytes = 256;

/// `text` between double quotes, safe on one log line whatever it holds:
///  - '"' and '\' are escaped with a backslash; \n, \r and \t keep their C escapes;
///  - other control bytes (0x00-0x1f, 0x7f) and bytes that are not well-formed UTF-8 become \xNN;
///  - well-formed UTF-8 passes through, except the code points that break or reorder lines on a
///    terminal or viewer (C1 controls U+0080-U+009F, U+2028, U+2029, the bidi marks and
///    overrides U+200E, U+200F, U+202A-U+202E, U+2066-U+2069, and U+FEFF), shown as \uXXXX;
///  - at most `max_bytes` bytes of `text` are shown (never half a UTF-8 sequence); when some are
///    left out, "..." follows the closing quote.
/// The result is printable ASCII plus printable UTF-8, with no unescaped quote inside the quotes,
/// so the quoted value ends exactly where the closing quote is. Locale-independent; never throws
/// except std::bad_alloc. Call it qualified, `log::quoted(x)`: unqualified, argument-dependent
/// lookup picks std::quoted for a std::string.
std::string quoted(std::string_view text, size_t max_bytes = kQuotedMaxBytes);

}  // namespace dps::log
