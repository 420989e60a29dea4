// Hostile network, the management API's port (issue 12): the defences the device port has, on the
// API listener. Idle connections beyond apis.http.maxConnections (and its descriptor budget) are
// closed at accept, idle ones hold no TLS state and are closed at apis.http.handshakeTimeout, and a
// source spraying fresh invalid tokens is cut off by apis.http.authFailureLimit. As in every
// scenario of the suite, legitimate devices provision throughout and must all succeed.
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <random>

#include "hostile/hostile_fixture.hpp"
#include "support/api_client.hpp"
#include "support/api_fixture.hpp"

namespace dps::itest::hostile {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

// Lowers this process's soft RLIMIT_NOFILE while dps is spawned (posix_spawn: the child inherits
// it), then puts it back, so dps runs with a small descriptor pool and the test does not.
class ScopedDescriptorLimit {
 public:
  explicit ScopedDescriptorLimit(rlim_t soft) {
    if (getrlimit(RLIMIT_NOFILE, &saved_) != 0) throw std::runtime_error("getrlimit failed");
    rlimit lowered = saved_;
    lowered.rlim_cur = soft;
    if (setrlimit(RLIMIT_NOFILE, &lowered) != 0) throw std::runtime_error("setrlimit failed");
  }
  ~ScopedDescriptorLimit() { setrlimit(RLIMIT_NOFILE, &saved_); }
  ScopedDescriptorLimit(const ScopedDescriptorLimit&) = delete;
  ScopedDescriptorLimit& operator=(const ScopedDescriptorLimit&) = delete;

