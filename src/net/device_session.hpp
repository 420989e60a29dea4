// One device connection: TLS handshake (enrollment-group matching), CSM, then RFC 8323 frames
// until the device leaves, goes idle, or gets an error answer. What the frames mean is the
// provisioning::DeviceConversation's business; this file carries them. Coroutine form: the
// coroutine frame owns the session and runs on the connection's strand (style.md, "Async
// sessions").
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <cstdint>
#include <memory>

#include "common/log_throttle.hpp"
#include "net/session_options.hpp"
#include "provisioning/device_conversation.hpp"

namespace dps::net {

/// Everything a session borrows; owned by the DeviceServer and outliving every session.
/// One throttle per kind of line a flood of connections produces (common/log_throttle.hpp), shared
/// by every session of a server.
struct SessionLogThrottles {
  LogThrottle handshake_refused{10};  // untrusted or certificate-less devices, scanners
  LogThrottle handshake_timeout{5};   // slow-loris connections that never speak
};

struct SessionDependencies {
  std::shared_ptr<boost::asio::ssl::context> tls;
  std::shared_ptr<boost::asio::ssl::context> dtls;  // for CoAP over UDP; null when it is off
  /// What each session's conversation borrows (provisioning/device_conversation.hpp); its
  /// metrics count this transport's events too. Its refusal_log is pointed at
  /// log_throttles->handshake_refused by the DeviceServer.
  provisioning::ConversationDependencies conversation;
  SessionOptions options;
  std::shared_ptr<SessionLogThrottles> log_throttles = std::make_shared<SessionLogThrottles>();
};

/// Runs a session to completion; never throws (every failure is logged and ends this session
/// only). `connection_id` tags the session's log lines.
boost::asio::awaitable<void> run_device_session(boost::asio::ip::tcp::socket socket,
                                                const SessionDependencies& deps,
                                                uint64_t connection_id);

}  // namespace dps::net
