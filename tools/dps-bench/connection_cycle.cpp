#include "connection_cycle.hpp"

#include <algorithm>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cctype>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <span>
#include <thread>
#include <tuple>

#include "device/device_session.hpp"
#include "device/requests.hpp"

namespace dps::bench {
namespace {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;
using Clock = std::chrono::steady_clock;

constexpr auto kCycleUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr size_t kFirstCycleErrors = 5;
// An answer to a bare GET is a few hundred bytes; anything past this is not the answer we expect.
constexpr size_t kMaxHttpAnswer = 64 * 1024;

struct Served {
  std::string tls_version;
  std::string cipher;
};

// The read, or nullopt when `deadline` passed first (the read is then cancelled).
asio::awaitable<std::optional<std::tuple<boost::system::error_code, size_t>>> read_some_before(
    device::DeviceSession::Stream& stream, std::span<char> into, Clock::time_point deadline) {
  asio::steady_timer timer(co_await asio::this_coro::executor, deadline);
  auto r =
      co_await (stream.async_read_some(asio::buffer(into.data(), into.size()), kCycleUseTuple) ||
                timer.async_wait(kCycleUseTuple));
  if (r.index() == 0) co_return std::get<0>(r);
  co_return std::nullopt;
}

std::optional<size_t> content_length(std::string_view headers) {
  std::string lower(headers);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  const auto at = lower.find("\r\ncontent-length:");
  if (at == std::string::npos) return std::nullopt;
  return std::strtoull(lower.c_str() + at + 17, nullptr, 10);
}

// Sends "GET path" and reads the answer's head and its Content-Length of body; Result error
// when it is not a complete 200.
asio::awaitable<Result<void>> http_get(device::DeviceSession& session, const std::string& path,
                                       Clock::time_point deadline) {
  const std::string request = "GET " + path + " HTTP/1.1\r\nHost: dps-bench\r\n\r\n";
  if (auto sent = co_await session.send_raw(
          {reinterpret_cast<const uint8_t*>(request.data()), request.size()});
      !sent) {
    co_return tl::unexpected(sent.error());
  }
  std::string answer;
  char buffer[4096];
  for (;;) {
    const auto head_end = answer.find("\r\n\r\n");
    if (head_end != std::string::npos) {
      const std::string_view head(answer.data(), head_end);
      if (head.substr(0, 13) != "HTTP/1.1 200 ") {
        co_return fail(ErrorCode::BadRequest,
                       "answer: " + std::string(head.substr(0, head.find('\r'))));
      }
      const size_t body = content_length(head).value_or(0);
      if (answer.size() >= head_end + 4 + body) co_return Result<void>{};
    }
    if (answer.size() > kMaxHttpAnswer) co_return fail(ErrorCode::BadRequest, "answer too long");
    auto read = co_await read_some_before(session.stream(), buffer, deadline);
    if (!read) co_return fail(ErrorCode::Unavailable, "answer: timeout");
    const auto [ec, n] = *read;
    if (ec) co_return fail(ErrorCode::Unavailable, "answer: " + ec.message());
    answer.append(buffer, n);
  }
}

asio::awaitable<Result<Served>> one_connection(const std::shared_ptr<device::ClientTls>& tls,
                                               const device::ServerAddress& server,
                                               const ConnectionCycleOptions& options) {
  device::SessionOptions session_options;
  session_options.host = server.host;
  session_options.port = server.port;
  session_options.connect_timeout = options.timeout;
  session_options.request_timeout = options.timeout;
  session_options.check_certificate_time = false;  // as the time step: the clock is unknown
  auto session = co_await device::DeviceSession::connect(tls, session_options);
  if (!session) co_return tl::unexpected(session.error());
  Result<void> answered;
  if (options.http_path.empty()) {
    auto answer = co_await (*session)->request(device::make_time_request());
    if (!answer) {
      answered = tl::unexpected(answer.error());
    } else if (answer->code != coap::Code::Content) {
      answered = fail(ErrorCode::BadRequest, "time answered " + coap::to_string(answer->code));
    }
  } else {
    answered = co_await http_get(**session, options.http_path, Clock::now() + options.timeout);
  }
  Served served{(*session)->tls_version(), (*session)->cipher()};
  boost::system::error_code ignored;
  (*session)->stream().lowest_layer().close(ignored);  // no close_notify (see the header)
  if (!answered) co_return tl::unexpected(answered.error());
  co_return served;
}

}  // namespace

ConnectionCycleResult run_connection_cycles(const ConnectionCycleOptions& options,
                                            const std::shared_ptr<device::ClientTls>& tls) {
  ConnectionCycleResult result;
  asio::io_context io;
  std::atomic<size_t> next{0};
  std::mutex mutex;
  auto worker = [&]() -> asio::awaitable<void> {
    for (size_t i = next++; i < options.count; i = next++) {
      const auto& server = options.servers.at(i % options.servers.size());
      auto done = co_await one_connection(tls, server, options);
      std::lock_guard lock(mutex);
      if (done) {
        if (result.served++ == 0) {
          result.tls_version = done->tls_version;
          result.cipher = done->cipher;
        }
      } else {
        ++result.failed;
        if (result.first_errors.size() < kFirstCycleErrors) {
          result.first_errors.push_back("connection " + std::to_string(i) + ": " +
                                        done.error().internal);
        }
      }
      if (options.on_progress) options.on_progress(result.served + result.failed, result.failed);
    }
  };
  const size_t workers =
      std::clamp<size_t>(options.concurrency, 1, std::max<size_t>(1, options.count));
  for (size_t w = 0; w < workers; ++w) {
    asio::co_spawn(asio::make_strand(io), worker, asio::detached);
  }
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < std::max(1u, options.threads); ++t)
    pool.emplace_back([&io] { io.run(); });
  io.run();
  for (auto& thread : pool) thread.join();
  return result;
}

}  // namespace dps::bench
