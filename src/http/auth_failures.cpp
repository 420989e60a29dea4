#include "http/auth_failures.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/ip/address.hpp>

#include "http/routes.hpp"
#include "log/quoted.hpp"
#include "metrics/metrics.hpp"
#include "net/connection_admission.hpp"

namespace dps::http {
namespace {

std::optional<uint64_t> key_of(const std::string& peer) {
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(peer, ec);
  if (ec) return std::nullopt;  // unknown peer: nothing to attribute the failure to
  return net::source_key(address);
}

}  // namespace

AuthFailureCounter::AuthFailureCounter(AuthFailureLimit limit, size_t max_sources)
    : limit_(limit), max_sources_(std::max<size_t>(1, max_sources)) {}

std::optional<std::chrono::seconds> AuthFailureCounter::retry_after(uint64_t source,
                                                                    Clock::time_point now) const {
  if (!limit_.enabled()) return std::nullopt;
  std::lock_guard lock(mutex_);
  const auto it = windows_.find(source);
  if (it == windows_.end() || now >= it->second.ends || it->second.failures < limit_.per_source) {
    return std::nullopt;
  }
  // Rounded up: a client that waits Retry-After seconds finds the window over.
  const auto left = std::chrono::ceil<std::chrono::seconds>(it->second.ends - now);
  return std::max(left, std::chrono::seconds(1));
}

void AuthFailureCounter::on_failure(uint64_t source, Clock::time_point now) {
  if (!limit_.enabled()) return;
  std::lock_guard lock(mutex_);
  auto it = windows_.find(source);
  if (it == windows_.end()) {
    if (windows_.size() >= max_sources_) {
      std::erase_if(windows_, [&](const auto& entry) { return now >= entry.second.ends; });
      if (windows_.size() >= max_sources_) windows_.clear();
    }
    it = windows_.emplace(source, Window{now + limit_.window, 0}).first;
  } else if (now >= it->second.ends) {
    it->second = Window{now + limit_.window, 0};
  }
  ++it->second.failures;
}

size_t AuthFailureCounter::tracked_sources() const {
  std::lock_guard lock(mutex_);
  return windows_.size();
}

AuthFailures::AuthFailures(AuthFailureLimit limit, metrics::Metrics* metrics)
    : metrics_(metrics), counter_(limit) {}

std::optional<Reply> AuthFailures::refuse(const std::string& peer) const {
  const auto key = key_of(peer);
  if (!key) return std::nullopt;
  const auto wait = counter_.retry_after(*key);
  if (!wait) return std::nullopt;
  if (metrics_) metrics_->on_limit(metrics::Limit::ApiAuthFailures);
  Reply reply = error_reply(
      429, "too many failed authentications from this address (apis.http.authFailureLimit)");
  reply.headers.emplace_back("Retry-After", std::to_string(wait->count()));
  return reply;
}

void AuthFailures::on_failure(const std::string& peer, std::string_view method,
                              std::string_view path, const Error& error) {
  if (error.code != ErrorCode::Unavailable) {
    if (const auto key = key_of(peer)) counter_.on_failure(*key);
  }
  // `internal` names what failed (bounded, printable quotes of a scheme, kid or alg at most);
  // the token itself is never part of it. The path is the client's: quoted (log/quoted.hpp).
  if (const auto line = log_.next(); line.write) {
    spdlog::info("http peer={} {} {}: {}{}", peer, method, log::quoted(path), error.internal,
                 line.note());
  }
}

}  // namespace dps::http
