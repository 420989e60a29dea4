#include "net/device_server.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <charconv>

#include "metrics/metrics.hpp"
#include "net/no_throw.hpp"

namespace dps::net {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

}  // namespace

Result<tcp::endpoint> parse_endpoint(const std::string& address) {
  const auto colon = address.rfind(':');
  if (colon == std::string::npos) {
    return fail(ErrorCode::BadRequest, "address \"" + address + "\" is not host:port");
  }
  std::string host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  const std::string port_text = address.substr(colon + 1);
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port > 65535) {
    return fail(ErrorCode::BadRequest, "address \"" + address + "\": bad port");
  }
  boost::system::error_code parse_error;
  auto ip = asio::ip::make_address(host.empty() ? "0.0.0.0" : host, parse_error);
  if (parse_error) {
    return fail(ErrorCode::BadRequest, "address \"" + address + "\": host must be an IP address");
  }
  return tcp::endpoint(ip, static_cast<uint16_t>(port));
}

Result<void> listen_on(tcp::acceptor& acceptor, const std::string& address) {
  auto endpoint = parse_endpoint(address);
  if (!endpoint) return tl::unexpected(endpoint.error());
  boost::system::error_code ec;
  acceptor.open(endpoint->protocol(), ec);
  if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor.bind(*endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail(ErrorCode::Internal, "cannot listen on " + address + ": " + ec.message());
  return {};
}

DeviceServer::DeviceServer(const DeviceServerOptions& options, SessionDependencies deps)
    : options_(options),
      deps_(std::move(deps)),
      acceptor_(io_),
      admission_({"apis.coap", options.max_connections, options.per_source,
                  metrics::Limit::MaxConnections, metrics::Limit::SourceConnectionRate},
                 deps_.metrics) {
  if (!deps_.blocking) deps_.blocking = blocking_.get_executor();
  if (!deps_.store_reads) deps_.store_reads = store_reads_.get_executor();
}

DeviceServer::~DeviceServer() {
  stop();
  // A request still on the blocking pool resumes its session through io_: finish it before io_
  // goes (its completion is then queued on the stopped io_ and destroyed with it).
  blocking_.join();
  store_reads_.join();
}

Result<std::unique_ptr<DeviceServer>> DeviceServer::create(const DeviceServerOptions& options,
                                                           SessionDependencies deps) {
  std::unique_ptr<DeviceServer> server(new DeviceServer(options, std::move(deps)));
  if (auto listening = listen_on(server->acceptor_, options.address); !listening) {
    return tl::unexpected(listening.error());
  }
  return server;
}

tcp::endpoint DeviceServer::local_endpoint() const {
  boost::system::error_code ec;
  return acceptor_.local_endpoint(ec);
}

void DeviceServer::run() {
  asio::co_spawn(io_, accept_loop(), asio::detached);
  unsigned workers = options_.workers ? options_.workers : std::thread::hardware_concurrency();
  if (workers == 0) workers = 1;
  std::vector<std::thread> threads;
  for (unsigned i = 1; i < workers; ++i) threads.emplace_back([this] { io_.run(); });
  io_.run();
  for (auto& thread : threads) thread.join();
}

void DeviceServer::stop() {
  asio::post(io_, [this] {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
  });
  io_.stop();
}

asio::awaitable<void> DeviceServer::accept_loop() {
  asio::steady_timer backoff(io_);
  while (acceptor_.is_open()) {
    // Each connection gets its own strand (Beast): its handlers never run concurrently.
    auto [ec, socket] = co_await acceptor_.async_accept(asio::make_strand(io_), kNoThrow);
    if (ec) {
      if (ec == asio::error::operation_aborted) co_return;
      co_await back_off_after_accept_error(ec, backoff, "apis.coap");
      continue;  // one failed accept never stops the listener
    }
    boost::system::error_code peer_error;
    const auto peer = socket.remote_endpoint(peer_error);
    // Refusals here cost no TLS work: the socket is closed before a byte is read.
    if (!admission_.admit(peer_error ? std::nullopt : std::optional(peer.address()))) {
      boost::system::error_code ignored;
      socket.close(ignored);
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);
    const uint64_t id = next_connection_id_++;
    if (deps_.metrics) deps_.metrics->on_connection_opened();
    auto executor = socket.get_executor();
    asio::co_spawn(executor, run_device_session(std::move(socket), deps_, id),
                   [this, id](std::exception_ptr error) {
                     admission_.release();
                     if (deps_.metrics) deps_.metrics->on_connection_closed();
                     if (!error) return;
                     try {
                       std::rethrow_exception(error);
                     } catch (const std::exception& e) {
                       spdlog::error("conn={} session failed: {}", id, e.what());
                     }
                   });
  }
}

}  // namespace dps::net
