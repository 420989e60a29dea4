// RFC 8323 framing edges on the server's read path: pipelined frames, frames split into single
// bytes, and the exact maxMessageSize boundary (device-protocol §1).
#include "coap/tcp_framing.hpp"
#include "device/requests.hpp"
#include "support/dps_fixture.hpp"

namespace dps::itest {
namespace {

using namespace std::chrono_literals;
using device::Step;

class FramingEdges : public DpsTest {
 protected:
  /// Connects, runs `body` on the session, closes. The body's result, or the connect error.
  template <class T>
  Result<T> on_session(std::function<awaitable<Result<T>>(device::DeviceSession&)> body) {
    auto tls = device::ClientTls::create(default_tls());
    if (!tls) return tl::unexpected(tls.error());
    device::Provisioner device(device_config(), *tls);
    return run_coro<Result<T>>([&]() -> awaitable<Result<T>> {
      auto session = co_await device.connect(Step::Ownership);
      if (!session) co_return tl::unexpected(session.error());
      auto out = co_await body(**session);
      co_await (*session)->close();
      co_return out;
    });
  }

  /// A POST to credentials whose whole frame is exactly `frame_size` bytes (payload not CBOR).
  static coap::Message post_of_size(size_t frame_size) {
    auto m = device::make_post(device::uri::kCredentials, {});
    size_t payload = frame_size - coap::encoded_size(m) - 1;  // 1: payload marker
    for (int i = 0; i < 8 && coap::encoded_size(m) != frame_size; ++i) {
      m.payload.assign(payload, 'x');
      const size_t got = coap::encoded_size(m);
      payload = payload + frame_size - got;  // the length field may grow by a byte or two
    }
    return m;
  }
};

TEST_F(FramingEdges, PipelinedRequestsInOneWriteAreBothAnswered) {
  auto first = device::make_time_request();
  auto second = device::make_ownership_request();
  auto bytes = coap::encode_frame(first);
  const auto tail = coap::encode_frame(second);
  bytes.insert(bytes.end(), tail.begin(), tail.end());
  auto tokens = on_session<std::vector<std::vector<uint8_t>>>(
      [&](device::DeviceSession& s) -> awaitable<Result<std::vector<std::vector<uint8_t>>>> {
        if (auto ok = co_await s.send_raw(bytes); !ok) co_return tl::unexpected(ok.error());
        std::vector<std::vector<uint8_t>> seen;
        while (seen.size() < 2) {
          auto m = co_await s.receive(5s);
          if (!m) co_return tl::unexpected(m.error());
          if (coap::is_response(m->code)) seen.push_back(m->token);
        }
        co_return seen;
      });
  ASSERT_TRUE(tokens) << tokens.error().internal;
  EXPECT_EQ(*tokens, (std::vector<std::vector<uint8_t>>{first.token, second.token}));
}

TEST_F(FramingEdges, RequestWrittenOneByteAtATimeIsAnswered) {
  const auto request = device::make_ownership_request();
  const auto bytes = coap::encode_frame(request);
  auto code =
      on_session<coap::Code>([&](device::DeviceSession& s) -> awaitable<Result<coap::Code>> {
        for (uint8_t b : bytes) {
          if (auto ok = co_await s.send_raw(std::span(&b, 1)); !ok)
            co_return tl::unexpected(ok.error());
        }
        auto m = co_await s.receive(5s);
        if (!m) co_return tl::unexpected(m.error());
        co_return m->code;
      });
  ASSERT_TRUE(code) << code.error().internal;
  EXPECT_EQ(*code, coap::Code::Content);
}

TEST_F(FramingEdges, FrameOfExactlyMaxMessageSizeIsProcessed) {
  auto request = post_of_size(spec_.max_message_size);
  ASSERT_EQ(coap::encoded_size(request), spec_.max_message_size);
  auto response = request_once(default_tls(), std::move(request));
  ASSERT_TRUE(response) << response.error().internal;
  EXPECT_EQ(coap::to_string(response->code), "4.00");
  expect_server_serves();
}

TEST_F(FramingEdges, FrameOneByteAboveMaxMessageSizeClosesTheConnection) {
  auto request = post_of_size(spec_.max_message_size + 1);
  ASSERT_EQ(coap::encoded_size(request), spec_.max_message_size + 1);
  auto response = request_once(default_tls(), std::move(request));
  EXPECT_FALSE(response && coap::is_response(response->code))
      << "answered " << coap::to_string(response->code);
  expect_server_serves();
}

class OptionFlood : public FramingEdges {
 protected:
  void configure(DpsConfigSpec& spec) override { spec.max_message_size = 256 * 1024; }
};

TEST_F(OptionFlood, FrameOfQuarterMebibyteOfEmptyOptionsIsAbortedNamingTheCap) {
  // One byte per option (0x10 = If-Match, then 0x00 = the same again, empty): the frame that
  // cost 32x its size in decoded options before kMaxOptionsPerMessage.
  const size_t body = spec_.max_message_size - 6;  // 6: first byte, 4-byte length, code
  std::vector<uint8_t> frame = {0xf0};
  for (int shift = 24; shift >= 0; shift -= 8) {
    frame.push_back(static_cast<uint8_t>((body - coap::kLenExt32Offset) >> shift));
  }
  frame.push_back(static_cast<uint8_t>(coap::Code::Get));
  frame.push_back(0x10);
  frame.insert(frame.end(), body - 1, 0x00);
  ASSERT_EQ(frame.size(), spec_.max_message_size);
  auto answer =
      on_session<coap::Message>([&](device::DeviceSession& s) -> awaitable<Result<coap::Message>> {
        if (auto ok = co_await s.send_raw(frame); !ok) co_return tl::unexpected(ok.error());
        co_return co_await s.receive(10s);
      });
  ASSERT_TRUE(answer) << answer.error().internal;
  EXPECT_EQ(answer->code, coap::Code::Abort);
  EXPECT_EQ(answer->payload_text(), "bad frame: more than 64 options in one message");
  expect_server_serves();
}

}  // namespace
}  // namespace dps::itest
