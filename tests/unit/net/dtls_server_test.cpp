// The DTLS listener on a real loopback UDP socket, with an echo handler, against an OpenSSL DTLS
// 1.2 client with a device certificate, raw datagrams and a lossy relay: the cookie exchange
// before any state, what unknown peers may send, bad records in a session, retransmission on the
// timer, the session cap and a device that starts over from the same address.
#include "net/dtls_server.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>
#include <mutex>
#include <thread>

#include "net/dtls_record.hpp"
#include "net/tls_context.hpp"
#include "provisioning/catalog.hpp"
#include "support/dtls_test_peers.hpp"

namespace dps::net {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using test::Bytes;
using test::DtlsClient;
using test::UdpSocket;

struct HandshakeSeen {
  bool completed = false;
  bool timed_out = false;
  std::string group_id;
  std::string refusal;
  std::string error;
};

Bytes bytes_of(std::string_view text) { return {text.begin(), text.end()}; }

// A HelloVerifyRequest (RFC 6347 §4.2.1) the server never sent, carrying `cookie`.
Bytes hello_verify_request(const Bytes& cookie) {
  const auto body = static_cast<uint8_t>(2 + 1 + cookie.size());  // server_version, cookie
  Bytes request = {dtls_record::kHandshake, 0xfe, 0xfd};
  request.resize(11, 0);  // epoch and sequence number 0
  request.insert(request.end(), {0, static_cast<uint8_t>(12 + body)});
  // Message type, length, message_seq 0, fragment offset 0, fragment length.
  request.insert(request.end(), {dtls_record::kHelloVerifyRequest, 0, 0, body, 0, 0, 0, 0, 0, 0, 0,
                                 body, 0xfe, 0xff, static_cast<uint8_t>(cookie.size())});
  request.insert(request.end(), cookie.begin(), cookie.end());
  return request;
}

template <class Predicate>
bool eventually(Predicate done, std::chrono::milliseconds within = 3000ms) {
  const auto deadline = test::Clock::now() + within;
  while (!done()) {
    if (test::Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

class DtlsServerTest : public ::testing::Test {
 protected:
  DtlsServerTest() {
    store::EnrollmentGroup group;
    group.id = "group-dtls";
    group.owner = "alice";
    group.name = "DTLS devices";
    group.x509.certificate_chain = device_ca_.chain_pem();
    catalogs_ =
        std::make_unique<provisioning::CatalogHolder>(provisioning::Catalog::build({group}, {}));
    // A chain of two certificates: the server's Certificate message does not fit one datagram.
    const auto server = test::make_loopback_server_certificate(server_ca_);
    auto context = make_device_dtls_context(
        {server.cert_pem() + server_ca_.cert_pem(), server.key_pem()}, *catalogs_);
    if (!context) throw std::runtime_error(context.error().internal);
    context_ = *context;
  }

  ~DtlsServerTest() override {
    if (server_ && !shut_down_) shut_down();
    for (auto& thread : threads_) thread.join();
  }

  // Once shut down, the listener has no work left on io_: the threads return by themselves.
  void shut_down() {
    asio::co_spawn(io_, server_->shutdown(0s), asio::use_future).get();
    shut_down_ = true;
  }

  void start(DtlsServerOptions options = {}) {
    options.address = "127.0.0.1:0";
    if (options.session.handshake_timeout == SessionOptions{}.handshake_timeout) {
      options.session.handshake_timeout = 3s;
    }
    auto server = DtlsServer::create(io_, options, context_,
                                     [this](DtlsChannel& channel) { return echo(channel); });
    ASSERT_TRUE(server) << server.error().internal;
    server_ = *server;
    server_->start();
    // Two I/O threads: the listener's strand and the sessions' strands run in parallel.
    for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { io_.run(); });
  }

  asio::awaitable<void> echo(DtlsChannel& channel) {
    const bool completed = co_await channel.handshake(channel.handshake_deadline());
    {
      std::lock_guard lock(mutex_);
      handshakes_.push_back({completed, channel.handshake_timed_out(),
                             channel.outcome().group.group_id, channel.outcome().group.refusal,
                             channel.error()});
    }
    if (!completed) co_return;
    for (;;) {
      auto datagram = co_await channel.receive(channel.idle_deadline());
      if (!datagram) break;
      const bool sent = co_await channel.send(*datagram);
      if (!sent) break;
    }
  }

  uint16_t port() const { return server_->local_endpoint().port(); }

  DtlsClient::Options device() const { return {&device_, server_root_.cert_pem(), 0}; }

  std::vector<HandshakeSeen> handshakes() {
    std::lock_guard lock(mutex_);
    return handshakes_;
  }

  // A complete exchange: handshake, one echo, close_notify, and the session gone.
  void expect_echo_session(DtlsClient& client, std::string_view text) {
    ASSERT_TRUE(client.handshake(5s)) << client.error();
    ASSERT_TRUE(client.send(bytes_of(text)));
    const auto echoed = client.receive(5s);
    ASSERT_TRUE(echoed) << client.error();
    EXPECT_EQ(*echoed, bytes_of(text));
  }

  test::TestCa device_ca_ = test::make_root_ca("DTLS device CA");
  test::TestCert device_ = test::make_leaf(device_ca_);
  test::TestCa server_root_ = test::make_root_ca("DTLS server root");
  test::TestCa server_ca_ = test::make_intermediate_ca(server_root_, "DTLS server CA");
  std::unique_ptr<provisioning::CatalogHolder> catalogs_;
  std::shared_ptr<asio::ssl::context> context_;
  asio::io_context io_;
  std::shared_ptr<DtlsServer> server_;
  bool shut_down_ = false;
  std::vector<std::thread> threads_;
  std::mutex mutex_;
  std::vector<HandshakeSeen> handshakes_;
};

TEST_F(DtlsServerTest, DeviceCompletesTheCookieExchangeAndHandshakeEchoesAndCloses) {
  start();
  {
    DtlsClient client(port(), device());
    expect_echo_session(client, "hello over DTLS");
    EXPECT_EQ(server_->session_count(), 1u);
    client.close();
  }
  EXPECT_TRUE(eventually([&] { return server_->session_count() == 0; }))
      << "close_notify ends the session";
  const auto counters = server_->counters();
  EXPECT_EQ(counters.hello_verify_sent, 1u);
  EXPECT_EQ(counters.sessions_opened, 1u);
  const auto seen = handshakes();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_TRUE(seen[0].completed);
  EXPECT_EQ(seen[0].group_id, "group-dtls") << "the verify callback matched the enrollment group";
}

TEST_F(DtlsServerTest, ClientHelloWithoutCookieGetsOneSmallerHelloVerifyRequestAndNoState) {
  start();
  test::ClientHelloMaker hello;
  UdpSocket spoofer;
  spoofer.send_to(port(), hello.first());
  const auto answer = spoofer.receive(2s);
  ASSERT_TRUE(answer);
  EXPECT_EQ(dtls_record::handshake_type(*answer), dtls_record::kHelloVerifyRequest);
  EXPECT_LE(answer->size(), hello.first().size()) << "no amplification";
  EXPECT_FALSE(spoofer.receive(300ms)) << "exactly one datagram back, nothing retransmitted";
  EXPECT_EQ(server_->session_count(), 0u);
  EXPECT_EQ(server_->counters().sessions_opened, 0u);
  EXPECT_EQ(server_->counters().hello_verify_sent, 1u);
}

TEST_F(DtlsServerTest, FloodOfClientHellosFromManyPortsCreatesNoSession) {
  start();
  test::ClientHelloMaker hello;
  // What a spoofer can send: first ClientHellos, and ClientHellos with a cookie it made up.
  Bytes forged = hello.answer(hello_verify_request(Bytes(16, 0x5a)));
  ASSERT_EQ(test::cookie_of_client_hello(forged).second, 16u) << "as long as the server's";
  std::vector<std::unique_ptr<UdpSocket>> sources;
  for (int i = 0; i < 200; ++i) {
    sources.push_back(std::make_unique<UdpSocket>());
    sources.back()->send_to(port(), i % 2 ? forged : hello.first());
  }
  // The kernel may drop some of the burst; every one that arrives is answered at once.
  const auto received = [&] { return server_->counters().datagrams_received; };
  for (uint64_t before = 0; before != received() || before == 0;) {
    before = received();
    std::this_thread::sleep_for(200ms);
  }
  size_t answers = 0;
  for (const auto& source : sources) {
    for (auto wait = 100ms; auto answer = source->receive(wait); wait = 0ms) {
      ++answers;
      EXPECT_EQ(dtls_record::handshake_type(*answer), dtls_record::kHelloVerifyRequest);
    }
  }
  EXPECT_EQ(answers, received()) << "one answer per ClientHello, nothing more";
  EXPECT_GT(answers, sources.size() / 2);
  EXPECT_EQ(server_->session_count(), 0u);
  EXPECT_EQ(server_->counters().sessions_opened, 0u);
  // And a device gets in right after.
  DtlsClient client(port(), device());
  expect_echo_session(client, "after the flood");
}

TEST_F(DtlsServerTest, CookieIsBoundToTheSourcePortAndAnAbandonedHandshakeEndsAtItsDeadline) {
  DtlsServerOptions options;
  options.session.handshake_timeout = 1s;
  start(options);
  test::ClientHelloMaker hello;
  UdpSocket device_socket;
  UdpSocket other_socket;
  device_socket.send_to(port(), hello.first());
  const auto request = device_socket.receive(2s);
  ASSERT_TRUE(request);
  const Bytes with_cookie = hello.answer(*request);
  ASSERT_NE(test::cookie_of_client_hello(with_cookie).second, 0u);

  other_socket.send_to(port(), with_cookie);  // someone else's cookie
  const auto other_answer = other_socket.receive(2s);
  ASSERT_TRUE(other_answer);
  EXPECT_EQ(dtls_record::handshake_type(*other_answer), dtls_record::kHelloVerifyRequest);

  Bytes tampered = with_cookie;
  tampered[test::cookie_of_client_hello(with_cookie).first] ^= 0x01;
  device_socket.send_to(port(), tampered);
  const auto tampered_answer = device_socket.receive(2s);
  ASSERT_TRUE(tampered_answer);
  EXPECT_EQ(dtls_record::handshake_type(*tampered_answer), dtls_record::kHelloVerifyRequest);
  EXPECT_EQ(server_->counters().sessions_opened, 0u);

  device_socket.send_to(port(), with_cookie);  // the real echo: a session, the server's flight
  const auto server_hello = device_socket.receive(2s);
  ASSERT_TRUE(server_hello);
  EXPECT_EQ(dtls_record::handshake_type(*server_hello), 2) << "ServerHello";
  EXPECT_EQ(server_->counters().sessions_opened, 1u);
  // Nobody answers the flight: the session ends at the handshake deadline, retransmitting on
  // the way.
  EXPECT_TRUE(eventually([&] { return server_->session_count() == 0; }, 4000ms));
  const auto seen = handshakes();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_FALSE(seen[0].completed);
  EXPECT_TRUE(seen[0].timed_out);
}

TEST_F(DtlsServerTest, GarbageFromUnknownPeersIsDroppedUnansweredAndDevicesAreStillServed) {
  DtlsServerOptions options;
  options.max_datagram_size = 2048;
  start(options);
  UdpSocket attacker;
  const std::vector<Bytes> garbage = {
      bytes_of("GET / HTTP/1.1\r\n\r\n"),
      Bytes{},
      Bytes(dtls_record::kHeaderSize, 0),
      // Application data, an alert and a Certificate message from nobody.
      Bytes{dtls_record::kApplicationData, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 1, 0, 4, 1, 2, 3, 4},
      Bytes{dtls_record::kAlert, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 40},
      Bytes{dtls_record::kHandshake,
            0xfe,
            0xfd,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            12,
            11,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0},
      // A ClientHello header with nothing behind it, and one of epoch 1.
      Bytes{dtls_record::kHandshake,
            0xfe,
            0xfd,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            12,
            1,
            0,
            0,
            40,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            40},
      Bytes{dtls_record::kHandshake,
            0xfe,
            0xfd,
            0,
            1,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            12,
            1,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0},
      Bytes(4096, 0x16),
  };
  for (const auto& datagram : garbage) attacker.send_to(port(), datagram);
  EXPECT_FALSE(attacker.receive(300ms)) << "no answer to anything but a ClientHello";
  EXPECT_TRUE(eventually([&] { return server_->counters().datagrams_received == garbage.size(); }));
  const auto counters = server_->counters();
  EXPECT_EQ(counters.oversized_dropped, 1u);
  EXPECT_EQ(counters.not_client_hello, 7u);
  EXPECT_EQ(counters.bad_client_hello, 1u);
  EXPECT_EQ(counters.hello_verify_sent, 0u);
  EXPECT_EQ(server_->session_count(), 0u);

  DtlsClient client(port(), device());
  expect_echo_session(client, "still served");
}

TEST_F(DtlsServerTest, BadRecordsInASessionAreDroppedAndCountedAndTheSessionGoesOn) {
  start();
  DtlsClient client(port(), device());
  expect_echo_session(client, "first");
  // Epoch 1 is the session's: a record that fails its MAC. Epoch 7 is nobody's.
  Bytes bad_mac = {dtls_record::kApplicationData, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0x10, 0, 0, 40};
  for (int i = 0; i < 40; ++i) bad_mac.push_back(static_cast<uint8_t>(i * 7));
  Bytes other_epoch = bad_mac;
  other_epoch[4] = 7;
  client.send_raw(bad_mac);
  client.send_raw(other_epoch);
  EXPECT_TRUE(eventually([&] { return server_->counters().records_dropped == 2; }));
  ASSERT_TRUE(client.send(bytes_of("second")));
  const auto echoed = client.receive(5s);
  ASSERT_TRUE(echoed) << client.error();
  EXPECT_EQ(*echoed, bytes_of("second"));
  EXPECT_EQ(server_->session_count(), 1u);
}

TEST_F(DtlsServerTest, ClientWithoutCertificateFailsAndAnUnenrolledOneIsReportedUnmatched) {
  start();
  DtlsClient anonymous(port(), {nullptr, server_root_.cert_pem(), 0});
  EXPECT_FALSE(anonymous.handshake(5s)) << "a client certificate is mandatory";
  // Like TLS: a certificate no group admits completes the handshake, proving its key; the
  // handler learns from the outcome that no group admits it (an individual enrollment may).
  const test::TestCa stranger_ca = test::make_root_ca("not enrolled");
  const test::TestCert stranger = test::make_leaf(stranger_ca);
  DtlsClient unenrolled(port(), {&stranger, server_root_.cert_pem(), 0});
  ASSERT_TRUE(unenrolled.handshake(5s)) << unenrolled.error();
  ASSERT_TRUE(eventually([&] { return handshakes().size() == 2; }));
  const auto seen = handshakes();
  EXPECT_FALSE(seen[0].completed);
  EXPECT_NE(seen[0].error.find("certificate"), std::string::npos) << seen[0].error;
  EXPECT_TRUE(seen[1].completed);
  EXPECT_TRUE(seen[1].group_id.empty());
  EXPECT_FALSE(seen[1].refusal.empty());
}

TEST_F(DtlsServerTest, LostServerFlightIsResentOnTheTimerInDatagramsWithinTheLinkMtu) {
  start();
  // The client's own retransmissions are lost too, so only the server's timer can recover.
  std::atomic<int> client_hellos{0};
  std::optional<test::Clock::time_point> first_flight;
  test::UdpRelay relay(port(), [&](test::UdpRelay::Direction direction, const Bytes& datagram) {
    if (direction == test::UdpRelay::Direction::ToServer) {
      return dtls_record::is_client_hello(datagram) && ++client_hellos > 2;
    }
    if (dtls_record::handshake_type(datagram) == 2 && !first_flight) {
      first_flight = test::Clock::now();
    }
    return first_flight && test::Clock::now() - *first_flight < 400ms;
  });
  DtlsClient client(relay.port(), device());
  expect_echo_session(client, "after a lost flight");
  EXPECT_GT(relay.dropped(), 0u);
  EXPECT_GE(server_->counters().retransmissions, 1u);
  EXPECT_LE(relay.largest_to_client(), 1280u - 28u) << "fragmented to the link MTU";
}

TEST_F(DtlsServerTest, SessionsBeyondTheCapAreRefusedAfterTheCookie) {
  DtlsServerOptions options;
  options.max_sessions = 1;
  start(options);
  DtlsClient first(port(), device());
  expect_echo_session(first, "one");
  DtlsClient second(port(), device());
  EXPECT_FALSE(second.handshake(1500ms));
  EXPECT_GE(server_->counters().sessions_refused, 1u);
  EXPECT_EQ(server_->session_count(), 1u);
  ASSERT_TRUE(first.send(bytes_of("still one")));
  EXPECT_TRUE(first.receive(5s));
}

TEST_F(DtlsServerTest, DeviceStartingOverFromTheSameAddressReplacesItsSession) {
  start();
  uint16_t local_port = 0;
  {
    DtlsClient crashed(port(), device());
    expect_echo_session(crashed, "before the crash");
    local_port = crashed.local_port();
  }  // gone without close_notify
  DtlsClient restarted(port(), {&device_, server_root_.cert_pem(), local_port});
  expect_echo_session(restarted, "after the restart");
  EXPECT_EQ(server_->counters().sessions_replaced, 1u);
  EXPECT_TRUE(eventually([&] { return server_->session_count() == 1; }));
}

TEST_F(DtlsServerTest, ShutdownEndsSessionsWithCloseNotifyAndClosesTheSocket) {
  start();
  DtlsClient client(port(), device());
  expect_echo_session(client, "before stop");
  const uint16_t listened_on = port();
  shut_down();
  EXPECT_FALSE(client.receive(2s));
  EXPECT_TRUE(client.peer_closed()) << client.error();
  EXPECT_EQ(server_->session_count(), 0u);
  test::ClientHelloMaker hello;
  UdpSocket late;
  late.send_to(listened_on, hello.first());
  EXPECT_FALSE(late.receive(300ms)) << "nobody listens any more";
}

}  // namespace
}  // namespace dps::net
