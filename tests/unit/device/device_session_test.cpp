// DeviceSession against a scripted in-process TLS peer: the behaviour a device shows while its
// request is pending (CSM, Ping, reverse GET /oic/res, foreign tokens) and the failures it must
// report (short messages, close, timeout, server certificate dates).
#include "device/device_session.hpp"

#include <gtest/gtest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <functional>

#include "coap/tcp_framing.hpp"
#include "device/requests.hpp"
#include "support/test_pki.hpp"

namespace dps::device {
namespace {

namespace asio = boost::asio;
using asio::awaitable;
using asio::ip::tcp;
using coap::Code;
using coap::Message;
using namespace std::chrono_literals;
using ServerStream = asio::ssl::stream<tcp::socket>;

/// The server side of one connection, driven by a test script.
struct Peer {
  ServerStream& stream;
  std::vector<uint8_t> inbox;

  awaitable<void> send(const Message& m) {
    auto bytes = coap::encode_frame(m);
    co_await asio::async_write(stream, asio::buffer(bytes), asio::as_tuple(asio::use_awaitable));
  }
  awaitable<void> send_raw(std::vector<uint8_t> bytes) {
    co_await asio::async_write(stream, asio::buffer(bytes), asio::as_tuple(asio::use_awaitable));
  }
  awaitable<std::optional<Message>> read() {
    for (;;) {
      auto r = coap::decode_frame(inbox, 1 << 16);
      if (auto* f = std::get_if<coap::Frame>(&r)) {
        Message m = std::move(f->message);
        inbox.erase(inbox.begin(), inbox.begin() + static_cast<std::ptrdiff_t>(f->consumed));
        co_return m;
      }
      if (std::holds_alternative<coap::DecodeError>(r)) co_return std::nullopt;
      uint8_t buf[2048];
      auto [ec, n] =
          co_await stream.async_read_some(asio::buffer(buf), asio::as_tuple(asio::use_awaitable));
      if (ec) co_return std::nullopt;
      inbox.insert(inbox.end(), buf, buf + n);
    }
  }
};

Message make_signal(Code code, std::vector<uint8_t> token = {}) {
  Message m;
  m.code = code;
  m.token = std::move(token);
  return m;
}

class DeviceSessionTest : public ::testing::Test {
 protected:
  DeviceSessionTest()
      : ca_(test::make_root_ca("session test ca")),
        device_(test::make_leaf(ca_)),
        server_ctx_(asio::ssl::context::tls_server) {}

