#include "net/connection_admission.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/write.hpp>

#include "metrics/metrics.hpp"

namespace dps::net {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

bool counted(const metrics::Metrics& metrics, const std::string& limit, int value) {
  const std::string sample =
      "dps_limits_triggered_total{limit=\"" + limit + "\"} " + std::to_string(value) + "\n";
  return metrics.render().find(sample) != std::string::npos;
}

TEST(ConnectionAdmission, RefusesBeyondTheCapUntilAConnectionEnds) {
  metrics::Metrics metrics;
  ConnectionAdmission admission({"apis.http",
                                 2,
                                 {},
                                 metrics::Limit::ApiMaxConnections,
                                 metrics::Limit::ApiSourceConnectionRate},
                                &metrics);
  const auto peer = asio::ip::make_address("192.0.2.1");
  EXPECT_TRUE(admission.admit(peer));
  EXPECT_TRUE(admission.admit(std::nullopt));  // unknown address: the cap still applies
  EXPECT_FALSE(admission.admit(peer));
  EXPECT_EQ(admission.open(), 2u);
  admission.release();
  EXPECT_TRUE(admission.admit(peer));
  EXPECT_TRUE(counted(metrics, "api_max_connections", 1));
  EXPECT_TRUE(counted(metrics, "max_connections", 0)) << "the device port's label is not used";
}

TEST(ConnectionAdmission, RateLimitsEachSourceOnItsOwn) {
  metrics::Metrics metrics;
  ConnectionAdmission admission({"apis.coap",
                                 100,
                                 {.per_second = 0.001, .burst = 2},
                                 metrics::Limit::MaxConnections,
                                 metrics::Limit::SourceConnectionRate},
                                &metrics);
  const auto flooder = asio::ip::make_address("192.0.2.1");
  EXPECT_TRUE(admission.admit(flooder));
  EXPECT_TRUE(admission.admit(flooder));
  EXPECT_FALSE(admission.admit(flooder));
  EXPECT_TRUE(admission.admit(asio::ip::make_address("192.0.2.2")));
  EXPECT_TRUE(admission.admit(std::nullopt)) << "no address, no bucket";
  EXPECT_EQ(admission.open(), 4u) << "a refused connection does not count as open";
  EXPECT_TRUE(counted(metrics, "source_connection_rate", 1));
}

TEST(SourceKey, Ipv6SourcesShareTheirSlash64) {
  const auto key = [](const char* text) { return source_key(asio::ip::make_address(text)); };
  EXPECT_EQ(key("2001:db8:1:2::1"), key("2001:db8:1:2:ffff::9"));
  EXPECT_NE(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
  EXPECT_NE(key("192.0.2.1"), key("192.0.2.2"));
  EXPECT_EQ(key("::ffff:192.0.2.1"), key("192.0.2.1"));
}

// Real loopback sockets: the wait ends with the first byte, or at the deadline for a silent peer.
TEST(FirstBytesBefore, TrueOnceThePeerSpeaksFalseAtTheDeadlineOtherwise) {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
  const auto run = [&](bool speak) {
    asio::ip::tcp::socket client(io);
    client.connect(acceptor.local_endpoint());
    asio::ip::tcp::socket server = acceptor.accept();
    if (speak) asio::write(client, asio::buffer("\x16", 1));
    std::optional<bool> spoke;
    const auto started = std::chrono::steady_clock::now();
    asio::co_spawn(io, first_bytes_before(server, started + 200ms),
                   [&](std::exception_ptr, bool result) { spoke = result; });
    io.restart();
    io.run();
    return std::pair{spoke, std::chrono::steady_clock::now() - started};
  };
  const auto [silent, silent_took] = run(false);
  ASSERT_TRUE(silent.has_value());
  EXPECT_FALSE(*silent);
  EXPECT_GE(silent_took, 190ms);
  const auto [spoke, spoke_took] = run(true);
  ASSERT_TRUE(spoke.has_value());
  EXPECT_TRUE(*spoke);
  EXPECT_LT(spoke_took, 190ms);
}

}  // namespace
}  // namespace dps::net
