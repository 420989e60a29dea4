#include "idle_connections.hpp"

#include <poll.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/strand.hpp>
#include <mutex>
#include <thread>

namespace dps::bench {

namespace asio = boost::asio;

void IdleConnections::open(const Options& options, const std::shared_ptr<device::ClientTls>& tls) {
  sessions_.resize(options.count);
  std::atomic<size_t> next{0};
  std::mutex mutex;
  size_t done = 0;
  auto worker = [&]() -> asio::awaitable<void> {
    for (size_t i = next++; i < options.count; i = next++) {
      const auto& server = options.servers.at(i % options.servers.size());
      device::SessionOptions session;
      session.host = server.host;
      session.port = server.port;
      session.connect_timeout = options.connect_timeout;
      auto connected = co_await device::DeviceSession::connect(tls, session);
      std::lock_guard lock(mutex);
      if (connected) {
        sessions_[i] = std::move(*connected);
      } else {
        errors_.push_back("connection " + std::to_string(i) + ": " + connected.error().internal);
      }
      ++done;
      if (options.on_progress) options.on_progress(done, errors_.size());
    }
  };
  const size_t workers = std::clamp<size_t>(options.concurrency, 1, options.count);
  for (size_t w = 0; w < workers; ++w)
    asio::co_spawn(asio::make_strand(io_), worker, asio::detached);
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < std::max(1u, options.threads); ++t)
    pool.emplace_back([this] { io_.run(); });
  io_.run();
  for (auto& thread : pool) thread.join();
}

size_t IdleConnections::opened() const {
  return static_cast<size_t>(std::count_if(sessions_.begin(), sessions_.end(),
                                           [](const auto& s) { return s != nullptr; }));
}

std::vector<std::string> IdleConnections::first_errors(size_t n) const {
  return {errors_.begin(),
          errors_.begin() + static_cast<std::ptrdiff_t>(std::min(n, errors_.size()))};
}

size_t IdleConnections::closed_by_server() {
  std::vector<pollfd> fds;
  for (auto& session : sessions_) {
    if (session) {
      fds.push_back({session->stream().lowest_layer().native_handle(), POLLRDHUP, 0});
    }
  }
  if (fds.empty() || poll(fds.data(), fds.size(), 0) < 0) return 0;
  return static_cast<size_t>(std::count_if(fds.begin(), fds.end(), [](const pollfd& p) {
    return (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
  }));
}

void IdleConnections::close_all() { sessions_.clear(); }

}  // namespace dps::bench
