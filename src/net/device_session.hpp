// One device connection: TLS handshake (enrollment-group matching), CSM, then RFC 8323 frames
// until the device leaves, goes idle, or gets an error answer. Coroutine form: the coroutine frame
// owns the session and runs on the connection's strand (style.md, "Async sessions").
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <cstdint>
#include <memory>

#include "common/log_throttle.hpp"
#include "net/session_options.hpp"

namespace dps::provisioning {
class Router;
class CatalogHolder;
}  // namespace dps::provisioning
namespace dps::store {
class RecordWriter;
class Store;
}  // namespace dps::store
namespace dps::metrics {
class Metrics;
}

namespace dps::net {

/// Everything a session borrows; owned by the DeviceServer and outliving every session.
/// One throttle per kind of line a flood of connections produces (common/log_throttle.hpp), shared
/// by every session of a server.
struct SessionLogThrottles {
  LogThrottle handshake_refused{10};  // untrusted or certificate-less devices, scanners
  LogThrottle handshake_timeout{5};   // slow-loris connections that never speak
};

struct SessionDependencies {
  std::shared_ptr<boost::asio::ssl::context> tls;
  const provisioning::Router* router = nullptr;
  provisioning::CatalogHolder* catalogs = nullptr;
  store::RecordWriter* records = nullptr;
  /// Where a session reads its device's individual enrollment (Store::find_individual_enrollment)
  /// before serving it; null: no individual enrollments (groups alone decide).
  store::Store* enrollments = nullptr;
  /// Runs those reads, so that no I/O thread waits on the database; empty: `blocking`.
  boost::asio::any_io_executor store_reads;
  metrics::Metrics* metrics = nullptr;  // null: nothing is counted
  /// Where requests that may wait on the network run (Router::may_block: an OAuth2 token
  /// fetch), so that no I/O thread waits; empty: on the session's own thread.
  boost::asio::any_io_executor blocking;
  SessionOptions options;
  std::shared_ptr<SessionLogThrottles> log_throttles = std::make_shared<SessionLogThrottles>();
};

/// Runs a session to completion; never throws (every failure is logged and ends this session
/// only). `connection_id` tags the session's log lines.
boost::asio::awaitable<void> run_device_session(boost::asio::ip::tcp::socket socket,
                                                const SessionDependencies& deps,
                                                uint64_t connection_id);

}  // namespace dps::net