 private:
  rlimit saved_{};
};

// ---- scenario 11 ----

// dps runs with 400 descriptors: its API may hold 400 / 8 = 50 connections (the descriptor
// budget, below the default apis.http.maxConnections). Without it, 450 idle API connections take
// every descriptor, and devices fail at accept with EMFILE until the idle ones are closed.
TEST_F(HostileNetwork, IdleApiFloodIsCappedByTheDescriptorBudgetWhileDevicesAndApiClientsGetIn) {
  constexpr rlim_t kDescriptors = 400;
  constexpr size_t kBudget = kDescriptors / 8;
  constexpr size_t kFlood = 450;
  constexpr milliseconds kTimeout{2000};
  spec_.api_handshake_timeout = "2s";
  {
    ScopedDescriptorLimit small_pool(kDescriptors);
    launch();
  }
  if (HasFatalFailure()) return;
  EXPECT_NE(dps_->log().find("management API: at most " + std::to_string(kBudget) +
                             " connections (apis.http.maxConnections 1024, descriptor budget " +
                             std::to_string(kBudget)),
            std::string::npos)
      << "the effective cap is logged at start";
  const Scrape before = scrape();
  auto fleet = start_fleet(20, 10);

  std::vector<RawConnection> flood;
  for (size_t i = 0; i < kFlood; ++i) {
    flood.push_back(RawConnection::open(dps_->api_port(), "127.0.0.2"));
  }
  const auto flooded = Clock::now();
  // Those beyond the budget are closed at accept; the admitted ones wait for bytes.
  const auto refused = wait_peer_closed(flood, flooded + kTimeout / 2);
  std::vector<RawConnection> admitted;
  for (size_t i = 0; i < kFlood; ++i) {
    if (!refused[i]) admitted.push_back(std::move(flood[i]));
  }
  const size_t at_accept = kFlood - admitted.size();
  EXPECT_EQ(at_accept, kFlood - kBudget);
  EXPECT_EQ(admitted.size(), kBudget);

  // A well-behaved client meanwhile: refused at accept while the idle connections hold every
  // slot, it retries and is served once the handshake timeout has freed them.
  const ApiClient api(dps_->api_port(), server_ca_pem_, std::chrono::seconds(5));
  const std::string token = admin_token(spec_.data_dir, "7a7a7a7a-0000-4000-8000-00000000000a");
  size_t refused_attempts = 0;
  HttpAnswer served;
  while (Clock::now() - flooded < kTimeout * 3 * kSlow) {
    try {
      served = api.call(Verb::get, "/api/v1/hubs", token);
      break;
    } catch (const std::exception&) {
      ++refused_attempts;
      std::this_thread::sleep_for(20ms);
    }
  }
  const auto client_waited = Clock::now() - flooded;
  EXPECT_EQ(served.status, 200u) << served.body;
  EXPECT_LT(client_waited, kTimeout + milliseconds(static_cast<long>(1500 * kSlow)))
      << "the API client waited longer than the handshake timeout and a margin";

  // The admitted ones held their slot until the handshake timeout, not longer.
  const auto closed = wait_peer_closed(admitted, flooded + kTimeout + 5s);
  size_t at_timeout = 0;
  for (size_t i = 0; i < admitted.size(); ++i) {
    if (closed[i] && *closed[i] - admitted[i].opened_at() >= kTimeout * 9 / 10) ++at_timeout;
  }
  EXPECT_EQ(at_timeout, kBudget) << "closed early or never";

  const std::string fleet_line = expect_all_provisioned(fleet->join());
  const Scrape after = scrape_until([&](const Scrape& s) {
    return s.at("dps_api_open_connections") == 1;  // this scrape's own
  });
  EXPECT_EQ(after.limit("api_max_connections") - before.limit("api_max_connections"),
            dbl(kFlood - kBudget + refused_attempts));
  EXPECT_EQ(after.limit("api_handshake_timeout") - before.limit("api_handshake_timeout"),
            dbl(kBudget));
  EXPECT_EQ(after.at("dps_api_open_connections"), 1);
  EXPECT_EQ(after.limit("max_connections") - before.limit("max_connections"), 0)
      << "a device was refused";
  report(std::to_string(kFlood) + " idle API connections at RLIMIT_NOFILE " +
         std::to_string(kDescriptors) + ": " + std::to_string(at_timeout) + " held until " +
         seconds(kTimeout) + ", " + std::to_string(at_accept) + " closed at accept; API client " +
         "served after " + seconds(client_waited) + " (" + std::to_string(refused_attempts) +
         " attempts refused); api_max_connections +" +
         num(after.limit("api_max_connections") - before.limit("api_max_connections")) + "; " +
         fleet_line);
  expect_rss_bounded(finish_rss());
}

// ---- scenario 12 ----

TEST_F(HostileNetwork, IdleApiConnectionsHoldNoTlsStateAndCloseAtTheHandshakeTimeout) {
  constexpr size_t kSilent = 400;    // connect and never send a byte
  constexpr size_t kHalfHello = 50;  // half a ClientHello, then nothing: TLS state, same deadline
  constexpr milliseconds kTimeout{2000};
  spec_.api_handshake_timeout = "2s";
  launch();
  if (HasFatalFailure()) return;
  const Scrape before = scrape();
  const size_t rss_idle_before = vm_rss_kib(dps_->pid());

  std::vector<RawConnection> silent;
  for (size_t i = 0; i < kSilent; ++i) silent.push_back(RawConnection::open(dps_->api_port()));
  const auto opened = Clock::now();
  // All accepted (the scrape's own connection is the +1): memory is what they cost now.
  const Scrape held = scrape_until(
      [&](const Scrape& s) { return s.at("dps_api_open_connections") >= dbl(kSilent + 1); }, 1s);
  ASSERT_GE(held.at("dps_api_open_connections"), dbl(kSilent + 1));
  const size_t rss_idle_after = vm_rss_kib(dps_->pid());
  const size_t per_connection =
      (rss_idle_after > rss_idle_before ? rss_idle_after - rss_idle_before : 0) * 1024 / kSilent;
  // A TLS stream is ~90 KiB from its creation; a socket and a coroutine frame a few KiB.
  EXPECT_LT(per_connection, 16u * 1024)
      << "an idle API connection costs " << per_connection << " bytes of dps's memory";

  auto fleet = start_fleet(10, 10);
  const auto hello = client_hello();
  std::vector<RawConnection> half;
  for (size_t i = 0; i < kHalfHello; ++i) {
    half.push_back(RawConnection::open(dps_->api_port()));
    ASSERT_TRUE(half.back().send_all(std::span<const uint8_t>(hello.data(), hello.size() / 2)));
  }
  const auto silent_closed = wait_peer_closed(silent, opened + kTimeout + 5s);
  const auto half_closed = wait_peer_closed(half, Clock::now() + kTimeout + 5s);
  CloseTimes times;
  times.add(silent, silent_closed, kTimeout * 9 / 10);
  times.add(half, half_closed, kTimeout * 9 / 10);
  EXPECT_EQ(times.still_open, 0u) << "connections the server never closed";
  EXPECT_EQ(times.early, 0u) << "closed before the handshake timeout";
  EXPECT_LT(times.slowest, kTimeout + milliseconds(static_cast<long>(1500 * kSlow)));

  const std::string fleet_line = expect_all_provisioned(fleet->join());
  const Scrape after = scrape_until([&](const Scrape& s) {
    return s.limit("api_handshake_timeout") - before.limit("api_handshake_timeout") >=
               dbl(kSilent + kHalfHello) &&
           s.at("dps_api_open_connections") == 1;
  });
  EXPECT_EQ(after.limit("api_handshake_timeout") - before.limit("api_handshake_timeout"),
            dbl(kSilent + kHalfHello));
  EXPECT_EQ(after.at("dps_api_open_connections"), 1);
  // A line per silent connection would let anyone fill the disk: at most 5 a second.
  const double attack_s = std::chrono::duration<double>(Clock::now() - opened).count();
  const std::string log = dps_->log();
  const size_t silent_lines =
      count_lines_with(log, "sent nothing within apis.http.handshakeTimeout");
  EXPECT_GE(silent_lines, 1u);
  EXPECT_LE(silent_lines, static_cast<size_t>(5 * (attack_s + 2)));
  EXPECT_LT(silent_lines, kSilent);
  report(std::to_string(kSilent) + " silent API connections cost " +
         std::to_string(per_connection) + " B each (VmRSS " + mib(rss_idle_before) + " -> " +
         mib(rss_idle_after) + "); " + std::to_string(kSilent + kHalfHello) +
         " (with half-ClientHello ones) closed after " + seconds(times.fastest) + " .. " +
         seconds(times.slowest) + "; " + std::to_string(silent_lines) + " log lines; " +
         fleet_line);
  expect_rss_bounded(finish_rss());
}

// ---- scenario 13 ----

// Today's per-token limit keys on the token's text: a client that sends a fresh token with every
// request is never limited by it. The per-source limit counts the failures themselves.
TEST_F(HostileNetwork, SourceSprayingFreshTokensGets429AfterTheLimitWhileAnotherSourceGets200) {
  constexpr size_t kLimit = 10;
  constexpr size_t kSpray = 30;
  spec_.api_auth_failures_per_source = kLimit;
  spec_.api_auth_failure_window = "3s";
  spec_.api_rate_per_token = 5;  // on, and escaped by the spray: every token is new
  spec_.api_rate_burst = 5;
  launch();
  if (HasFatalFailure()) return;
  const ApiClient sprayer(dps_->api_port(), server_ca_pem_, std::chrono::seconds(20), "127.0.0.2");
  const ApiClient bystander(dps_->api_port(), server_ca_pem_);
  const std::string valid = admin_token(spec_.data_dir, "7b7b7b7b-0000-4000-8000-00000000000b");
  const Scrape before = scrape();
  auto fleet = start_fleet(10, 10);

  std::mt19937_64 random{std::random_device{}()};
  const auto fresh_token = [&] {
    const auto part = [&] {
      char text[17];
      std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(random()));
      return std::string(text);
    };
    return part() + "." + part() + "." + part();
  };
  std::vector<std::string> sprayed;
  const auto spray_started = Clock::now();
  size_t unauthorized = 0;
  size_t limited = 0;
  for (size_t i = 0; i < kSpray; ++i) {
    sprayed.push_back(fresh_token());
    const auto answer = sprayer.call(Verb::get, "/api/v1/hubs", sprayed.back());
    if (i < kLimit) {
      EXPECT_TRUE(is_api_error(answer, 401, 16, "")) << "request " << i;
      unauthorized += answer.status == 401 ? 1 : 0;
      continue;
    }
    EXPECT_TRUE(is_api_error(answer, 429, 8, "too many failed authentications")) << "request " << i;
    limited += answer.status == 429 ? 1 : 0;
    const int retry_after = answer.retry_after.empty() ? 0 : std::stoi(answer.retry_after);
    EXPECT_GE(retry_after, 1) << "request " << i;
    EXPECT_LE(retry_after, 3) << "request " << i;
  }
  const auto spray_took = Clock::now() - spray_started;
  // Whatever the token: a valid one is not even verified while the source is over the limit.
  const auto valid_from_sprayer = sprayer.call(Verb::get, "/api/v1/hubs", valid);
  EXPECT_TRUE(is_api_error(valid_from_sprayer, 429, 8, "too many failed authentications"));
  // Only the API is closed to it: the public documents still answer.
  EXPECT_EQ(sprayer.call(Verb::get, "/healthz", "").status, 200u);
  // Another source keeps its own count.
  const auto other = bystander.call(Verb::get, "/api/v1/hubs", valid);
  EXPECT_EQ(other.status, 200u) << other.body;
  // A 401 after the throttle window carries the count of the 401 lines held back.
  std::this_thread::sleep_for(1100ms);
  EXPECT_EQ(bystander.call(Verb::get, "/api/v1/hubs", fresh_token()).status, 401u);
  // After Retry-After, the window is over and the sprayer's valid token is served.
  std::this_thread::sleep_until(spray_started + 3100ms);
  const auto later = sprayer.call(Verb::get, "/api/v1/hubs", valid);
  EXPECT_EQ(later.status, 200u) << later.body;

