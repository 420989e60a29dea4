// The completion token of every awaited Asio operation in net/: errors come back as the first
// element of a tuple instead of exceptions, because a peer going away is routine here, not
// exceptional, and an exception per dropped connection is slow and hides the error code.
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace dps::net {

inline constexpr auto kNoThrow = boost::asio::as_tuple(boost::asio::use_awaitable);

}  // namespace dps::net
