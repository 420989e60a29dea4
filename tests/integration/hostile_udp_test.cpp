// Hostile network over CoAP over UDP+DTLS 1.2 (issue 17) against the real dps: a flood of
// ClientHellos from many source ports that never echo a cookie (or echo one minted for another
// address), and CoAP abuse inside an established DTLS session (block-wise transfers abandoned, out
// of order or growing, Size1 over the limit, Block2 beyond the answer, duplicate Message IDs,
// unknown critical options, Reset and ping, garbage plaintext, too many messages). Meanwhile
// legitimate devices provision over UDP and TCP. The DTLS layer alone (bad records, lost flights,
// caps) is covered by tests/unit/net/dtls_server_test.cpp; this file checks what a whole dps does.
#include <atomic>
#include <thread>

#include "coap/block.hpp"
#include "coap/udp_message.hpp"
#include "device/requests.hpp"
#include "pki/uuid.hpp"
#include "support/api_client.hpp"
#include "support/dps_fixture.hpp"
#include "support/dtls_test_peers.hpp"
#include "support/metrics_scrape.hpp"
#include "support/sanitizer_build.hpp"

namespace dps::itest {
namespace {

using namespace std::chrono_literals;
using coap::Code;
using coap::Datagram;
using coap::MessageType;
using test::Bytes;
using test::Clock;

#if defined(DPS_ADDRESS_SANITIZER)
constexpr int kSlow = 3;
#else
constexpr int kSlow = 1;
#endif

constexpr uint32_t kMaxMessageSize = 4096;  // apis.coap.maxMessageSize
constexpr uint32_t kMaxMessages = 40;       // apis.coap.maxRequestsPerSession
constexpr auto kInactivity = 2s;            // apis.coap.inactivityMonitor.timeout
constexpr size_t kDecodeLimit = 65536;      // what this side accepts from dps

Datagram decode(const Bytes& bytes) {
  auto decoded = coap::decode_datagram(bytes, kDecodeLimit);
  if (auto* datagram = std::get_if<Datagram>(&decoded)) return std::move(*datagram);
  throw std::runtime_error("dps sent a datagram that does not decode");
}

/// A device speaking CoAP over DTLS by hand: every datagram it sends is counted (dps's
/// maxRequestsPerSession counts datagrams), and the server's own request (the reverse
/// GET /oic/res) is rejected with a Reset, which dps takes as "no endpoints".
class CoapPeer {
 public:
  CoapPeer(uint16_t port, const test::TestCert& certificate, const std::string& server_ca)
      : dtls_(port, {&certificate, server_ca, 0}), next_id_(0x1000) {}

  bool connect() { return dtls_.handshake(5s * kSlow); }
  uint16_t message_id() { return next_id_++; }

  void send(std::span<const uint8_t> bytes) {
    ++sent_;
    if (!dtls_.send(bytes)) throw std::runtime_error("DTLS send failed: " + dtls_.error());
  }
  void send(const Datagram& datagram) { send(coap::encode_datagram(datagram)); }

  /// The next datagram that is not a request of the server's; nullopt on timeout or close.
  std::optional<Bytes> next(Clock::duration timeout = 5s * kSlow) {
    for (;;) {
      auto bytes = dtls_.receive(timeout);
      if (!bytes) return std::nullopt;
      const Datagram datagram = decode(*bytes);
      if (datagram.type != MessageType::Confirmable || !coap::is_request(datagram.message.code)) {
        return bytes;
      }
      ++server_requests_;
      send(coap::make_reset(datagram.message_id));
    }
  }

  /// `request` as a CON with a fresh Message ID: the raw reply, which must be its ACK.
  Bytes exchange_raw(coap::Message request) {
    const Datagram datagram{MessageType::Confirmable, message_id(), std::move(request)};
    send(datagram);
    auto reply = next();
    if (!reply) throw std::runtime_error("no reply to message " + describe(datagram));
    const Datagram answer = decode(*reply);
    if (answer.type != MessageType::Acknowledgement || answer.message_id != datagram.message_id) {
      throw std::runtime_error("reply to " + describe(datagram) + " is not its ACK");
    }
    return *reply;
  }
  coap::Message exchange(coap::Message request) {
    return decode(exchange_raw(std::move(request))).message;
  }

