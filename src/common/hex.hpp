// Lowercase hexadecimal, the one form dps writes bytes in: key hashes, serials, UUIDs, secrets in
// the store's JSON columns.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace dps {

/// Two lowercase hex digits per byte, most significant nibble first.
std::string to_hex(std::span<const unsigned char> bytes);
std::string to_hex(std::string_view bytes);

}  // namespace dps
