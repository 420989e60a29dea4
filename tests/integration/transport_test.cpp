// Broken streams on an established TLS session (device-protocol §1): truncated frames, garbage,
// oversized length prefixes and silent clients. Each closes only that connection; a normal device
// provisions right after.
#include "coap/tcp_framing.hpp"
#include "device/requests.hpp"
#include "support/dps_fixture.hpp"

namespace dps::itest {
namespace {

using namespace std::chrono_literals;
using device::DeviceSession;
using device::Step;

struct ClosedAfter {
  bool closed = false;
  std::string why;
  std::chrono::milliseconds after{0};
  std::vector<coap::Message> seen;
};

class Transport : public DpsTest {
 protected:
  /// Connects, writes `bytes` (nothing when empty), then waits up to `timeout` for the server to
  /// close the connection.
  ClosedAfter send_and_wait_close(std::vector<uint8_t> bytes, std::chrono::milliseconds timeout) {
    auto tls = device::ClientTls::create(default_tls());
    EXPECT_TRUE(tls);
    device::Provisioner device(device_config(), *tls);
    return run_coro<ClosedAfter>([&]() -> awaitable<ClosedAfter> {
      ClosedAfter out;
      auto session = co_await device.connect(Step::Ownership);
      if (!session) {
        out.why = "connect: " + session.error().internal;
        co_return out;
      }
      const auto start = std::chrono::steady_clock::now();
      if (!bytes.empty()) {
        if (auto sent = co_await (*session)->send_raw(bytes); !sent) {
          out.why = "send: " + sent.error().internal;
        }
      }
      auto closed = co_await (*session)->wait_closed(timeout);
      out.after = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - start);
      out.closed = closed.has_value();
      if (closed)
        out.seen = std::move(*closed);
      else
        out.why = closed.error().internal;
      co_await (*session)->close();
      co_return out;
    });
  }
};

TEST_F(Transport, TruncatedFrameThenCloseLeavesTheServerServing) {
  auto tls = device::ClientTls::create(default_tls());
  ASSERT_TRUE(tls);
  device::Provisioner device(device_config(), *tls);
  const auto frame = coap::encode_frame(device::make_ownership_request());
  const bool sent = run_coro<bool>([&]() -> awaitable<bool> {
    auto session = co_await device.connect(Step::Ownership);
    if (!session) co_return false;
    auto ok = co_await (*session)->send_raw(std::span(frame).first(frame.size() / 2));
    co_await (*session)->close();
    co_return ok.has_value();
  });
  EXPECT_TRUE(sent);
  expect_server_serves();
}

TEST_F(Transport, TruncatedFrameIsClosedByInactivityTimeout) {
  const auto frame = coap::encode_frame(device::make_ownership_request());
  const auto r = send_and_wait_close({frame.begin(), frame.begin() + 6}, 10s);
  EXPECT_TRUE(r.closed) << r.why;
  expect_server_serves();
}

TEST_F(Transport, GarbageBytesCloseTheConnection) {
  // TKL 15 is reserved (RFC 7252 §3): no way to resynchronise the stream.
  const auto r = send_and_wait_close({0x0f, 0xff, 0x13, 0x37, 0xde, 0xad, 0xbe, 0xef, 0x00}, 10s);
  EXPECT_TRUE(r.closed) << r.why;
  EXPECT_LT(r.after, 1500ms) << "closed only by the inactivity timeout, not for the garbage";
  expect_server_serves();
}

TEST_F(Transport, LengthPrefixAboveMaxMessageSizeClosesTheConnection) {
  // Len nibble 15: a 4-byte extended length (RFC 8323 §3.2) announcing ~16 MiB, far above the
  // configured maxMessageSize (64 KiB); the body never comes.
  const uint32_t announced = (16u << 20) - coap::kLenExt32Offset;
  const std::vector<uint8_t> header = {0xf0,
                                       static_cast<uint8_t>(announced >> 24),
                                       static_cast<uint8_t>(announced >> 16),
                                       static_cast<uint8_t>(announced >> 8),
                                       static_cast<uint8_t>(announced),
                                       0x01};
  const auto r = send_and_wait_close(header, 10s);
  EXPECT_TRUE(r.closed) << r.why;
  EXPECT_LT(r.after, 1500ms) << "closed only by the inactivity timeout, not for the size";
  for (const auto& m : r.seen) {
    EXPECT_EQ(m.code, coap::Code::Abort) << "unexpected " << coap::to_string(m.code);
  }
  expect_server_serves();
}

TEST_F(Transport, SilentClientIsClosedAroundTheInactivityTimeout) {
  const auto r = send_and_wait_close({}, 10s);
  ASSERT_TRUE(r.closed) << r.why;
  EXPECT_GE(r.after, 1500ms);  // inactivityMonitor.timeout is 2 s
  EXPECT_LE(r.after, 5000ms);
  expect_server_serves();
}

TEST_F(Transport, ClientThatSendsItsOwnCsmProvisions) {
  auto config = device_config();
  config.send_csm = true;
  const auto result = provision(default_tls(), config);
  EXPECT_TRUE(result.ok) << result.error;
}

TEST_F(Transport, AnswersPingWithPong) {
  auto tls = device::ClientTls::create(default_tls());
  ASSERT_TRUE(tls);
  device::Provisioner device(device_config(), *tls);
  coap::Message ping;
  ping.code = coap::Code::Ping;
  ping.token = device::random_token();
  const auto pong = run_coro<Result<coap::Message>>([&]() -> awaitable<Result<coap::Message>> {
    auto session = co_await device.connect(Step::Ownership);
    if (!session) co_return tl::unexpected(session.error());
    if (auto ok = co_await (*session)->send(ping); !ok) co_return tl::unexpected(ok.error());
    auto next = co_await (*session)->receive(3000ms);
    co_await (*session)->close();
    co_return next;
  });
  ASSERT_TRUE(pong) << pong.error().internal;
  EXPECT_EQ(pong->code, coap::Code::Pong);
  EXPECT_EQ(pong->token, ping.token);
}

}  // namespace
}  // namespace dps::itest