  test::DtlsClient& dtls() { return dtls_; }
  size_t sent() const { return sent_; }
  size_t server_requests() const { return server_requests_; }

 private:
  static std::string describe(const Datagram& d) {
    return std::to_string(d.message_id) + " (" + coap::to_string(d.message.code) + " " +
           d.message.uri_path() + ")";
  }

  test::DtlsClient dtls_;
  uint16_t next_id_;
  size_t sent_ = 0;
  size_t server_requests_ = 0;
};

/// A POST to `path` carrying block `num` (of size 2^(szx+4)) of `body` with Block1 {num, more,
/// szx}; Size1 when given.
coap::Message block1(std::string_view path, const Bytes& body, uint32_t num, bool more, uint8_t szx,
                     std::optional<uint32_t> size1 = std::nullopt) {
  const coap::BlockOption block{num, more, szx};
  const size_t from = std::min<size_t>(block.offset(), body.size());
  const size_t to = std::min(from + block.size(), body.size());
  coap::Message message = device::make_post(path, Bytes(body.begin() + static_cast<ptrdiff_t>(from),
                                                        body.begin() + static_cast<ptrdiff_t>(to)));
  coap::set_block(message, coap::option::kBlock1, block);
  if (size1) message.add_uint_option(coap::option::kSize1, *size1);
  return message;
}

coap::Message with_block2(coap::Message message, uint32_t num, uint8_t szx) {
  coap::set_block(message, coap::option::kBlock2, {num, false, szx});
  return message;
}

std::optional<coap::BlockOption> block_of(const coap::Message& message, uint16_t number) {
  auto block = coap::read_block(message, number);
  return block ? *block : std::nullopt;
}

/// Joins a thread on every way out of a test (an ASSERT returns early).
struct JoinOnExit {
  std::thread& thread;
  ~JoinOnExit() {
    if (thread.joinable()) thread.join();
  }
};

std::string text(const Bytes& bytes) { return std::string(bytes.begin(), bytes.end()); }

class HostileUdp : public DpsTest {
 protected:
  void configure(DpsConfigSpec& spec) override {
    spec.protocols = "[tcp, udp]";
    spec.http_enabled = true;  // /metrics
    spec.log_level = "info";
    spec.max_message_size = kMaxMessageSize;
    spec.max_requests_per_session = kMaxMessages;
    spec.inactivity_timeout = "2s";
  }

  Scrape scrape() const {
    const auto answer = ApiClient(dps_->api_port(), server_ca_pem_).call(Verb::get, "/metrics", "");
    if (answer.status != 200) throw std::runtime_error("/metrics answered " + answer.body);
    return Scrape(answer.body);
  }
  Scrape scrape_until(const std::function<bool(const Scrape&)>& done) const {
    const auto deadline = Clock::now() + 10s * kSlow;
    for (;;) {
      Scrape now = scrape();
      if (done(now) || Clock::now() > deadline) return now;
      std::this_thread::sleep_for(50ms);
    }
  }

  /// A leaf of its own under mfg_'s intermediate (a record of its own).
  test::TestCert leaf(const std::string& name) const {
    test::LeafOptions options;
    options.common_name = name;
    return test::make_leaf(mfg_.intermediate, options);
  }

  /// Fresh devices provision fully over UDP and over TCP, on threads of their own; join() says
  /// why not.
  class LegitDevices {
   public:
    LegitDevices(HostileUdp& test, const std::string& name) {
      for (const bool udp : {true, false}) {
        auto config = test.device_config();
        if (udp) {
          config.port = test.dps_->udp_port();
          config.udp = true;
        }
        const auto tls =
            test.tls_for(test.leaf(name + (udp ? " udp" : " tcp")), &test.mfg_.intermediate);
        threads_.emplace_back([this, config, tls, udp] {
          const auto result = device::provision_blocking(config, tls);
          if (!result.ok) errors_[udp ? 0 : 1] = (udp ? "udp: " : "tcp: ") + result.error;
          ++finished_;
        });
      }
    }
    ~LegitDevices() { join(); }
    bool done() const { return finished_ == 2; }
    std::string join() {
      for (auto& thread : threads_)
        if (thread.joinable()) thread.join();
      return errors_[0] + errors_[1];
    }

