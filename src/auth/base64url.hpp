// base64url without padding (RFC 4648 §5, as JWS/JWK require: RFC 7515 §2).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace dps::auth {

std::string base64url_encode(std::span<const uint8_t> bytes);
std::string base64url_encode(std::string_view bytes);

/// Accepts unpadded (and padded) input; nullopt on characters outside the alphabet or a length
/// no encoder produces.
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace dps::auth
