// K device connections opened and then left idle: TLS handshake done, nothing sent. The server
// sends its CSM and keeps each session until its inactivity timeout, so what it holds per
// connection is what an idle fleet costs it.
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "device/device_session.hpp"
#include "device/fleet.hpp"

namespace dps::bench {

class IdleConnections {
 public:
  struct Options {
    size_t count = 0;
    size_t concurrency = 16;  // handshakes in flight at once
    unsigned threads = 1;
    std::vector<device::ServerAddress> servers;  // connection i goes to servers[i % size]
    std::chrono::milliseconds connect_timeout{10'000};
    std::function<void(size_t done, size_t failed)> on_progress;
  };

  /// Opens the connections; returns when each one is open or failed.
  void open(const Options& options, const std::shared_ptr<device::ClientTls>& tls);

  size_t opened() const;
  size_t failed() const { return errors_.size(); }
  /// The first few failures ("connection 12: connect: ...").
  std::vector<std::string> first_errors(size_t n) const;
  /// Open connections whose server has closed or shut down its side (polls each socket for
  /// POLLRDHUP; reads nothing).
  size_t closed_by_server();
  /// Closes every connection at once (no TLS close_notify: the server sees the TCP close).
  void close_all();

 private:
  boost::asio::io_context io_;  // declared first: outlives the sessions that use it
  std::vector<device::DeviceSessionPtr> sessions_;
  std::vector<std::string> errors_;
};

}  // namespace dps::bench