   private:
    std::vector<std::thread> threads_;
    std::string errors_[2];
    std::atomic<int> finished_{0};
  };
};

// ---- a spoofed-source flood ----

// Hellos from sources that never answer their HelloVerifyRequest (as a spoofed source cannot):
// each gets at most one HelloVerifyRequest, no larger than itself, and never a retransmission; dps
// opens no session, starts no handshake and holds no state. A cookie minted for one source port
// and echoed from another is refused the same way. Devices provision over UDP and TCP meanwhile.
TEST_F(HostileUdp, SpoofedClientHelloFloodGetsOnlyCookiesAndNoSession) {
  constexpr size_t kSources = 256;
  constexpr size_t kRounds = 8;      // hellos per source at least
  constexpr size_t kMaxRounds = 40;  // ... while the legitimate devices are not done
  test::ClientHelloMaker maker;
  const Bytes& hello = maker.first();
  std::vector<std::unique_ptr<test::UdpSocket>> sources;
  for (size_t i = 0; i < kSources; ++i) sources.push_back(std::make_unique<test::UdpSocket>());
  std::vector<size_t> answers(kSources, 0);
  size_t not_hello_verify = 0;
  size_t larger_than_hello = 0;
  std::optional<Bytes> first_hello_verify;
  const auto collect = [&](Clock::duration wait) {
    const auto until = Clock::now() + wait;
    for (bool any = true; any || Clock::now() < until;) {
      any = false;
      for (size_t i = 0; i < kSources; ++i) {
        while (auto answer = sources[i]->receive(0ms)) {
          any = true;
          ++answers[i];
          // A DTLS handshake record (22) holding a HelloVerifyRequest (handshake type 3).
          if (answer->size() < 14 || (*answer)[0] != 22 || (*answer)[13] != 3) ++not_hello_verify;
          if (answer->size() > hello.size()) ++larger_than_hello;
          if (i == 0 && !first_hello_verify) first_hello_verify = *answer;
        }
      }
      if (!any) std::this_thread::sleep_for(5ms);
    }
  };
  const auto flood = [&](size_t rounds) {
    for (size_t round = 0; round < rounds; ++round) {
      for (auto& source : sources) source->send_to(dps_->udp_port(), hello);
      collect(0ms);  // keep the sources' receive buffers drained
    }
  };

  const Scrape before = scrape();
  flood(kRounds / 2);
  collect(200ms);
  // The cookie minted for sources[0], echoed from sources[1]: bound to the address, so refused.
  ASSERT_TRUE(first_hello_verify) << "no HelloVerifyRequest for the first source";
  const Bytes stolen = maker.answer(*first_hello_verify);
  ASSERT_GT(test::cookie_of_client_hello(stolen).second, 0u);
  sources[1]->send_to(dps_->udp_port(), stolen);
  collect(200ms);
  const Scrape during = scrape();
  EXPECT_EQ(during.at("dps_connections_total"), before.at("dps_connections_total"))
      << "a source that never echoed its own cookie got a session";
  EXPECT_EQ(during.at("dps_open_connections"), 0);
  // Every cookie sent is counted (a flood shows on /metrics, not in the log).
  const auto cookies = [](const Scrape& s) {
    return s.at("dps_udp_datagrams_dropped_total", {{"reason", "no_cookie"}});
  };
  EXPECT_GE(cookies(during) - cookies(before), static_cast<double>(kSources))
      << "HelloVerifyRequests not counted in dps_udp_datagrams_dropped_total{reason=no_cookie}";
  EXPECT_EQ(during.handshakes("failed") + during.handshakes("timeout"),
            before.handshakes("failed") + before.handshakes("timeout"));

  // The rest of the flood while legitimate devices provision (until they are done).
  LegitDevices legit(*this, "udp flood legit");
  const auto flood_started = Clock::now();
  size_t rounds = kRounds / 2;
  for (; rounds < kMaxRounds && (rounds < kRounds || !legit.done()); ++rounds) flood(1);
  const bool legit_done_during_flood = legit.done();
  const auto last_hello = Clock::now();
  const std::string legit_errors = legit.join();
  // OpenSSL would retransmit a HelloVerifyRequest it kept state for after 1 s: listen past that.
  collect(std::max<Clock::duration>(0s, last_hello + 1500ms - Clock::now()));
  EXPECT_EQ(legit_errors, "") << "legitimate devices failed during the flood";

  size_t total = 0;
  for (size_t i = 0; i < kSources; ++i) {
    total += answers[i];
    const size_t sent = i == 1 ? rounds + 1 : rounds;
    EXPECT_LE(answers[i], sent) << "source " << i << " got more datagrams than it sent hellos";
  }
  EXPECT_EQ(not_hello_verify, 0u) << "a source without a valid cookie got more than a cookie";
  EXPECT_EQ(larger_than_hello, 0u) << "an answer larger than its ClientHello (amplification)";
  // Loopback loses little; most hellos must have been answered, or this test proves nothing.
  EXPECT_GE(total, kSources * rounds / 2) << "dps answered few of the hellos";
  const Scrape after =
      scrape_until([](const Scrape& s) { return s.at("dps_open_connections") == 0; });
  EXPECT_EQ(after.at("dps_open_connections"), 0);
  std::cout
      << "[ hostile  ] " << kSources * rounds + 1 << " hellos, " << total
      << " HelloVerifyRequests (" << hello.size() << "-byte hellos), "
      << after.at("dps_connections_total") - before.at("dps_connections_total")
      << " sessions (the legitimate devices'), flood "
      << std::chrono::duration_cast<std::chrono::milliseconds>(last_hello - flood_started).count()
      << " ms, legitimate devices done " << (legit_done_during_flood ? "during" : "after") << " it"
      << std::endl;
}

// ---- CoAP abuse inside an established session ----

// One admitted device abuses CoAP over its DTLS session, one case after another; each is answered
// precisely and the session goes on (block-wise refusals leave the device free to start over, RFC
// 7959), until the device sends one message more than maxRequestsPerSession. A request the router
// refuses (an unknown critical option) ends its session after the answer, as over TCP. Meanwhile
// another device starts a Block1 transfer and goes silent: its session ends at the inactivity
// timeout and a fresh one works; and devices provision over UDP and TCP throughout.
TEST_F(HostileUdp, CoapAbuseInsideASessionIsAnsweredPreciselyAndBounded) {
  const uint16_t port = dps_->udp_port();
  const std::string credentials(device::uri::kCredentials);
  const Bytes filler(300, 'x');
  const Scrape before = scrape();

  // The device that goes silent halfway through a Block1 transfer.
  const test::TestCert idle_leaf = leaf("udp idle device");
  std::atomic<int64_t> idle_closed_after_ms{-1};
  std::string idle_error;
  std::thread idle([&] {
    try {
      CoapPeer peer(port, idle_leaf, server_ca_pem_);
      if (!peer.connect()) throw std::runtime_error("handshake: " + peer.dtls().error());
      const auto reply = peer.exchange(block1(credentials, filler, 0, true, 2));
      if (reply.code != Code::Continue) throw std::runtime_error("block 0 not continued");
      const auto silent_since = Clock::now();
      if (peer.next(kInactivity * 3 * kSlow) || !peer.dtls().peer_closed()) {
        throw std::runtime_error("the session did not end with close_notify");
      }
      idle_closed_after_ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - silent_since)
              .count();
      CoapPeer fresh(port, idle_leaf, server_ca_pem_);
      if (!fresh.connect()) throw std::runtime_error("fresh handshake: " + fresh.dtls().error());
      if (fresh.exchange(device::make_time_request()).code != Code::Content) {
        throw std::runtime_error("a fresh session after the timeout was not served");
      }
      fresh.dtls().close();  // close_notify: this one must not idle out too
    } catch (const std::exception& e) {
      idle_error = e.what();
    }
  });
  JoinOnExit idle_guard{idle};
  std::optional<LegitDevices> legit;

