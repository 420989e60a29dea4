// Percent-encoding (RFC 3986 §2.1) for URL query values and HTML form bodies.
#pragma once

#include <string>
#include <string_view>

namespace dps {

/// Every byte but the unreserved characters (ALPHA DIGIT - . _ ~, RFC 3986 §2.3) as %XX
/// (upper-case hex). With `space_as_plus`, a space is '+' instead of %20:
/// application/x-www-form-urlencoded, the form of an OAuth2 token request and of the client id
/// and secret inside its HTTP Basic header (RFC 6749 §2.3.1).
std::string percent_encode(std::string_view text, bool space_as_plus = false);

}  // namespace dps