  const std::string fleet_line = expect_all_provisioned(fleet->join());
  const Scrape after = scrape();
  EXPECT_EQ(after.limit("api_auth_failures") - before.limit("api_auth_failures"), dbl(limited + 1));
  EXPECT_EQ(after.limit("api_token_rate") - before.limit("api_token_rate"), 0)
      << "the per-token limit saw each sprayed token once";
  const Labels get_401{{"method", "GET"}, {"status", "401"}};
  EXPECT_EQ(
      after.at("dps_api_requests_total", get_401) - before.at("dps_api_requests_total", get_401),
      dbl(unauthorized + 1));
  // 401 lines: throttled (5 a second), with the held-back ones counted, and no token in them.
  const std::string log = dps_->log();
  const size_t sprayer_lines = count_lines_with(log, "http peer=127.0.0.2 GET \"/api/v1/hubs\"");
  EXPECT_GE(sprayer_lines, 1u);
  EXPECT_LT(sprayer_lines, unauthorized) << "every 401 got its own log line";
  EXPECT_NE(log.find("similar lines suppressed)"), std::string::npos);
  for (const auto& token : sprayed) {
    EXPECT_EQ(log.find(token.substr(0, 16)), std::string::npos) << "a token in dps's log";
  }
  report(std::to_string(kSpray) + " fresh tokens from 127.0.0.2 in " + seconds(spray_took) + ": " +
         std::to_string(unauthorized) + " answered 401, " + std::to_string(limited) +
         " refused 429 unverified; api_auth_failures +" +
         num(after.limit("api_auth_failures") - before.limit("api_auth_failures")) + "; " +
         std::to_string(sprayer_lines) + " log lines for them; 127.0.0.1 served meanwhile; " +
         fleet_line);
  expect_rss_bounded(finish_rss());
}

