#include "hostile/attackers.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/bio.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/socket_base.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace dps::itest::hostile {

namespace asio = boost::asio;
using namespace std::chrono_literals;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

// ---- raw TCP ---------------------------------------------------------------------------------

RawConnection RawConnection::open(uint16_t port, const std::string& source) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  RawConnection conn(fd);
  if (!source.empty()) {
    sockaddr_in local{};
    local.sin_family = AF_INET;
    if (inet_pton(AF_INET, source.c_str(), &local.sin_addr) != 1) {
      throw std::runtime_error("not an IPv4 address: " + source);
    }
    if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
      throw std::runtime_error("bind " + source + ": " + std::strerror(errno));
    }
  }
  sockaddr_in server{};
  server.sin_family = AF_INET;
  server.sin_port = htons(port);
  server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&server), sizeof server) != 0) {
    throw std::runtime_error("connect: " + std::string(std::strerror(errno)));
  }
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  conn.opened_at_ = Clock::now();
  return conn;
}

RawConnection::RawConnection(RawConnection&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), opened_at_(other.opened_at_) {}

RawConnection& RawConnection::operator=(RawConnection&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = std::exchange(other.fd_, -1);
    opened_at_ = other.opened_at_;
  }
  return *this;
}

RawConnection::~RawConnection() { close(); }

void RawConnection::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool RawConnection::send_all(std::span<const uint8_t> bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

bool RawConnection::peer_closed_now() {
  if (fd_ < 0) return true;
  char scratch[4096];
  for (;;) {
    const ssize_t n = ::recv(fd_, scratch, sizeof scratch, MSG_DONTWAIT);
    if (n > 0) continue;  // data (none expected): discarded, keep looking for the close
    if (n == 0) return true;
    if (errno == EINTR) continue;
    return errno != EAGAIN && errno != EWOULDBLOCK;  // a reset or another error: gone
  }
}

void CloseTimes::add(const std::vector<RawConnection>& conns,
                     const std::vector<std::optional<Clock::time_point>>& closed,
                     Clock::duration too_early) {
  for (size_t i = 0; i < conns.size(); ++i) {
    if (!closed[i]) {
      ++still_open;
      continue;
    }
    const auto took = *closed[i] - conns[i].opened_at();
    fastest = std::min(fastest, took);
    slowest = std::max(slowest, took);
    if (took < too_early) ++early;
  }
}

std::vector<std::optional<Clock::time_point>> wait_peer_closed(std::vector<RawConnection>& conns,
                                                               Clock::time_point deadline) {
  std::vector<std::optional<Clock::time_point>> closed(conns.size());
  std::vector<size_t> pending(conns.size());
  for (size_t i = 0; i < conns.size(); ++i) pending[i] = i;
  std::vector<pollfd> fds;
  while (!pending.empty()) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) break;
    fds.clear();
    for (size_t i : pending) fds.push_back(pollfd{conns[i].fd(), POLLIN | POLLRDHUP, 0});
    const int ready =
        ::poll(fds.data(), fds.size(), static_cast<int>(std::min<int64_t>(left.count(), 100)));
    if (ready < 0 && errno != EINTR) throw std::runtime_error("poll failed");
    if (ready <= 0) continue;
    const auto now = Clock::now();
    std::vector<size_t> still;
    for (size_t k = 0; k < pending.size(); ++k) {
      const size_t i = pending[k];
      if (fds[k].revents != 0 && conns[i].peer_closed_now()) {
        closed[i] = now;
      } else {
        still.push_back(i);
      }
    }
    pending = std::move(still);
  }
  return closed;
}

std::vector<uint8_t> client_hello() {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL* ssl = SSL_new(ctx);
  BIO* in = BIO_new(BIO_s_mem());
  BIO* out = BIO_new(BIO_s_mem());
  SSL_set_bio(ssl, in, out);  // the SSL owns both now
  (void)SSL_connect(ssl);     // writes the ClientHello, then wants to read: nothing to read
  char* data = nullptr;
  const long size = BIO_get_mem_data(out, &data);
  std::vector<uint8_t> hello(data, data + std::max(size, 0L));
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  if (hello.size() < 64) throw std::runtime_error("OpenSSL wrote no ClientHello");
  return hello;
}

// ---- TLS attackers -----------------------------------------------------------------------------

awaitable<Result<device::DeviceSessionPtr>> connect_tls(std::shared_ptr<device::ClientTls> tls,
                                                        uint16_t port,
                                                        std::chrono::milliseconds timeout) {
  device::SessionOptions options;
  options.host = "127.0.0.1";
  options.port = port;
  options.connect_timeout = timeout;
  options.request_timeout = timeout;
  co_return co_await device::DeviceSession::connect(std::move(tls), options);
}

