#include "net/device_server.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <csignal>

#include "metrics/metrics.hpp"
#include "net/no_throw.hpp"
#include "net/udp_device_session.hpp"

namespace dps::net {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

constexpr int kPortAttempts = 8;

}  // namespace

DeviceServer::DeviceServer(const DeviceServerOptions& options, SessionDependencies deps)
    : options_(options),
      deps_(std::move(deps)),
      tcp_(io_,
           {"apis.coap", options.max_connections, options.per_source,
            metrics::Limit::MaxConnections, metrics::Limit::SourceConnectionRate},
           deps_.conversation.metrics, tcp_hooks()) {
  // OpenSSL writes device sessions' sockets itself (tls_socket.hpp) with write(2), which raises
  // SIGPIPE on a connection the peer reset: the write must fail with EPIPE instead, not end dps.
  std::signal(SIGPIPE, SIG_IGN);
  auto& conversation = deps_.conversation;
  if (!conversation.blocking) conversation.blocking = blocking_.get_executor();
  if (!conversation.store_reads) conversation.store_reads = store_reads_.get_executor();
  conversation.refusal_log = &deps_.log_throttles->handshake_refused;
}

Listener::Hooks DeviceServer::tcp_hooks() {
  Listener::Hooks hooks;
  hooks.serve = [this](tcp::socket socket) {
    boost::system::error_code ignored;  // a socket that cannot take it still works, slower
    socket.set_option(tcp::no_delay(true), ignored);
    return run_device_session(std::move(socket), deps_, next_connection_id_++);
  };
  hooks.opened = [this] {
    if (deps_.conversation.metrics) deps_.conversation.metrics->on_connection_opened();
  };
  hooks.closed = [this] {
    if (deps_.conversation.metrics) deps_.conversation.metrics->on_connection_closed();
  };
  return hooks;
}

DeviceServer::~DeviceServer() {
  stop();
  // A request still on the blocking pool resumes its session through io_: finish it before io_
  // goes (its completion is then queued on the stopped io_ and destroyed with it).
  blocking_.join();
  store_reads_.join();
  finish_udp_listener();
}

// The UDP listener's coroutines own it (DtlsServer keeps itself alive until it has stopped). Left
// queued on the stopped io_, they would be destroyed by io_'s destructor, and the listener with
// them while io_'s services are being torn down. stop() has closed its socket and ended its
// sessions: run io_ until those coroutines have returned, so the listener goes first.
void DeviceServer::finish_udp_listener() {
  if (!udp_) return;
  io_.restart();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (udp_.use_count() > 1 && std::chrono::steady_clock::now() < deadline) {
    io_.run_one_for(std::chrono::milliseconds(20));
  }
  udp_.reset();
}

Result<std::unique_ptr<DeviceServer>> DeviceServer::create(const DeviceServerOptions& options,
                                                           SessionDependencies deps) {
  std::unique_ptr<DeviceServer> server(new DeviceServer(options, std::move(deps)));
  const auto configured = parse_endpoint(options.address);
  if (!configured) return tl::unexpected(configured.error());
  // With port 0 both transports take the port TCP was given, which UDP may find taken: then
  // both try another one.
  const int attempts = options.tcp && options.udp && configured->port() == 0 ? kPortAttempts : 1;
  for (int attempt = 1;; ++attempt) {
    if (options.tcp) {
      if (auto listening = server->tcp_.listen(options.address); !listening) {
        return tl::unexpected(listening.error());
      }
    }
    if (!options.udp) return server;
    auto udp = server->make_udp_listener();
    if (udp) {
      server->udp_ = std::move(*udp);
      return server;
    }
    if (attempt == attempts) return tl::unexpected(udp.error());
    server->tcp_.close();
  }
}

Result<std::shared_ptr<DtlsServer>> DeviceServer::make_udp_listener() {
  if (!deps_.dtls) return fail(ErrorCode::Internal, "udp: no DTLS context");
  DtlsServerOptions udp;
  udp.address = options_.address;
  // Port 0 (tests, benchmarks): the port TCP got, so that one number serves both, as in production.
  const auto configured = parse_endpoint(options_.address);
  if (options_.tcp && configured && configured->port() == 0) {
    const auto ip = configured->address();
    udp.address = (ip.is_v6() ? "[" + ip.to_string() + "]" : ip.to_string()) + ":" +
                  std::to_string(tcp_.local_endpoint().port());
  }
  udp.max_sessions = options_.max_connections;
  udp.per_source = options_.per_source;
  udp.session = deps_.options;
  udp.metrics = deps_.conversation.metrics;
  return DtlsServer::create(io_, udp, deps_.dtls, [this](DtlsChannel& channel) {
    return run_udp_device_session(channel, deps_);
  });
}

tcp::endpoint DeviceServer::local_endpoint() const { return tcp_.local_endpoint(); }

std::optional<asio::ip::udp::endpoint> DeviceServer::udp_endpoint() const {
  if (!udp_) return std::nullopt;
  return udp_->local_endpoint();
}

void DeviceServer::run() {
  tcp_.start();
  if (udp_) udp_->start();
  unsigned workers = options_.workers ? options_.workers : std::thread::hardware_concurrency();
  if (workers == 0) workers = 1;
  std::vector<std::thread> threads;
  for (unsigned i = 1; i < workers; ++i) threads.emplace_back([this] { io_.run(); });
  io_.run();
  for (auto& thread : threads) thread.join();
}

void DeviceServer::stop() {
  tcp_.stop_accepting();
  if (udp_) udp_->stop();
  io_.stop();
}

void DeviceServer::stop_gracefully(std::chrono::steady_clock::duration grace) {
  asio::co_spawn(
      io_,
      [this, grace]() -> asio::awaitable<void> {
        // Neither transport admits anyone from now on; the UDP sessions, then the TCP ones,
        // get what is left of the grace.
        const auto deadline = std::chrono::steady_clock::now() + grace;
        tcp_.stop_accepting();
        if (udp_) co_await udp_->shutdown(grace);
        const bool drained = co_await tcp_.drain(deadline - std::chrono::steady_clock::now());
        if (!drained) {
          spdlog::info("apis.coap: {} sessions still open after the grace period: closing them",
                       tcp_.admission().open());
        }
        io_.stop();
      },
      asio::detached);
}

}  // namespace dps::net
