// libFuzzer target for the RFC 8323 framing codec (libcoap pdu_parse_tcp_target.c style): decode
// every frame in the input, re-encode, decode again and compare; also run the checks the session
// applies to decoded messages and the device padding. Built and run by fuzz/run.sh.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <variant>
#include <vector>

#include "coap/options.hpp"
#include "coap/signaling.hpp"
#include "coap/tcp_framing.hpp"

namespace {

constexpr size_t kMaxMessageSize = 64 * 1024;

void require(bool condition) {
  if (!condition) {
    __builtin_trap();
  }
}

void check_frame(std::span<const uint8_t> bytes, const dps::coap::Message& message) {
  using namespace dps::coap;
  // Every length has exactly one encoding, so re-encoding reproduces the input bytes.
  const std::vector<uint8_t> again = encode_frame(message);
  require(std::equal(again.begin(), again.end(), bytes.begin(), bytes.end()));
  require(encoded_size(message) == again.size());
  const auto redecoded = decode_frame(again, kMaxMessageSize);
  require(std::holds_alternative<Frame>(redecoded));
  require(std::get<Frame>(redecoded).message == message);

  (void)first_unknown_critical_option(message);
  if (message.code == Code::Csm) {
    (void)parse_csm(message);
  }
  (void)message.uri_path();
  (void)message.uri_queries();
  (void)message.content_format();

  Message padded = message;
  pad_to_device_minimum(padded);
  require(encoded_size(padded) >= kDeviceMinimumMessageSize);
  const auto padded_result = decode_frame(encode_frame(padded), kMaxMessageSize + 16);
  require(std::holds_alternative<Frame>(padded_result));
  require(std::get<Frame>(padded_result).message == padded);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> input(data, size);
  while (!input.empty()) {
    const auto result = dps::coap::decode_frame(input, kMaxMessageSize);
    if (const auto* need = std::get_if<dps::coap::NeedMore>(&result)) {
      require(need->at_least > input.size());
      return 0;
    }
    const auto* frame = std::get_if<dps::coap::Frame>(&result);
    if (frame == nullptr) {
      return 0;  // a DecodeError: the session aborts the connection here
    }
    require(frame->consumed > 0 && frame->consumed <= input.size());
    check_frame(input.first(frame->consumed), frame->message);
    input = input.subspan(frame->consumed);
  }
  return 0;
}
