// Random hex text for tests' throw-away secrets and names (a database password, an OAuth client
// secret): std::random_device, never for anything outside a test.
#pragma once

#include <random>
#include <string>

namespace dps::test {

/// `bytes` random bytes as 2 * `bytes` lowercase hex digits.
inline std::string random_hex(size_t bytes) {
  std::random_device random;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < bytes; ++i) {
    const auto byte = static_cast<unsigned>(random()) & 0xffu;
    out += kHex[byte >> 4];
    out += kHex[byte & 0xf];
  }
  return out;
}

}  // namespace dps::test
