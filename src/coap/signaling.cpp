#include "coap/signaling.hpp"

#include <algorithm>
#include <cassert>
#include <string>

#include "coap/tcp_framing.hpp"

namespace dps::coap {
namespace {

// A uint option value is at most 4 bytes (RFC 8323 §5.3.1 gives Max-Message-Size length 0-4).
constexpr size_t kMaxUintLength = 4;
// device-protocol.md §1: "a CSM with Max-Message-Size (a 3-byte value) plus an empty
// Block-Wise-Transfer option" is 7 bytes. Leading zeros are legal in a uint (RFC 7252 §3.2 only
// says SHOULD be minimal) and decode to the same number on every stack, iotivity-lite included.
constexpr size_t kCsmMaxMessageSizeMinLength = 3;

Message make_signal(Code code, std::vector<uint8_t> token, std::string_view diagnostic) {
  assert(token.size() <= kMaxTokenLength);
  Message m;
  m.code = code;
  m.token = std::move(token);
  m.payload.assign(diagnostic.begin(), diagnostic.end());
  pad_to_device_minimum(m);
  return m;
}

}  // namespace

Message make_csm(uint32_t max_message_size, bool block_wise_transfer) {
  Message m;
  m.code = Code::Csm;
  std::vector<uint8_t> value = encode_uint(max_message_size);
  if (value.size() < kCsmMaxMessageSizeMinLength) {
    value.insert(value.begin(), kCsmMaxMessageSizeMinLength - value.size(), 0);
  }
  m.add_option(option::kCsmMaxMessageSize, std::move(value));
  if (block_wise_transfer) {
    m.add_option(option::kCsmBlockWiseTransfer, {});
  }
  pad_to_device_minimum(m);
  return m;
}

Message make_ping(std::vector<uint8_t> token) {
  return make_signal(Code::Ping, std::move(token), {});
}

Message make_pong(const Message& ping) { return make_signal(Code::Pong, ping.token, {}); }

Message make_abort(std::string_view diagnostic) { return make_signal(Code::Abort, {}, diagnostic); }

Message make_release(std::string_view diagnostic) {
  return make_signal(Code::Release, {}, diagnostic);
}

Result<CsmParams> parse_csm(const Message& csm) {
  if (csm.code != Code::Csm) {
    return fail(ErrorCode::BadRequest, "expected a CSM (7.01), got " + to_string(csm.code));
  }
  CsmParams params;
  for (const Option& o : csm.options) {
    const std::string name = "CSM option " + std::to_string(o.number);
    if (o.number == option::kCsmMaxMessageSize) {
      if (o.value.size() > kMaxUintLength) {
        return fail(ErrorCode::BadRequest, name + " (Max-Message-Size): value longer than 4 bytes");
      }
      uint32_t value = 0;
      for (const uint8_t byte : o.value) {
        value = (value << 8) | byte;
      }
      params.max_message_size = value;
    } else if (o.number == option::kCsmBlockWiseTransfer) {
      if (!o.value.empty()) {
        return fail(ErrorCode::BadRequest, name + " (Block-Wise-Transfer): value must be empty");
      }
      params.block_wise_transfer = true;
    } else if (option::is_critical(o.number)) {
      return fail(ErrorCode::BadRequest, name + ": unknown critical option");
    }
  }
  return params;
}

void pad_to_device_minimum(Message& m) {
  size_t size = encoded_size(m);
  if (size >= kDeviceMinimumMessageSize) {
    return;
  }
  if (m.code == Code::Csm) {
    auto it = std::find_if(m.options.begin(), m.options.end(),
                           [](const Option& o) { return o.number == option::kCsmMaxMessageSize; });
    if (it != m.options.end()) {
      // The value stays under 13 bytes (no extended length), so each zero adds exactly one byte.
      const size_t widen = std::min(kDeviceMinimumMessageSize - size,
                                    kMaxUintLength - std::min(kMaxUintLength, it->value.size()));
      it->value.insert(it->value.begin(), widen, 0);
      size += widen;
      if (size >= kDeviceMinimumMessageSize) {
        return;
      }
    }
  }
  // Add the option empty first: its header size depends on the delta to its neighbours. Then
  // grow its value by the shortfall (at most 4 bytes, so its length nibble needs no extension).
  m.add_option(option::kDevicePadding, {});
  const size_t shortfall =
      kDeviceMinimumMessageSize - std::min(kDeviceMinimumMessageSize, encoded_size(m));
  auto padding = std::find_if(m.options.rbegin(), m.options.rend(),
                              [](const Option& o) { return o.number == option::kDevicePadding; });
  padding->value.assign(shortfall, 0);
  assert(encoded_size(m) >= kDeviceMinimumMessageSize);
}

}  // namespace dps::coap
