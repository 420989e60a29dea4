// Hostile network (issue 6): attacks through real sockets against a running dps, each with the
// limits it needs (apis.coap.* and apis.http.*). During every attack a stream of legitimate
// devices (run_fleet, certificates of their own, from 127.0.0.1) keeps provisioning and must all
// succeed; VmRSS of dps must stay bounded during and after the attack; and the matching counter
// on /metrics (dps_limits_triggered_total, dps_handshakes_total) must move by exactly what the
// attack caused wherever that number is deterministic.
#include <algorithm>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <random>

#include "coap/signaling.hpp"
#include "coap/tcp_framing.hpp"
#include "device/csr.hpp"
#include "device/requests.hpp"
#include "hostile/hostile_fixture.hpp"
#include "support/api_client.hpp"
#include "support/api_fixture.hpp"

namespace dps::itest::hostile {
namespace {

using namespace std::chrono_literals;
using coap::Code;
using std::chrono::milliseconds;

std::string count_text(size_t n, const std::string& what) { return std::to_string(n) + " " + what; }

// Frame header with the 4-byte extended length (Len nibble 15, no token) announcing a whole frame
// of `frame_size` bytes (RFC 8323 §3.2: length = frame_size - 6 - 65805).
std::vector<uint8_t> length_prefix(uint64_t frame_size) {
  const uint64_t extended = frame_size - 6 - coap::kLenExt32Offset;
  std::vector<uint8_t> out{0xf0};
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<uint8_t>(extended >> shift));
  return out;
}

// ---- scenario 1 ----

TEST_F(HostileNetwork, SlowLorisConnectionsAreClosedAtTheHandshakeTimeout) {
  constexpr milliseconds kTimeout{1000};
  spec_.handshake_timeout = "1s";
  launch();
  if (HasFatalFailure()) return;
  constexpr size_t kSilent = 150;    // connect and never send a byte
  constexpr size_t kHalfHello = 50;  // send half a ClientHello, then nothing
  constexpr size_t kWave = kSilent + kHalfHello;
  // Waves of the same attack: memory a wave takes must be reused by the next ones (glibc keeps
  // what it freed, so the first wave's growth stays).
  constexpr size_t kWaves = 4;
  const Scrape before = scrape();
  auto fleet = start_fleet(30, 10);

  const auto hello = client_hello();
  const std::span<const uint8_t> half(hello.data(), hello.size() / 2);
  const auto attack_started = Clock::now();
  Clock::duration fastest = Clock::duration::max();
  Clock::duration slowest{};
  std::vector<size_t> rss_after_wave;
  for (size_t wave = 0; wave < kWaves; ++wave) {
    std::vector<RawConnection> conns;
    for (size_t i = 0; i < kWave; ++i) {
      conns.push_back(RawConnection::open(port()));
      if (i >= kSilent) {
        ASSERT_TRUE(conns.back().send_all(half));
      }
    }
    const auto closed = wait_peer_closed(conns, Clock::now() + kTimeout + 15s);
    CloseTimes times;
    times.add(conns, closed, kTimeout * 9 / 10);
    fastest = std::min(fastest, times.fastest);
    slowest = std::max(slowest, times.slowest);
    EXPECT_EQ(times.still_open, 0u) << "wave " << wave << ": connections the server never closed";
    EXPECT_EQ(times.early, 0u) << "wave " << wave << ": closed before the handshake timeout";
    rss_after_wave.push_back(vm_rss_kib(dps_->pid()));
  }
  // Leaked sessions would add the first wave's growth again with every wave (3x over waves 2-4);
  // reused memory adds less (glibc arenas and fragmentation: 0.45x to 0.75x of it seen).
  const auto grown = [](size_t from, size_t to) { return to > from ? to - from : 0; };
  const size_t first_wave_growth = grown(rss_before_kib_, rss_after_wave.front());
  const size_t later_waves_growth = grown(rss_after_wave.front(), rss_after_wave.back());
  EXPECT_LT(later_waves_growth, first_wave_growth * 3 / 2)
      << "waves 2.." << kWaves << " grew dps by " << mib(later_waves_growth)
      << ", the first alone by " << mib(first_wave_growth)
      << ": memory of earlier sessions is not reused";

  const std::string fleet_line = expect_all_provisioned(fleet->join());
  constexpr size_t kAll = kWaves * kWave;
  const Scrape after = scrape_until([&](const Scrape& s) {
    return s.limit("handshake_timeout") - before.limit("handshake_timeout") >= dbl(kAll) &&
           s.at("dps_open_connections") == 0;
  });
  // A line per closed connection would let any peer fill the disk: at most 5 "sent nothing"
  // lines and 10 "handshake refused" lines per second (+2 s for window edges), the rest counted
  // in a "(N similar lines suppressed)" note.
  const double attack_s = std::chrono::duration<double>(Clock::now() - attack_started).count();
  const std::string log = dps_->log();
  const size_t silent_lines = count_lines_with(log, "sent nothing within the handshake timeout");
  const size_t refused_lines = count_lines_with(log, "handshake refused");
  EXPECT_GE(silent_lines, 1u);
  EXPECT_LE(silent_lines, static_cast<size_t>(5 * (attack_s + 2)));
  EXPECT_LE(refused_lines, static_cast<size_t>(10 * (attack_s + 2)));
  EXPECT_NE(log.find("similar lines suppressed)"), std::string::npos);
  EXPECT_EQ(after.limit("handshake_timeout") - before.limit("handshake_timeout"), dbl(kAll));
  EXPECT_EQ(after.handshakes("timeout") - before.handshakes("timeout"), dbl(kAll));
  EXPECT_EQ(after.handshakes("failed") - before.handshakes("failed"), 0);
  EXPECT_EQ(after.at("dps_open_connections"), 0);
  std::string wave_figures;
  for (size_t kib : rss_after_wave) wave_figures += (wave_figures.empty() ? "" : ", ") + mib(kib);
  report(std::to_string(kWaves) + " waves of " + count_text(kSilent, "silent") + " + " +
         count_text(kHalfHello, "half-ClientHello") + " connections closed after " +
         seconds(fastest) + " .. " + seconds(slowest) + "; handshake_timeout +" +
         num(after.limit("handshake_timeout") - before.limit("handshake_timeout")) +
         "; VmRSS after each wave " + wave_figures +
         "; log lines: " + std::to_string(silent_lines) + " silent, " +
         std::to_string(refused_lines) + " refused; " + fleet_line);
  expect_rss_bounded(finish_rss());
}

// ---- scenario 2 ----

TEST_F(HostileNetwork, TricklingPeerIsClosedAtTheInactivityTimeoutThoughBytesKeepArriving) {
  constexpr milliseconds kInactivity{2000};
  constexpr milliseconds kGap{300};
  spec_.inactivity_timeout = "2s";
  launch();
  if (HasFatalFailure()) return;
  constexpr size_t kTricklers = 10;
  // A valid CSM, padded with the elective padding option so that at one byte per 300 ms it would
  // take far longer than the inactivity timeout to complete.
  coap::Message csm = coap::make_csm(1152, /*block_wise_transfer=*/true);
  csm.add_option(coap::option::kDevicePadding, std::vector<uint8_t>(40, 0));
  const auto frame = coap::encode_frame(csm);
  ASSERT_GT(kGap * static_cast<int64_t>(frame.size()), kInactivity * 4);

  const Scrape before = scrape();
  auto fleet = start_fleet(25, 8);
  const auto tls = enrolled_identity();
  const uint16_t dps_port = port();
  std::vector<Trickle> runs(kTricklers);
  std::vector<std::string> errors(kTricklers);
  Attack attack;
  attack.run(kTricklers, kTricklers, [&](size_t i) -> awaitable<void> {
    auto session = co_await connect_tls(tls, dps_port, 20s);
    if (!session) {
      errors[i] = session.error().internal;
      co_return;
    }
    runs[i] = co_await trickle(**session, frame, kGap, 10s);
  });

  Clock::duration fastest = Clock::duration::max();
  Clock::duration slowest{};
  size_t min_bytes = frame.size();
  for (size_t i = 0; i < kTricklers; ++i) {
    ASSERT_TRUE(errors[i].empty()) << "trickler " << i << ": " << errors[i];
    const auto& run = runs[i];
    EXPECT_TRUE(run.end.closed) << "trickler " << i << " not closed: " << run.end.error;
    // (The client starts its clock when its coroutine resumes after the handshake, which can be
    // a little after the server started its own.)
    EXPECT_GE(run.end.took, kInactivity * 3 / 4) << "trickler " << i << " closed too early";
    EXPECT_LE(run.end.took, kInactivity + milliseconds(static_cast<int64_t>(3000 * kSlow)))
        << "trickler " << i << " closed late";
    EXPECT_GE(run.bytes_sent, 3u) << "trickler " << i << ": bytes did keep arriving";
    EXPECT_LT(run.bytes_sent, frame.size()) << "trickler " << i << " completed its frame";
    fastest = std::min(fastest, run.end.took);
    slowest = std::max(slowest, run.end.took);
    min_bytes = std::min(min_bytes, run.bytes_sent);
  }

  const std::string fleet_line = expect_all_provisioned(fleet->join());
  const Scrape after = scrape_until([&](const Scrape& s) {
    return s.limit("inactivity_timeout") - before.limit("inactivity_timeout") >= dbl(kTricklers) &&
           s.at("dps_open_connections") == 0;
  });
  EXPECT_EQ(after.limit("inactivity_timeout") - before.limit("inactivity_timeout"),
            dbl(kTricklers));
  report(count_text(kTricklers, "tricklers") + " (" + std::to_string(frame.size()) +
         "-byte CSM, a byte per 300 ms) closed after " + seconds(fastest) + " .. " +
         seconds(slowest) + " having sent >= " + std::to_string(min_bytes) +
         " bytes; inactivity_timeout +" +
         num(after.limit("inactivity_timeout") - before.limit("inactivity_timeout")) + "; " +
         fleet_line);
  expect_rss_bounded(finish_rss());
}

// ---- scenario 3 ----

TEST_F(HostileNetwork, UntrustedCertificateFloodIsRefusedAndCountedExactly) {
  launch();
  if (HasFatalFailure()) return;
  constexpr size_t kUnknown = 60;  // a certificate of a CA no enrollment group trusts
  constexpr size_t kNoCert = 20;   // no client certificate at all
  const Manufacturer unknown = make_manufacturer("hostile unknown mfg");
  const auto unknown13 = identity(tls_for(unknown.device, &unknown.intermediate));
  const auto unknown12 = identity(tls_for(unknown.device, &unknown.intermediate, true));
  device::ClientTlsOptions bare;
  bare.ca_pem = server_ca_pem_;
  const auto bare13 = identity(bare);
  bare.force_tls12 = true;
  const auto bare12 = identity(bare);

  const Scrape before = scrape();
  auto fleet = start_fleet(30, 10);
  const uint16_t dps_port = port();
  size_t refused_in_handshake = 0;  // no certificate, TLS 1.2: the handshake itself fails
  size_t refused_by_alert = 0;      // no certificate, TLS 1.3: the client finishes, then the alert
  // A certificate no enrollment admits: the handshake completes (its individual enrollment is
  // read after it), then an Abort says why and the connection closes, without a CSM.
  size_t refused_by_abort = 0;
  size_t admitted = 0;
  Attack attack;
  attack.run(kUnknown + kNoCert, 20, [&](size_t i) -> awaitable<void> {
    const bool tls12 = i % 2 == 1;
    const auto& tls = i < kUnknown ? (tls12 ? unknown12 : unknown13) : (tls12 ? bare12 : bare13);
    auto session = co_await connect_tls(tls, dps_port, 20s);
    if (!session) {
      ++refused_in_handshake;
      co_return;
    }
    const ClosedSession end = co_await until_closed(**session, 15s);
    const coap::Message* abort = end.first(coap::Code::Abort);
    if (end.closed && !end.csm && end.seen.empty()) {
      ++refused_by_alert;
    } else if (end.closed && !end.csm && end.seen.size() == 1 && abort &&
               abort->payload_text().starts_with("refused: no enrollment")) {
      ++refused_by_abort;
    } else {
      ++admitted;
    }
  });
  EXPECT_EQ(admitted, 0u) << "an untrusted client got a session";
  EXPECT_EQ(refused_by_abort, kUnknown);
  EXPECT_EQ(refused_in_handshake + refused_by_alert, kNoCert);

  const std::string fleet_line = expect_all_provisioned(fleet->join());
  const Scrape after = scrape_until([&](const Scrape& s) {
    return s.handshakes("no_group") - before.handshakes("no_group") >= dbl(kUnknown) &&
           s.handshakes("failed") - before.handshakes("failed") >= dbl(kNoCert) &&
           s.at("dps_open_connections") == 0;
  });
  EXPECT_EQ(after.handshakes("no_group") - before.handshakes("no_group"), dbl(kUnknown));
  EXPECT_EQ(after.handshakes("failed") - before.handshakes("failed"), dbl(kNoCert));
  EXPECT_EQ(after.handshakes("timeout") - before.handshakes("timeout"), 0);
  report(count_text(kUnknown, "unknown-CA") + " + " + count_text(kNoCert, "certificate-less") +
         " handshakes (" + std::to_string(refused_in_handshake) + " failed in the handshake, " +
         std::to_string(refused_by_alert) + " by alert after it, " +
         std::to_string(refused_by_abort) + " by Abort after it); handshakes no_group +" +
         num(after.handshakes("no_group") - before.handshakes("no_group")) + ", failed +" +
         num(after.handshakes("failed") - before.handshakes("failed")) + "; " + fleet_line);
  expect_rss_bounded(finish_rss());
}

// ---- scenario 4 ----

TEST_F(HostileNetwork, GarbageAfterTheHandshakeGetsAnAbortOrAClose) {
  constexpr milliseconds kInactivity{2000};
  spec_.inactivity_timeout = "2s";
  launch();
  if (HasFatalFailure()) return;
  // Frames the decoder must refuse: each gets an Abort naming why, then the close.
  const std::vector<std::pair<std::string, std::vector<uint8_t>>> invalid{
      {"bad token length", {0x09, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 9}},
      {"bad option encoding", {0x20, 0x01, 0xf1, 0x00}},              // option delta nibble 15
      {"bad option encoding", {0x30, 0x01, 0xe0, 0xff, 0xff}},        // option number 65804
      {"empty payload after payload marker", {0x10, 0x01, 0xff}},     // marker, then nothing
      {"option runs past the end of the frame", {0x10, 0x01, 0x1d}},  // extended length missing
      {"option runs past the end of the frame", {0x20, 0x01, 0x15, 0x00}},  // value too short
  };
  // Not CoAP at all: whatever the decoder makes of it, the session must end.
  std::vector<std::vector<uint8_t>> junk;
  const std::string http = "GET / HTTP/1.1\r\nHost: dps\r\n\r\n";
  junk.emplace_back(http.begin(), http.end());
  junk.push_back(client_hello());  // a TLS handshake inside the TLS session
  std::mt19937 random(20240606);
  for (int i = 0; i < 30; ++i) {
    std::vector<uint8_t> bytes(64 + random() % 960);
    for (auto& b : bytes) b = static_cast<uint8_t>(random());
    junk.push_back(std::move(bytes));
  }
  const size_t total = invalid.size() + junk.size();

  const Scrape before = scrape();
  auto fleet = start_fleet(25, 8);
  const auto tls = enrolled_identity();
  const uint16_t dps_port = port();
  std::vector<ClosedSession> ends(total);
  std::vector<std::string> errors(total);
  Attack attack;
  attack.run(total, 12, [&](size_t i) -> awaitable<void> {
    auto session = co_await connect_tls(tls, dps_port, 20s);
    if (!session) {
      errors[i] = session.error().internal;
      co_return;
    }
    const auto& bytes = i < invalid.size() ? invalid[i].second : junk[i - invalid.size()];
    auto sent = co_await (*session)->send_raw(bytes);
    (void)sent;  // the server may close before it has read everything: then the read tells
    ends[i] = co_await until_closed(**session, kInactivity + 15s);
  });

  size_t aborted = 0;
  Clock::duration slowest{};
  for (size_t i = 0; i < total; ++i) {
    ASSERT_TRUE(errors[i].empty()) << "connection " << i << ": " << errors[i];
    EXPECT_TRUE(ends[i].closed) << "connection " << i << " still open: " << ends[i].error;
    EXPECT_LE(ends[i].took, kInactivity + milliseconds(static_cast<int64_t>(3000 * kSlow)))
        << "connection " << i;
    slowest = std::max(slowest, ends[i].took);
    const coap::Message* abort = ends[i].first(Code::Abort);
    if (abort) ++aborted;
    if (i < invalid.size()) {
      ASSERT_NE(abort, nullptr) << invalid[i].first << ": no Abort";
      EXPECT_EQ(abort->payload_text(), "bad frame: " + invalid[i].first);
    }
  }

  const std::string fleet_line = expect_all_provisioned(fleet->join());
  const Scrape after =
      scrape_until([](const Scrape& s) { return s.at("dps_open_connections") == 0; });
  EXPECT_EQ(after.at("dps_open_connections"), 0);
  report(std::to_string(total) + " garbage sessions: " + std::to_string(aborted) +
         " answered Abort, all closed within " + seconds(slowest) + "; " + fleet_line);
  expect_rss_bounded(finish_rss());
}

// ---- scenario 5 ----

TEST_F(HostileNetwork, OversizedLengthPrefixesAreAbortedAndAnnouncedSizesAreNotAllocated) {
  constexpr uint32_t kMaxMessage = 1 << 20;  // 1 MiB: 200 of them would show in VmRSS
  spec_.max_message_size = kMaxMessage;
  spec_.inactivity_timeout = "30s";  // the held connections stay until the test closes them
  launch();
  if (HasFatalFailure()) return;
  const std::vector<std::vector<uint8_t>> oversized{
      {0xf0, 0xff, 0xff, 0xff, 0xff},  // 4 GiB + 64 KiB
      length_prefix(kMaxMessage + 1),  // one byte over
      length_prefix(uint64_t{1} << 31),
  };
  constexpr size_t kOversized = 21;
  constexpr size_t kHeld = 200;

  const Scrape before = scrape();
  auto fleet = start_fleet(30, 8);
  const auto tls = enrolled_identity();
  const uint16_t dps_port = port();

  // Part 1: announced sizes above the limit get an Abort and a close, each counted once.
  std::vector<ClosedSession> ends(kOversized);
  std::vector<std::string> errors(kOversized);
  Attack attack;
  attack.run(kOversized, 7, [&](size_t i) -> awaitable<void> {
    auto session = co_await connect_tls(tls, dps_port, 20s);
    if (!session) {
      errors[i] = session.error().internal;
      co_return;
    }
    auto sent = co_await (*session)->send_raw(oversized[i % oversized.size()]);
    (void)sent;
    ends[i] = co_await until_closed(**session, 15s);
  });
  for (size_t i = 0; i < kOversized; ++i) {
    ASSERT_TRUE(errors[i].empty()) << errors[i];
    EXPECT_TRUE(ends[i].closed) << "oversized " << i << " not closed: " << ends[i].error;
    const coap::Message* abort = ends[i].first(Code::Abort);
    ASSERT_NE(abort, nullptr) << "oversized " << i << ": no Abort";
    EXPECT_EQ(abort->payload_text(), "bad frame: message too large");
  }
  const Scrape after_oversized = scrape_until([&](const Scrape& s) {
    return s.limit("max_message_size") - before.limit("max_message_size") >= dbl(kOversized);
  });
  EXPECT_EQ(after_oversized.limit("max_message_size") - before.limit("max_message_size"),
            dbl(kOversized));

  // Part 2: 200 sessions announce a frame just under the limit and send nothing more. The
  // server must not reserve the announced size: its read buffer grows with bytes that arrived.
  const size_t rss_before_hold = vm_rss_kib(dps_->pid());
  std::vector<device::DeviceSessionPtr> held(kHeld);
  const auto prefix = length_prefix(kMaxMessage - 16);
  Attack holders;
  holders.run(kHeld, 20, [&](size_t i) -> awaitable<void> {
    auto session = co_await connect_tls(tls, dps_port, 30s);
    if (!session) co_return;
    auto sent = co_await (*session)->send_raw(prefix);
    if (sent) held[i] = std::move(*session);
  });
  const size_t holding = static_cast<size_t>(
      std::count_if(held.begin(), held.end(), [](const auto& s) { return s != nullptr; }));
  ASSERT_EQ(holding, kHeld) << "not every holder got its session";
  const Scrape while_held =
      scrape_until([&](const Scrape& s) { return s.at("dps_open_connections") >= dbl(kHeld); });
  std::this_thread::sleep_for(500ms);  // every session has read its 5 bytes and waits for more
  const size_t rss_holding = vm_rss_kib(dps_->pid());
  const size_t hold_growth = rss_holding > rss_before_hold ? rss_holding - rss_before_hold : 0;
  EXPECT_GE(while_held.at("dps_open_connections"), dbl(kHeld));
  EXPECT_LT(hold_growth, kRssBoundKib)
      << kHeld << " sessions announcing " << kMaxMessage - 16 << " bytes grew dps by "
      << mib(hold_growth) << " (announced total " << mib(kHeld * (kMaxMessage / 1024)) << ")";
  held.clear();  // the holders leave

  const std::string fleet_line = expect_all_provisioned(fleet->join());
  const Scrape after =
      scrape_until([](const Scrape& s) { return s.at("dps_open_connections") == 0; });
  EXPECT_EQ(after.at("dps_open_connections"), 0);
  // The held sessions were never over the limit.
  EXPECT_EQ(after.limit("max_message_size") - before.limit("max_message_size"), dbl(kOversized));
  report(count_text(kOversized, "oversized announcements") + " aborted; max_message_size +" +
         num(after.limit("max_message_size") - before.limit("max_message_size")) + "; " +
         count_text(kHeld, "sessions") + " announcing " + std::to_string(kMaxMessage - 16) +
         " bytes held: VmRSS " + mib(rss_before_hold) + " -> " + mib(rss_holding) + " (+" +
         mib(hold_growth) + ", " + std::to_string(hold_growth / kHeld) +
         " KiB per session; announced " + mib(kHeld * (kMaxMessage / 1024)) + "); " + fleet_line);
  expect_rss_bounded(finish_rss());
}

// ---- scenario 6 ----

TEST_F(HostileNetwork, PingFloodIsCutAtMaxRequestsPerSessionAndCountedOncePerConnection) {
  constexpr size_t kMaxMessages = 16;
  spec_.max_requests_per_session = kMaxMessages;
  launch();
  if (HasFatalFailure()) return;
  constexpr size_t kSessions = 5;
  constexpr size_t kPings = 2000;
  std::vector<uint8_t> flood;
  for (size_t i = 0; i < kPings; ++i) {
    std::vector<uint8_t> token(8);
    for (size_t b = 0; b < token.size(); ++b) token[b] = static_cast<uint8_t>(i >> (8 * (b % 4)));
    coap::encode_frame(coap::make_ping(std::move(token)), flood);
  }

  const Scrape before = scrape();
  auto fleet = start_fleet(25, 8);
  const auto tls = enrolled_identity();
  const uint16_t dps_port = port();
  std::vector<ClosedSession> ends(kSessions);
  std::vector<std::string> errors(kSessions);
  Attack attack;
  attack.run(kSessions, kSessions, [&](size_t i) -> awaitable<void> {
    auto session = co_await connect_tls(tls, dps_port, 20s);
    if (!session) {
      errors[i] = session.error().internal;
      co_return;
    }
    auto sent = co_await (*session)->send_raw(flood);  // every ping in one write
    (void)sent;  // the server stops reading after the limit: the rest may meet a reset
    ends[i] = co_await until_closed(**session, 15s);
  });
  size_t aborts = 0;
  size_t most_pongs = 0;
  for (size_t i = 0; i < kSessions; ++i) {
    ASSERT_TRUE(errors[i].empty()) << errors[i];
    EXPECT_TRUE(ends[i].closed) << "session " << i << " not closed: " << ends[i].error;
    EXPECT_LE(ends[i].count(Code::Pong), kMaxMessages) << "session " << i;
    most_pongs = std::max(most_pongs, ends[i].count(Code::Pong));
    if (const auto* abort = ends[i].first(Code::Abort)) {
      ++aborts;
      EXPECT_EQ(abort->payload_text(), "too many messages in one session");
    }
  }

  const std::string fleet_line = expect_all_provisioned(fleet->join());
  const Scrape after = scrape_until([&](const Scrape& s) {
    return s.limit("max_requests_per_session") - before.limit("max_requests_per_session") >=
               dbl(kSessions) &&
           s.at("dps_open_connections") == 0;
  });
  EXPECT_EQ(after.limit("max_requests_per_session") - before.limit("max_requests_per_session"),
            dbl(kSessions));
  report(count_text(kSessions, "sessions") + " x " + count_text(kPings, "pipelined pings") +
         ": at most " + std::to_string(most_pongs) + " Pongs each, " + std::to_string(aborts) +
         " Aborts seen (the rest lost to the reset of unread pings); max_requests_per_session +" +
         num(after.limit("max_requests_per_session") - before.limit("max_requests_per_session")) +
         "; " + fleet_line);
  expect_rss_bounded(finish_rss());
}

// ---- scenario 7 ----

TEST_F(HostileNetwork, DevicesResettingMidRequestLeaveNothingBehind) {
  launch();
  if (HasFatalFailure()) return;
  constexpr size_t kResets = 120;
  const auto tls13 = enrolled_identity();
  const auto tls12 = enrolled_identity(true);
  // The identity's own device id: dps pins it to the record, and the normal device provisioned at
  // the end is the same identity.
  const std::string device_id = tls13->default_device_id();
  auto csr = device::make_device_csr(device_id);
  ASSERT_TRUE(csr) << csr.error().internal;
  const auto ownership = coap::encode_frame(device::make_ownership_request());
  const auto credentials =
      coap::encode_frame(device::make_credentials_request(device_id, csr->csr_pem));
  auto pipelined = coap::encode_frame(device::make_time_request());
  pipelined.insert(pipelined.end(), ownership.begin(), ownership.end());
  const std::vector<std::vector<uint8_t>> requests{ownership, credentials, pipelined};

  const Scrape before = scrape();
  auto fleet = start_fleet(30, 10);
  const uint16_t dps_port = port();
  std::vector<std::string> errors(kResets);
  Attack attack;
  attack.run(kResets, 12, [&](size_t i) -> awaitable<void> {
    auto session = co_await connect_tls(i % 2 ? tls12 : tls13, dps_port, 20s);
    if (!session) {
      errors[i] = session.error().internal;
      co_return;
    }
    auto sent = co_await (*session)->send_raw(requests[i % requests.size()]);
    if (!sent) errors[i] = sent.error().internal;
    if (i % 4 == 3) {  // sometimes while the server is signing or committing
      boost::asio::steady_timer pause(co_await boost::asio::this_coro::executor,
                                      milliseconds(i % 15));
      co_await pause.async_wait(boost::asio::use_awaitable);
    }
    reset_connection(**session);
  });
  for (size_t i = 0; i < kResets; ++i) EXPECT_TRUE(errors[i].empty()) << errors[i];

  const std::string fleet_line = expect_all_provisioned(fleet->join());
  const Scrape after =
      scrape_until([](const Scrape& s) { return s.at("dps_open_connections") == 0; });
  EXPECT_EQ(after.at("dps_open_connections"), 0) << "sessions left behind by resets";
  EXPECT_GE(after.at("dps_connections_total") - before.at("dps_connections_total"), dbl(kResets));
  expect_server_serves();  // and a fresh device still provisions
  report(count_text(kResets, "requests reset before the answer") + "; open connections back to " +
         std::to_string(static_cast<int>(after.at("dps_open_connections"))) + "; " + fleet_line);
  expect_rss_bounded(finish_rss());
}

// ---- scenario 8 ----

TEST_F(HostileNetwork, FloodFromOneSourceIsRateLimitedWhileOtherSourcesProvision) {
  constexpr double kRate = 20;
  constexpr uint32_t kBurst = 20;
  spec_.connection_rate_per_source = static_cast<uint32_t>(kRate);
  spec_.connection_rate_burst = kBurst;
  spec_.handshake_timeout = "8s";  // admitted flood connections wait until the test closes them
  launch();
  if (HasFatalFailure()) return;
  constexpr size_t kFlood = 200;

  const Scrape before = scrape();
  // Two connections per device at 4 devices/s: well within 127.0.0.1's own budget.
  auto fleet = start_fleet(20, 4);
  std::vector<RawConnection> flood;
  const auto start = Clock::now();
  for (size_t i = 0; i < kFlood; ++i) flood.push_back(RawConnection::open(port(), "127.0.0.2"));
  const auto flood_took = Clock::now() - start;
  // Refused connections are closed at accept; admitted ones wait for a ClientHello (until the
  // handshake timeout, far away). Poll until what the flooder sees closed and the counter agree
  // and stop moving.
  std::vector<bool> closed(kFlood, false);
  size_t refused = 0;
  double last_count = -1;
  Scrape counted = before;
  const auto settle_deadline = Clock::now() + 4s;
  while (Clock::now() < settle_deadline) {
    std::this_thread::sleep_for(200ms);
    for (size_t i = 0; i < kFlood; ++i) {
      if (!closed[i] && flood[i].peer_closed_now()) {
        closed[i] = true;
        ++refused;
      }
    }
    counted = scrape();
    const double count =
        counted.limit("source_connection_rate") - before.limit("source_connection_rate");
    if (count == dbl(refused) && count == last_count) break;
    last_count = count;
  }
  const size_t admitted = kFlood - refused;
  EXPECT_EQ(counted.limit("source_connection_rate") - before.limit("source_connection_rate"),
            dbl(refused))
      << "every refused flood connection, and nothing else, is counted";
  EXPECT_GE(admitted, kBurst);
  const double refill = kRate * std::chrono::duration<double>(flood_took).count();
  EXPECT_LE(admitted, kBurst + static_cast<size_t>(refill + 2 + kRate * 0.2 * kSlow))
      << "flood of " << kFlood << " in " << seconds(flood_took);
  // The admitted ones end in the handshake when the flooder leaves.
  flood.clear();

  const std::string fleet_line = expect_all_provisioned(fleet->join());
  const Scrape after = scrape_until([&](const Scrape& s) {
    return s.handshakes("failed") - before.handshakes("failed") >= dbl(admitted) &&
           s.at("dps_open_connections") == 0;
  });
  EXPECT_EQ(after.handshakes("failed") - before.handshakes("failed"), dbl(admitted));
  EXPECT_EQ(after.limit("source_connection_rate") - before.limit("source_connection_rate"),
            dbl(refused))
      << "a legitimate device from 127.0.0.1 was refused";
  report(count_text(kFlood, "connections") + " from 127.0.0.2 in " + seconds(flood_took) + ": " +
         std::to_string(admitted) + " admitted, " + std::to_string(refused) +
         " refused at accept; source_connection_rate +" +
         num(after.limit("source_connection_rate") - before.limit("source_connection_rate")) +
         "; " + fleet_line);
  expect_rss_bounded(finish_rss());
}

// ---- scenario 9 ----

TEST_F(HostileNetwork, ConnectionsBeyondMaxConnectionsAreClosedAtAcceptUntilSlotsFree) {
  constexpr size_t kMax = 40;
  constexpr size_t kExtra = 15;
  constexpr milliseconds kHandshakeTimeout{3000};
  spec_.max_connections = kMax;
  spec_.handshake_timeout = "3s";
  launch();
  if (HasFatalFailure()) return;

  const Scrape before = scrape();
  std::vector<RawConnection> idle;
  for (size_t i = 0; i < kMax; ++i) idle.push_back(RawConnection::open(port()));
  const Scrape full =
      scrape_until([&](const Scrape& s) { return s.at("dps_open_connections") >= dbl(kMax); });
  ASSERT_EQ(full.at("dps_open_connections"), dbl(kMax));
  std::vector<RawConnection> extra;
  for (size_t i = 0; i < kExtra; ++i) extra.push_back(RawConnection::open(port()));
  const auto extra_closed = wait_peer_closed(extra, Clock::now() + 5s);
  EXPECT_TRUE(std::all_of(extra_closed.begin(), extra_closed.end(), [](const auto& t) {
    return t.has_value();
  })) << "connections beyond the limit were not closed at accept";
  const Scrape refused = scrape();
  EXPECT_EQ(refused.limit("max_connections") - before.limit("max_connections"), dbl(kExtra));
  size_t idle_closed_early = 0;
  for (auto& conn : idle) idle_closed_early += conn.peer_closed_now() ? 1 : 0;
  EXPECT_EQ(idle_closed_early, 0u);

  // Devices arrive while every slot is taken: refused at first, they retry and get in once the
  // handshake timeout has freed the slots.
  auto fleet = start_fleet(20, 0);
  const auto idle_closed = wait_peer_closed(idle, Clock::now() + kHandshakeTimeout + 15s);
  size_t idle_left = 0;
  for (size_t i = 0; i < kMax; ++i) {
    if (!idle_closed[i]) {
      ++idle_left;
    } else {
      EXPECT_GE(*idle_closed[i] - idle[i].opened_at(), kHandshakeTimeout * 9 / 10);
    }
  }
  EXPECT_EQ(idle_left, 0u);
  const std::string fleet_line = expect_all_provisioned(fleet->join());
  const Scrape after = scrape_until([&](const Scrape& s) {
    return s.at("dps_open_connections") == 0 &&
           s.limit("handshake_timeout") - before.limit("handshake_timeout") >= dbl(kMax);
  });
  EXPECT_EQ(after.limit("handshake_timeout") - before.limit("handshake_timeout"), dbl(kMax));
  EXPECT_GE(after.limit("max_connections") - before.limit("max_connections"), dbl(kExtra));
  report(count_text(kMax, "idle connections") + " filled maxConnections; " +
         count_text(kExtra, "more") + " closed at accept (max_connections +" +
         num(refused.limit("max_connections") - before.limit("max_connections")) + "; +" +
         num(after.limit("max_connections") - before.limit("max_connections")) +
         " with the devices refused while full); " + fleet_line);
  expect_rss_bounded(finish_rss());
}

// ---- scenario 10 ----

TEST_F(HostileNetwork, ApiTokenFloodGets429AndOversizedBodies413) {
  constexpr size_t kBurst = 5;
  spec_.api_rate_per_token = 5;
  spec_.api_rate_burst = kBurst;
  launch();
  if (HasFatalFailure()) return;
  const std::string flooder = admin_token(spec_.data_dir, "5e5e5e5e-0000-4000-8000-00000000000e");
  const std::string bystander = admin_token(spec_.data_dir, "5f5f5f5f-0000-4000-8000-00000000000f");
  const ApiClient api(dps_->api_port(), server_ca_pem_);
  constexpr size_t kRequests = 30;

  const Scrape before = scrape();
  auto fleet = start_fleet(20, 10);
  std::vector<HttpAnswer> answers;
  const auto start = Clock::now();
  for (size_t i = 0; i < kRequests; ++i) {
    answers.push_back(api.call(Verb::get, "/api/v1/hubs", flooder));
  }
  const auto flood_took = Clock::now() - start;
  size_t limited = 0;
  for (size_t i = 0; i < kRequests; ++i) {
    const auto& answer = answers[i];
    if (i < kBurst) {
      EXPECT_EQ(answer.status, 200u) << "request " << i << " within the burst: " << answer.body;
      continue;
    }
    if (answer.status == 200) continue;
    ++limited;
    EXPECT_TRUE(is_api_error(answer, 429, 8, "too many requests")) << "request " << i;
    EXPECT_EQ(answer.retry_after, "1") << "request " << i;
  }
  // At most the burst plus what refilled meanwhile got through.
  const double refilled = 5 * std::chrono::duration<double>(flood_took).count();
  EXPECT_GT(limited, 0u);
  EXPECT_LE(dbl(kRequests - limited), dbl(kBurst) + refilled + 1)
      << kRequests << " requests in " << seconds(flood_took);
  // Another token keeps its own budget.
  const auto other = api.call(Verb::get, "/api/v1/hubs", bystander);
  EXPECT_EQ(other.status, 200u) << other.body;
  // And the flooder gets in again after Retry-After.
  std::this_thread::sleep_for(1100ms);
  const auto again = api.call(Verb::get, "/api/v1/hubs", flooder);
  EXPECT_EQ(again.status, 200u) << again.body;

  // Bodies above apis.http.maxBodySize (1 MiB): 413 before anything is buffered.
  const std::string huge(1536 * 1024, 'x');
  const auto plain = api.call(Verb::post, "/api/v1/hubs", bystander, huge);
  EXPECT_TRUE(is_api_error(plain, 413, 8, "larger than"));
  HttpRequest chunked{Verb::post, "/api/v1/hubs", "Bearer " + bystander, huge, true};
  const auto chunked_answer = api.send(chunked);
  EXPECT_TRUE(is_api_error(chunked_answer, 413, 8, "larger than"));

  const std::string fleet_line = expect_all_provisioned(fleet->join());
  const Scrape after = scrape();
  EXPECT_EQ(after.limit("api_token_rate") - before.limit("api_token_rate"), dbl(limited));
  EXPECT_EQ(after.limit("api_body_size") - before.limit("api_body_size"), 2);
  EXPECT_EQ(after.at("dps_api_requests_total", {{"method", "GET"}, {"status", "429"}}) -
                before.at("dps_api_requests_total", {{"method", "GET"}, {"status", "429"}}),
            dbl(limited));
  report(count_text(kRequests, "requests") + " with one token in " + seconds(flood_took) + ": " +
         std::to_string(kRequests - limited) + " answered, " + std::to_string(limited) +
         " refused 429; api_token_rate +" +
         num(after.limit("api_token_rate") - before.limit("api_token_rate")) +
         "; 2 bodies of 1.5 MiB refused 413, api_body_size +" +
         num(after.limit("api_body_size") - before.limit("api_body_size")) + "; " + fleet_line);
  expect_rss_bounded(finish_rss());
}

}  // namespace
}  // namespace dps::itest::hostile