  /// Runs `script` as the server of one connection and `client` as the device; both on one
  /// io_context. Returns what the client coroutine returned.
  template <class T>
  T run(std::function<awaitable<void>(Peer&)> script,
        std::function<awaitable<T>(DeviceSession&)> client, bool check_time = true,
        test::Validity server_validity = {}) {
    test::LeafOptions o;
    o.validity = server_validity;
    const auto server_cert = test::make_leaf(ca_, o);
    server_ctx_.use_certificate_chain(asio::buffer(server_cert.cert_pem()));
    server_ctx_.use_private_key(asio::buffer(server_cert.key_pem()), asio::ssl::context::pem);
    server_ctx_.set_verify_mode(asio::ssl::verify_peer);
    server_ctx_.set_verify_callback([](bool, asio::ssl::verify_context&) { return true; });

    asio::io_context io;
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    asio::co_spawn(
        io,
        [&]() -> awaitable<void> {
          auto [ec, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
          if (ec) co_return;
          ServerStream stream(std::move(socket), server_ctx_);
          auto [hec] = co_await stream.async_handshake(ServerStream::server,
                                                       asio::as_tuple(asio::use_awaitable));
          if (hec) co_return;
          Peer peer{stream, {}};
          co_await script(peer);
          seen_ = std::move(peer.inbox);
        },
        asio::detached);

    ClientTlsOptions tls_options;
    tls_options.cert_chain_pem = device_.cert_pem();
    tls_options.key_pem = device_.key_pem();
    tls_options.ca_pem = ca_.cert_pem();
    auto tls = ClientTls::create(tls_options);
    EXPECT_TRUE(tls) << tls.error().internal;
    SessionOptions options;
    options.port = acceptor.local_endpoint().port();
    options.check_certificate_time = check_time;
    options.request_timeout = 2s;
    std::optional<T> out;
    asio::co_spawn(
        io,
        [&]() -> awaitable<T> {
          auto session = co_await DeviceSession::connect(*tls, options);
          if (!session) {
            connect_error_ = session.error().internal;
            co_return T{};
          }
          T value = co_await client(**session);
          co_await (*session)->close();
          co_return value;
        },
        [&](std::exception_ptr, T value) { out = std::move(value); });
    io.run_for(10s);
    return out.value_or(T{});
  }

  test::TestCa ca_;
  test::TestCert device_;
  asio::ssl::context server_ctx_;
  std::vector<uint8_t> seen_;
  std::string connect_error_;
};

TEST_F(DeviceSessionTest, ServesCsmPingAndReverseRequestWhileItsRequestIsPending) {
  std::vector<Message> server_got;
  const std::vector<uint8_t> ping_token = {7, 7, 7, 7, 7};  // 7 bytes on the wire
  const std::vector<uint8_t> res_token = {5, 5, 5};
  auto script = [&](Peer& peer) -> awaitable<void> {
    Message csm = make_signal(Code::Csm);
    csm.add_uint_option(coap::option::kCsmMaxMessageSize, 65536);
    csm.add_option(coap::option::kCsmBlockWiseTransfer, {});  // 7 bytes, as device-protocol §1
    co_await peer.send(csm);
    auto request = co_await peer.read();
    if (!request) co_return;
    server_got.push_back(*request);
    co_await peer.send(make_signal(Code::Ping, ping_token));
    Message res = make_get("/oic/res");
    res.token = res_token;
    co_await peer.send(res);
    for (int i = 0; i < 2; ++i) {
      if (auto m = co_await peer.read()) server_got.push_back(*m);
    }
    Message foreign;
    foreign.code = Code::Content;
    foreign.token = {1, 1, 1, 1, 1, 1, 1, 1};
    foreign.add_uint_option(coap::option::kContentFormat, 10000);
    co_await peer.send(foreign);
    Message answer = foreign;
    answer.token = request->token;
    answer.payload = {0xa0};
    co_await peer.send(answer);
  };
  std::string local, request_error;
  size_t pings = 0, answered = 0;
  bool csm = false;
  const auto response = run<std::optional<Message>>(
      script, [&](DeviceSession& s) -> awaitable<std::optional<Message>> {
        auto r = co_await s.request(make_time_request());
        if (!r) request_error = r.error().internal;
        local = s.local_endpoint();
        pings = s.pings_answered();
        answered = s.server_requests_answered();
        csm = s.server_csm().has_value();
        co_return r ? std::optional(*r) : std::nullopt;
      });
  ASSERT_TRUE(response) << connect_error_ << request_error;
  EXPECT_EQ(response->payload, std::vector<uint8_t>{0xa0});
  EXPECT_TRUE(csm);
  EXPECT_EQ(pings, 1u);
  EXPECT_EQ(answered, 1u);
  ASSERT_EQ(server_got.size(), 3u);
  EXPECT_EQ(server_got[0].uri_path(), "/x.plgd.dev/time");
  EXPECT_EQ(server_got[1].code, Code::Pong);
  EXPECT_EQ(server_got[1].token, ping_token);
  EXPECT_EQ(server_got[2].code, Code::Content);
  EXPECT_EQ(server_got[2].token, res_token);
  EXPECT_EQ(server_got[2].content_format(), 10000);
  EXPECT_EQ(local.rfind("coaps+tcp://127.0.0.1:", 0), 0u) << local;
}

TEST_F(DeviceSessionTest, RejectsServerMessagesShorterThanSevenBytes) {
  auto script = [&](Peer& peer) -> awaitable<void> {
    co_await peer.read();
    // GCC 12 cannot hold a braced initializer list across co_await: name the token.
    const std::vector<uint8_t> token = {1, 2, 3, 4};
    co_await peer.send(make_signal(Code::Pong, token));  // 2 + 4 = 6 bytes
    co_await peer.read();
  };
  const auto error = run<std::string>(script, [](DeviceSession& s) -> awaitable<std::string> {
    auto r = co_await s.request(make_time_request());
    co_return r ? std::string("answered") : r.error().internal;
  });
  EXPECT_NE(error.find("6-byte message"), std::string::npos) << error << connect_error_;
}

TEST_F(DeviceSessionTest, ReportsServerClose) {
  auto script = [](Peer& peer) -> awaitable<void> {
    co_await peer.read();
    peer.stream.lowest_layer().close();
  };
  const auto error = run<std::string>(script, [](DeviceSession& s) -> awaitable<std::string> {
    auto r = co_await s.request(make_time_request());
    co_return r ? std::string("answered") : r.error().internal;
  });
  EXPECT_NE(error.find("closed"), std::string::npos) << error << connect_error_;
}

TEST_F(DeviceSessionTest, TimesOutWhenNoAnswerComes) {
  auto script = [](Peer& peer) -> awaitable<void> {
    co_await peer.read();
    co_await peer.read();  // until the client goes away
  };
  const auto start = std::chrono::steady_clock::now();
  const auto error = run<std::string>(script, [](DeviceSession& s) -> awaitable<std::string> {
    auto r = co_await s.request(make_time_request(), 300ms);
    co_return r ? std::string("answered") : r.error().internal;
  });
  EXPECT_NE(error.find("timeout"), std::string::npos) << error << connect_error_;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

TEST_F(DeviceSessionTest, TimeStepIgnoresServerCertificateDates) {
  const test::Validity expired{-std::chrono::days(30), -std::chrono::days(1)};
  auto script = [](Peer& peer) -> awaitable<void> { co_await peer.read(); };
  auto connected = [](DeviceSession&) -> awaitable<bool> { co_return true; };
  EXPECT_TRUE(run<bool>(script, connected, /*check_time=*/false, expired)) << connect_error_;
  connect_error_.clear();
  EXPECT_FALSE(run<bool>(script, connected, /*check_time=*/true, expired));
  EXPECT_NE(connect_error_.find("TLS handshake"), std::string::npos) << connect_error_;
}

}  // namespace
}  // namespace dps::device