  {  // (g) an unknown critical option (9: odd, unassigned): 4.02, and the session ends after it
    // as after any refused request (as over TCP)
    CoapPeer critical(port, mfg_.device, server_ca_pem_);
    ASSERT_TRUE(critical.connect()) << critical.dtls().error();
    auto request = device::make_time_request();
    request.add_option(9, {1});
    EXPECT_EQ(critical.exchange(std::move(request)).code, Code::BadOption);
    EXPECT_FALSE(critical.next());
    EXPECT_TRUE(critical.dtls().peer_closed());
  }

  CoapPeer peer(port, mfg_.device, server_ca_pem_);
  ASSERT_TRUE(peer.connect()) << peer.dtls().error();
  EXPECT_EQ(peer.exchange(device::make_time_request()).code, Code::Content);
  EXPECT_EQ(peer.server_requests(), 1u) << "dps's reverse GET /oic/res";

  {  // (h) a Reset of nothing is ignored; a CoAP ping (Empty CON) gets a Reset
    peer.send(coap::make_reset(peer.message_id()));
    const Datagram ping{MessageType::Confirmable, peer.message_id(), {}};
    peer.send(ping);
    const auto reply = peer.next();
    ASSERT_TRUE(reply) << "closed: " << peer.dtls().peer_closed() << " " << peer.dtls().error();
    EXPECT_EQ(decode(*reply), coap::make_reset(ping.message_id))
        << "the first datagram after a Reset and a ping must be the ping's Reset";
  }
  {  // (i) plaintext that is no CoAP message: dropped, or a Reset when it is a readable CON
    peer.send(Bytes{0x40, 0x01});                          // shorter than a header
    peer.send(Bytes{0x80, 0x01, 0x12, 0x34, 0xff, 0x00});  // version 2
    peer.send(Bytes{0x50, 0x01, 0x12, 0x35, 0xf0});        // NON, reserved option nibble 15
    const uint16_t broken = peer.message_id();
    peer.send(Bytes{0x40, 0x01, static_cast<uint8_t>(broken >> 8), static_cast<uint8_t>(broken),
                    0xf0});  // CON, reserved option nibble 15
    const auto reply = peer.next();
    ASSERT_TRUE(reply);
    EXPECT_EQ(decode(*reply), coap::make_reset(broken))
        << "the broken CON's Reset must be the only answer to the garbage";
    EXPECT_EQ(peer.exchange(device::make_time_request()).code, Code::Content);
  }
  {  // (d) Size1 above maxMessageSize: 4.13 with Size1 = the limit, before any byte is stored
    const auto reply = peer.exchange(block1(credentials, filler, 0, true, 2, kMaxMessageSize + 1));
    EXPECT_EQ(reply.code, Code::RequestEntityTooLarge);
    EXPECT_EQ(reply.uint_option(coap::option::kSize1), kMaxMessageSize);
  }
  {  // (b) a block out of order: 4.08
    EXPECT_EQ(peer.exchange(block1(credentials, filler, 0, true, 2)).code, Code::Continue);
    EXPECT_EQ(peer.exchange(block1(credentials, filler, 2, true, 2)).code,
              Code::RequestEntityIncomplete);
  }
  {  // (c) a block size that grows mid-transfer (64 then 128 bytes, in sequence): 4.00
    EXPECT_EQ(peer.exchange(block1(credentials, filler, 0, true, 2)).code, Code::Continue);
    EXPECT_EQ(peer.exchange(block1(credentials, filler, 1, true, 2)).code, Code::Continue);
    EXPECT_EQ(peer.exchange(block1(credentials, filler, 1, true, 3)).code, Code::BadRequest);
  }
  // (e) a Block2 block with no answer in progress: 4.00
  EXPECT_EQ(peer.exchange(with_block2(device::make_time_request(), 1, 6)).code, Code::BadRequest);