// ---- scenario 14 ----

TEST_F(HostileNetwork, ApiConnectionFloodFromOneSourceIsRateLimitedAtAccept) {
  constexpr double kRate = 20;
  constexpr uint32_t kBurst = 20;
  constexpr size_t kFlood = 150;
  spec_.api_connection_rate_per_source = static_cast<uint32_t>(kRate);
  spec_.api_connection_rate_burst = kBurst;
  spec_.api_handshake_timeout = "1s";  // the admitted flood connections are silent
  launch();
  if (HasFatalFailure()) return;
  const Scrape before = scrape();
  auto fleet = start_fleet(10, 10);

  std::vector<RawConnection> flood;
  const auto start = Clock::now();
  for (size_t i = 0; i < kFlood; ++i) {
    flood.push_back(RawConnection::open(dps_->api_port(), "127.0.0.2"));
  }
  const auto flood_took = Clock::now() - start;
  // Refused ones are closed at accept, admitted ones at the handshake timeout (1 s).
  const auto closed = wait_peer_closed(flood, start + 500ms);
  size_t refused = 0;
  for (const auto& at : closed) refused += at ? 1 : 0;
  const size_t admitted = kFlood - refused;
  EXPECT_GE(admitted, kBurst);
  const double refill = kRate * std::chrono::duration<double>(flood_took).count();
  EXPECT_LE(admitted, kBurst + static_cast<size_t>(refill + 2 + kRate * 0.2 * kSlow))
      << "flood of " << kFlood << " in " << seconds(flood_took);
  // Another source is not limited by the flooder's bucket: the scrapes from 127.0.0.1 get in.
  const Scrape after = scrape_until([&](const Scrape& s) {
    return s.limit("api_handshake_timeout") - before.limit("api_handshake_timeout") >=
           dbl(admitted);
  });
  EXPECT_EQ(after.limit("api_source_connection_rate") - before.limit("api_source_connection_rate"),
            dbl(refused));
  EXPECT_EQ(after.limit("api_handshake_timeout") - before.limit("api_handshake_timeout"),
            dbl(admitted));
  const std::string fleet_line = expect_all_provisioned(fleet->join());
  report(
      std::to_string(kFlood) + " API connections from 127.0.0.2 in " + seconds(flood_took) + ": " +
      std::to_string(admitted) + " admitted, " + std::to_string(refused) +
      " refused at accept; api_source_connection_rate +" +
      num(after.limit("api_source_connection_rate") - before.limit("api_source_connection_rate")) +
      "; " + fleet_line);
  expect_rss_bounded(finish_rss());
}

}  // namespace
}  // namespace dps::itest::hostile
