// RFC 2397 data: URIs and RFC 3986 percent-decoding: how secrets and chains are written as values,
// in the config file (config/file_source) and in API bodies (api/value_source).
#pragma once

#include <string>
#include <string_view>

#include "common/result.hpp"

namespace dps {

/// RFC 3986 §2.1 percent-decoding. With `plus_is_space` a '+' decodes to ' ' (HTML form encoding
/// of query strings); otherwise it stays '+'. BadRequest on a truncated or non-hex escape.
[[nodiscard]] Result<std::string> percent_decode(std::string_view text, bool plus_is_space);

/// True when `text` starts with "data:" (any case).
bool is_data_uri(std::string_view text);

/// RFC 2397: "data:[<mediatype>][;base64],<data>". The literal form is percent-decoded; base64
/// accepts the standard and URL-safe alphabets, missing padding and embedded whitespace.
[[nodiscard]] Result<std::string> decode_data_uri(std::string_view uri);

/// "data:;base64,<standard base64 with padding>" of `bytes`.
std::string encode_data_uri(std::string_view bytes);

/// RFC 3629 well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
bool is_valid_utf8(std::string_view bytes);

/// `bytes` itself when it is valid UTF-8 without NUL and does not itself start with "data:",
/// else encode_data_uri(bytes): JSON carries only text, and the result must read back as `bytes`.
std::string text_or_data_uri(std::string_view bytes);

}  // namespace dps
