// One TCP listener, shared by the device server (net::DeviceServer) and the management API
// (http::HttpServer): it binds, accepts, admits each connection at accept (ConnectionAdmission:
// the cap and the per-source rate, before a byte is read), backs off when the process is out of
// descriptors instead of spinning, runs each admitted connection on a strand of its own, and stops
// gracefully: no new connections, the open ones finish within a grace period, then the caller
// closes what is left.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <functional>
#include <string>

#include "common/result.hpp"
#include "net/connection_admission.hpp"

namespace dps::net {

class Listener {
 public:
  struct Hooks {
    /// Serves one admitted connection; runs on the connection's own strand. Its end releases the
    /// connection's admission. An exception it lets escape is logged, never rethrown.
    std::function<boost::asio::awaitable<void>(boost::asio::ip::tcp::socket)> serve;
    std::function<void()> opened;  // optional: a connection was admitted (metrics)
    std::function<void()> closed;  // optional: an admitted connection ended (metrics)
  };

  Listener(boost::asio::io_context& io, AdmissionOptions admission, metrics::Metrics* metrics,
           Hooks hooks);

  /// Opens, binds and listens on "host:port"; the message names the address on failure.
  Result<void> listen(const std::string& address);
  /// Closes the listening socket before start() (to listen elsewhere).
  void close();
  /// Starts accepting on the io_context's threads.
  void start();
  /// Thread-safe: no new connections from now on (the listening socket is closed).
  void stop_accepting();
  /// Stops accepting, then waits on the io_context (without holding a thread) until every
  /// admitted connection ended or `grace` passed; true when they all ended.
  boost::asio::awaitable<bool> drain(std::chrono::steady_clock::duration grace);

  boost::asio::ip::tcp::endpoint local_endpoint() const;
  ConnectionAdmission& admission() { return admission_; }

 private:
  boost::asio::awaitable<void> accept_loop();

  boost::asio::io_context& io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  ConnectionAdmission admission_;
  Hooks hooks_;
  std::string section_;
};

/// "host:port" → endpoint; BadRequest naming the text when it does not parse.
Result<boost::asio::ip::tcp::endpoint> parse_endpoint(const std::string& address);

}  // namespace dps::net