void reset_connection(device::DeviceSession& session) {
  auto& socket = session.stream().lowest_layer();
  boost::system::error_code ignored;
  socket.set_option(asio::socket_base::linger(true, 0), ignored);
  socket.close(ignored);
}

size_t ClosedSession::count(coap::Code code) const {
  return static_cast<size_t>(
      std::count_if(seen.begin(), seen.end(), [&](const auto& m) { return m.code == code; }));
}

const coap::Message* ClosedSession::first(coap::Code code) const {
  for (const auto& m : seen) {
    if (m.code == code) return &m;
  }
  return nullptr;
}

awaitable<ClosedSession> until_closed(device::DeviceSession& session,
                                      std::chrono::milliseconds timeout) {
  ClosedSession out;
  const auto start = Clock::now();
  auto seen = co_await session.wait_closed(timeout);
  out.took = Clock::now() - start;
  out.csm = session.server_csm();
  if (seen) {
    out.closed = true;
    out.seen = std::move(*seen);
  } else {
    out.error = seen.error().internal;
  }
  co_return out;
}

namespace {

awaitable<void> read_until_closed(device::DeviceSession& session, std::chrono::milliseconds timeout,
                                  ClosedSession& out, bool& closed) {
  out = co_await until_closed(session, timeout);
  closed = true;
}

awaitable<void> write_slowly(device::DeviceSession& session, const std::vector<uint8_t>& frame,
                             std::chrono::milliseconds gap, const bool& closed, size_t& sent) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (size_t i = 0; i < frame.size() && !closed; ++i) {
    auto [ec, n] =
        co_await asio::async_write(session.stream(), asio::buffer(&frame[i], 1), kNoThrow);
    (void)n;
    if (ec) co_return;
    ++sent;
    timer.expires_after(gap);
    auto [waited] = co_await timer.async_wait(kNoThrow);
    (void)waited;
  }
}

}  // namespace

awaitable<Trickle> trickle(device::DeviceSession& session, std::vector<uint8_t> frame,
                           std::chrono::milliseconds gap, std::chrono::milliseconds timeout) {
  using namespace asio::experimental::awaitable_operators;
  Trickle out;
  bool closed = false;
  const auto budget = gap * static_cast<int64_t>(frame.size()) + timeout;
  // One read and one write in flight at once: Asio's SSL stream allows exactly that.
  co_await (read_until_closed(session, budget, out.end, closed) &&
            write_slowly(session, frame, gap, closed, out.bytes_sent));
  co_return out;
}

void Attack::run(size_t count, size_t concurrency,
                 const std::function<awaitable<void>(size_t)>& make, std::chrono::seconds guard) {
  std::atomic<size_t> next{0};
  size_t finished = 0;
  std::exception_ptr error;
  const size_t workers = std::clamp<size_t>(concurrency, 1, std::max<size_t>(1, count));
  auto worker = [&]() -> awaitable<void> {
    for (size_t i = next++; i < count; i = next++) co_await make(i);
  };
  io_.restart();
  for (size_t w = 0; w < workers; ++w) {
    asio::co_spawn(io_, worker(), [&](std::exception_ptr e) {
      if (e && !error) error = e;
      ++finished;
    });
  }
  io_.run_for(guard);
  if (error) std::rethrow_exception(error);
  if (finished < workers) {
    io_.stop();
    throw std::runtime_error("attack did not finish within " + std::to_string(guard.count()) +
                             " s");
  }
}

// ---- memory ------------------------------------------------------------------------------------

size_t vm_rss_kib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoul(line.substr(6));  // "VmRSS:  1234 kB"
  }
  return 0;
}

RssSampler::RssSampler(pid_t pid, std::chrono::milliseconds period) : pid_(pid), period_(period) {
  max_kib_ = vm_rss_kib(pid_);
  thread_ = std::thread([this] {
    while (!stop_.load()) {
      const size_t now = vm_rss_kib(pid_);
      size_t seen = max_kib_.load();
      while (now > seen && !max_kib_.compare_exchange_weak(seen, now)) {
      }
      std::this_thread::sleep_for(period_);
    }
  });
}

RssSampler::~RssSampler() { stop(); }

void RssSampler::reset() { max_kib_ = vm_rss_kib(pid_); }

void RssSampler::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

}  // namespace dps::itest::hostile