  // (f) the credentials request twice with one Message ID (our ACK "lost"): the same bytes back,
  // the request served once, one certificate signed.
  const std::string device_id = pki::random_uuid_v4().to_string();
  const auto key = test::make_key();
  const Datagram signing{MessageType::Confirmable, peer.message_id(),
                         device::make_credentials_request(
                             device_id, test::make_csr_pem(key.get(), "uuid:" + device_id))};
  peer.send(signing);
  const auto first = peer.next();
  peer.send(signing);
  const auto second = peer.next();
  ASSERT_TRUE(first && second) << "no answer to the credentials request";
  EXPECT_EQ(*first, *second) << "a duplicate got a different answer: the request ran twice";
  const Datagram block0 = decode(*first);
  ASSERT_EQ(block0.message.code, Code::Changed) << text(block0.message.payload);
  const auto first_block = block_of(block0.message, coap::option::kBlock2);
  ASSERT_TRUE(first_block && first_block->more) << "the credentials answer should need blocks";
  const Scrape signed_once = scrape();
  EXPECT_EQ(
      signed_once.at("dps_provisioning_steps_total", {{"step", "credentials"}, {"code", "2.04"}}) -
          before.at("dps_provisioning_steps_total", {{"step", "credentials"}, {"code", "2.04"}}),
      1);

