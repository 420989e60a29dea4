// Test input shared by the option-limit tests: the frame a peer sends to make a decoder store as
// many options as possible per byte received.
#pragma once

#include <cstdint>
#include <vector>

#include "coap/tcp_framing.hpp"

namespace dps::coap::test {

/// A GET whose body is `count` (at least kLenExt32Offset) empty If-Match options: 0x10 (delta 1,
/// length 0), then 0x00 (delta 0, length 0) repeated, one byte per option. Header: Len 15 with a
/// 4-byte extended length, TKL 0, so the frame is count + 6 bytes.
inline std::vector<uint8_t> frame_of_empty_options(size_t count) {
  std::vector<uint8_t> frame;
  frame.reserve(count + 6);
  frame.push_back(0xf0);
  const size_t extended = count - kLenExt32Offset;
  for (int shift = 24; shift >= 0; shift -= 8) {
    frame.push_back(static_cast<uint8_t>(extended >> shift));
  }
  frame.push_back(static_cast<uint8_t>(Code::Get));
  frame.push_back(0x10);
  frame.insert(frame.end(), count - 1, 0x00);
  return frame;
}

}  // namespace dps::coap::test
