// A synchronous HTTP(S) client for the management API: one request per connection, every step
// (resolve, connect, TLS handshake, write, read) bounded by the --timeout deadline. Transport
// failures become CliErrors with their exit codes; HTTP answers, errors included, are returned
// for the caller to interpret.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "global_options.hpp"

namespace boost::asio::ssl {
class context;
}

namespace dps::dpsctl {

enum class Method { Get, Post, Put, Delete };

struct HttpReply {
  unsigned status = 0;
  std::string body;
};

class ApiClient {
 public:
  /// With settings.insecure, warns on stderr once.
  explicit ApiClient(ConnectionSettings settings);
  ~ApiClient();
  ApiClient(const ApiClient&) = delete;
  ApiClient& operator=(const ApiClient&) = delete;

  /// Sends one request with the bearer token. `target` is relative to the server URL's base path
  /// ("/api/v1/hubs?idFilter=..."). A non-empty `json_body` is sent as application/json.
  /// @throws CliError Unauthorized when no token was found; Usage when --ca cannot be loaded;
  ///         Unreachable when the server cannot be reached, the TLS handshake fails or the
  ///         deadline passes.
  /// Thread-safe: each call has its own connection (bulk-create sends from several threads).
  HttpReply send(Method method, const std::string& target, const std::string& json_body = "");

 private:
  boost::asio::ssl::context& tls_context();

  ConnectionSettings settings_;
  std::mutex tls_mutex_;                            // guards building tls_
  std::unique_ptr<boost::asio::ssl::context> tls_;  // built on the first https request
};

}  // namespace dps::dpsctl
