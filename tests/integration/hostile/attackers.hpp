// Attackers of the hostile-network suite: raw TCP connections (optionally from another loopback
// source address), real TLS sessions presenting any certificate (the device library's
// DeviceSession), byte-at-a-time writers, TCP resets, and the memory figure of the process under
// attack (VmRSS). Everything here talks to a real dps through real sockets.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "coap/message.hpp"
#include "common/result.hpp"
#include "device/device_session.hpp"
#include "device/tls_client.hpp"

namespace dps::itest::hostile {

using Clock = std::chrono::steady_clock;
template <class T>
using awaitable = boost::asio::awaitable<T>;

// ---- raw TCP ---------------------------------------------------------------------------------

/// A blocking TCP connection to 127.0.0.1:<port>. Move-only; closes on destruction.
class RawConnection {
 public:
  /// Connects; binds the socket to `source` (an IPv4 address such as "127.0.0.2": all of 127/8 is
  /// loopback on Linux) first when given. Throws std::runtime_error on failure.
  static RawConnection open(uint16_t port, const std::string& source = "");

  RawConnection(RawConnection&& other) noexcept;
  RawConnection& operator=(RawConnection&& other) noexcept;
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;
  ~RawConnection();

  int fd() const { return fd_; }
  Clock::time_point opened_at() const { return opened_at_; }
  /// Writes every byte (blocking); false when the peer is gone.
  bool send_all(std::span<const uint8_t> bytes);
  /// True when the peer has closed (EOF or reset) by now; data that arrived is discarded.
  bool peer_closed_now();
  void close();

 private:
  explicit RawConnection(int fd) : fd_(fd), opened_at_(Clock::now()) {}
  int fd_ = -1;
  Clock::time_point opened_at_;
};

/// Polls every connection until the peer closed it (read gives EOF or an error such as a reset)
/// or `deadline` passes. Returns, per connection, when its close was seen (nullopt: still open).
std::vector<std::optional<Clock::time_point>> wait_peer_closed(std::vector<RawConnection>& conns,
                                                               Clock::time_point deadline);

/// How long the server took to close connections (wait_peer_closed's answer), accumulated over
/// one or more add() calls.
struct CloseTimes {
  Clock::duration fastest = Clock::duration::max();
  Clock::duration slowest{};
  size_t early = 0;       // closed before `too_early` had passed since the connection opened
  size_t still_open = 0;  // not closed by the deadline

  void add(const std::vector<RawConnection>& conns,
           const std::vector<std::optional<Clock::time_point>>& closed, Clock::duration too_early);
};

/// The first flight of a real TLS client (a ClientHello record, as OpenSSL writes it).
std::vector<uint8_t> client_hello();

// ---- TLS attackers -----------------------------------------------------------------------------

/// Connects to 127.0.0.1:<port> and completes a TLS handshake presenting `tls`'s certificate.
/// Errors as DeviceSession::connect (Unauthenticated: the handshake was refused).
awaitable<Result<device::DeviceSessionPtr>> connect_tls(std::shared_ptr<device::ClientTls> tls,
                                                        uint16_t port,
                                                        std::chrono::milliseconds timeout);

/// SO_LINGER 0 then close: the kernel sends a TCP RST instead of a FIN, whatever is unsent or
/// unread, as a device losing power or a NAT dropping state looks to the server.
void reset_connection(device::DeviceSession& session);

/// What a session saw until the server closed it.
struct ClosedSession {
  bool closed = false;               // the server closed (EOF, close_notify or reset)
  std::vector<coap::Message> seen;   // responses, Pongs, Aborts, Releases (not the CSM)
  std::optional<coap::Message> csm;  // the server's CSM, if it sent one
  Clock::duration took{};            // from the call to the close
  std::string error;                 // why it did not close (timeout, ...)
  size_t count(coap::Code code) const;
  const coap::Message* first(coap::Code code) const;
};

/// Reads (serving signals) until the server closes the session or `timeout` passes.
awaitable<ClosedSession> until_closed(device::DeviceSession& session,
                                      std::chrono::milliseconds timeout);

/// What a trickling writer achieved.
struct Trickle {
  size_t bytes_sent = 0;
  ClosedSession end;  // took: from the first byte to the server's close
};

/// Writes `frame` one byte every `gap` while reading; stops when the server closes the session
/// (or after the last byte and `timeout`).
awaitable<Trickle> trickle(device::DeviceSession& session, std::vector<uint8_t> frame,
                           std::chrono::milliseconds gap, std::chrono::milliseconds timeout);

/// An io_context of its own for attacker coroutines; sessions made on it may outlive one run()
/// (declare them after the Attack so they are destroyed first).
class Attack {
 public:
  /// Runs make(i) for every i < count, at most `concurrency` at once; returns when all finished.
  /// Throws what a coroutine threw, or std::runtime_error after `guard`.
  void run(size_t count, size_t concurrency, const std::function<awaitable<void>(size_t)>& make,
           std::chrono::seconds guard = std::chrono::seconds(120));
  boost::asio::io_context& io() { return io_; }

 private:
  boost::asio::io_context io_;
};

// ---- memory of the process under attack ----------------------------------------------------

/// VmRSS of `pid` in KiB (0 when it cannot be read: the process is gone).
size_t vm_rss_kib(pid_t pid);

/// Samples VmRSS of `pid` every `period` on a thread of its own and keeps the largest value.
class RssSampler {
 public:
  RssSampler(pid_t pid, std::chrono::milliseconds period = std::chrono::milliseconds(20));
  ~RssSampler();
  RssSampler(const RssSampler&) = delete;
  RssSampler& operator=(const RssSampler&) = delete;

  size_t max_kib() const { return max_kib_.load(); }
  /// Starts a new maximum from the current value.
  void reset();
  void stop();

 private:
  pid_t pid_;
  std::chrono::milliseconds period_;
  std::atomic<bool> stop_{false};
  std::atomic<size_t> max_kib_{0};
  std::thread thread_;
};

}  // namespace dps::itest::hostile
