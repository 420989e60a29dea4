// Deadlines for the device's Asio coroutines (internal to src/device): every wait of a device
// session is bounded, as a device's own timers bound its waits.
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <optional>
#include <utility>

namespace dps::device {

inline constexpr auto kUseTuple = boost::asio::as_tuple(boost::asio::use_awaitable);

/// Runs `op` until `deadline`; nullopt when the deadline passed first (op is then cancelled).
template <class T>
boost::asio::awaitable<std::optional<T>> timed(boost::asio::awaitable<T> op,
                                               std::chrono::steady_clock::time_point deadline) {
  using namespace boost::asio::experimental::awaitable_operators;
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, deadline);
  auto r = co_await (std::move(op) || timer.async_wait(kUseTuple));
  if (r.index() == 0) co_return std::get<0>(std::move(r));
  co_return std::nullopt;
}

}  // namespace dps::device
