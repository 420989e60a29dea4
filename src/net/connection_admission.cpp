#include "net/connection_admission.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>

namespace dps::net {
namespace {

namespace asio = boost::asio;
// Out of file descriptors: give sessions a moment to finish instead of spinning on accept.
constexpr std::chrono::milliseconds kAcceptBackoff{100};

}  // namespace

ConnectionAdmission::ConnectionAdmission(AdmissionOptions options, metrics::Metrics* metrics)
    : options_(std::move(options)), metrics_(metrics), per_source_(options_.per_source) {}

bool ConnectionAdmission::admit(const std::optional<asio::ip::address>& remote) {
  if (open_.load() >= options_.max_connections) {
    if (const auto line = over_capacity_log_.next(); line.write) {
      spdlog::warn("connection limit {} reached ({}.maxConnections): refusing a connection{}",
                   options_.max_connections, options_.section, line.note());
    }
    if (metrics_) metrics_->on_limit(options_.over_capacity);
    return false;
  }
  if (options_.per_source.enabled() && remote && !per_source_.allow(source_key(*remote))) {
    if (const auto line = over_source_rate_log_.next(); line.write) {
      spdlog::info("peer={} over {}.connectionRate: connection closed{}", remote->to_string(),
                   options_.section, line.note());
    }
    if (metrics_) metrics_->on_limit(options_.over_source_rate);
    return false;
  }
  // Each listener has one accept loop, so only release() runs concurrently with this: between
  // the check and the increment the count can only fall, and the cap is never exceeded.
  ++open_;
  return true;
}

void ConnectionAdmission::release() { --open_; }

uint64_t source_key(const asio::ip::address& address) {
  if (address.is_v4()) return address.to_v4().to_uint();
  // A dual-stack listener ([::]) sees IPv4 peers as ::ffff:a.b.c.d: key them as the IPv4 address,
  // not as one /64 that every IPv4 peer would share.
  if (address.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6()).to_uint();
  }
  const auto bytes = address.to_v6().to_bytes();
  uint64_t key = 1ull << 63;  // apart from every IPv4 key
  for (size_t i = 0; i < 8; ++i) key ^= static_cast<uint64_t>(bytes[i]) << (8 * (7 - i));
  return key;
}

asio::awaitable<bool> first_bytes_before(asio::ip::tcp::socket& socket,
                                         std::chrono::steady_clock::time_point deadline) {
  asio::steady_timer timer(socket.get_executor());
  timer.expires_at(deadline);
  // Same strand as the socket; after the wait below the timer is cancelled and its handler only
  // sees operation_aborted.
  timer.async_wait([&socket](const boost::system::error_code& ec) {
    if (!ec) {
      boost::system::error_code ignored;
      socket.cancel(ignored);
    }
  });
  auto [ec] = co_await socket.async_wait(asio::ip::tcp::socket::wait_read,
                                         asio::as_tuple(asio::use_awaitable));
  timer.cancel();
  co_return !ec;
}

asio::awaitable<void> back_off_after_accept_error(const boost::system::error_code& ec,
                                                  asio::steady_timer& timer,
                                                  const std::string& section) {
  spdlog::warn("{}: accept failed: {}", section, ec.message());
  if (ec == asio::error::no_descriptors || ec.value() == ENFILE) {
    timer.expires_after(kAcceptBackoff);
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

}  // namespace dps::net