  // Legitimate devices from here on, while the abuse goes on.
  legit.emplace(*this, "udp abuse legit");

  // (e) a Block2 block beyond the answer: 4.02, and the answer stays available.
  const auto post = [&] { return device::make_post(credentials, {}); };
  EXPECT_EQ(peer.exchange(with_block2(post(), 1000, first_block->szx)).code, Code::BadOption);
  Bytes whole = block0.message.payload;
  for (uint32_t num = 1;; ++num) {
    const auto block = peer.exchange(with_block2(post(), num, first_block->szx));
    ASSERT_EQ(block.code, Code::Changed) << "block " << num;
    whole.insert(whole.end(), block.payload.begin(), block.payload.end());
    const auto option = block_of(block, coap::option::kBlock2);
    ASSERT_TRUE(option && option->num == num);
    if (!option->more) break;
    ASSERT_LT(num, 16u);
  }
  EXPECT_EQ(block0.message.uint_option(coap::option::kSize2), whole.size());
  EXPECT_NE(text(whole).find("BEGIN CERTIFICATE"), std::string::npos);
  EXPECT_NE(text(whole).find(device_id), std::string::npos);
  // The whole answer was fetched: nothing is held for it any more.
  EXPECT_EQ(peer.exchange(with_block2(post(), 1, first_block->szx)).code, Code::BadRequest);

  // (j) maxRequestsPerSession counts every datagram of the session: pings up to the limit are
  // answered, the next one ends the session.
  ASSERT_LT(peer.sent(), kMaxMessages) << "raise kMaxMessages: the cases above used it up";
  while (peer.sent() < kMaxMessages) {
    const Datagram ping{MessageType::Confirmable, peer.message_id(), {}};
    peer.send(ping);
    const auto reply = peer.next();
    ASSERT_TRUE(reply) << "ping " << peer.sent() << " of " << kMaxMessages << " not answered";
    EXPECT_EQ(decode(*reply), coap::make_reset(ping.message_id));
  }
  peer.send(Datagram{MessageType::Confirmable, peer.message_id(), {}});
  EXPECT_FALSE(peer.next()) << "message " << peer.sent() << " was answered";
  EXPECT_TRUE(peer.dtls().peer_closed()) << "the session did not end with close_notify";

  idle.join();
  EXPECT_EQ(idle_error, "");
  EXPECT_GE(idle_closed_after_ms.load(), 1800) << "closed before the inactivity timeout";
  EXPECT_LE(idle_closed_after_ms.load(), 3000 * kSlow)
      << "closed long after the inactivity timeout";
  EXPECT_EQ(legit->join(), "") << "legitimate devices failed during the abuse";

  const Scrape after = scrape_until([&](const Scrape& s) {
    return s.at("dps_open_connections") == 0 &&
           s.limit("max_requests_per_session") > before.limit("max_requests_per_session");
  });
  EXPECT_EQ(after.at("dps_open_connections"), 0);
  EXPECT_EQ(after.limit("max_requests_per_session") - before.limit("max_requests_per_session"), 1);
  EXPECT_EQ(after.limit("inactivity_timeout") - before.limit("inactivity_timeout"), 1);
}

}  // namespace
}  // namespace dps::itest
