// The operators' HTTPS endpoint: the management API, dps's own OpenID discovery and JWKS (so a
// plgd hub can use dps as the authority of the tokens it mints for devices), health checks and
// Prometheus metrics.
// Runs on its own I/O thread(s), apart from the devices' (devices must never wait for an operator).
// Requests that wait on the store (the API, /readyz) run on a pool of their own, so that the I/O
// threads keep accepting, reading, timing out and answering /healthz and /metrics meanwhile.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/log_throttle.hpp"
#include "common/rate_limiter.hpp"
#include "common/result.hpp"
#include "http/auth_failures.hpp"
#include "net/listener.hpp"

namespace dps::api {
class ManagementApi;
}
namespace dps::auth {
class JwtVerifier;
}
namespace dps::metrics {
class Metrics;
}

namespace dps::http {

struct HttpServerOptions {
  std::string address = "0.0.0.0:9100";
  size_t max_body_size = 1 << 20;  // bigger API bodies get 413
  RateLimit per_token;             // API requests per bearer token, beyond it 429
  std::chrono::milliseconds request_timeout{30000};
  unsigned threads = 1;
  /// Connections open at once, further capped by the descriptor budget (descriptor_budget.hpp);
  /// beyond it new connections are closed at accept.
  size_t max_connections = 1024;
  RateLimit per_source;  // new connections per source address, beyond it closed at accept
  /// Accept → first bytes → TLS established (with TLS off: → first bytes); the TLS state is
  /// created only once bytes arrive.
  std::chrono::milliseconds handshake_timeout{5000};
  AuthFailureLimit auth_failures;  // failed authentications per source, beyond them 429
};

/// What the web console needs to know of its deployment (console_routes.hpp).
struct ConsoleSettings {
  bool enabled = true;
  /// OpenID Connect sign-in (authorization code + PKCE): the authority's issuer URL and the public
  /// client registered there for the console. Either empty: the console signs in with a pasted
  /// token only.
  std::string oidc_authority;
  std::string oidc_client_id;
  std::string oidc_scopes = "openid";
};

/// What the server serves besides the API itself.
struct HttpEndpoints {
  api::ManagementApi* api = nullptr;
  const auth::JwtVerifier* verifier = nullptr;
  std::string issuer;  // of dps's own device tokens
  /// How callers reach us, e.g. "https://dps.example.com:9100" (apis.http.publicUrl): the base of
  /// the discovery document's URLs, never taken from a request's Host header.
  std::string public_url;
  std::function<std::string()> jwks_json;  // dps's own token keys
  std::function<bool()> ready;             // /readyz: store reachable
  /// /metrics (Prometheus text, no token), and the counter of every answered request; null:
  /// /metrics is 404 and nothing is counted.
  metrics::Metrics* metrics = nullptr;
  /// Requests per bearer token; null = no limit. HttpServer points it at its own limiter.
  KeyedRateLimiter* token_rate = nullptr;
  /// Failed authentications per source and their log lines; HttpServer points it at its own.
  AuthFailures* auth_failures = nullptr;
  ConsoleSettings console;
};

class HttpServer {
 public:
  static constexpr unsigned kStoreCallThreads = 4;

  /// `tls` null = plain HTTP (only when configured so). Binds at once; serves from start().
  static Result<std::unique_ptr<HttpServer>> create(const HttpServerOptions& options,
                                                    std::shared_ptr<boost::asio::ssl::context> tls,
                                                    HttpEndpoints endpoints);
  ~HttpServer();
  boost::asio::ip::tcp::endpoint local_endpoint() const;
  void start();
  void stop();

 private:
  HttpServer(const HttpServerOptions& options, std::shared_ptr<boost::asio::ssl::context> tls,
             HttpEndpoints endpoints);
  net::Listener::Hooks listener_hooks();
  boost::asio::awaitable<void> run_connection(boost::asio::ip::tcp::socket socket);

  HttpServerOptions options_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
  HttpEndpoints endpoints_;
  boost::asio::io_context io_;
  /// Runs the requests that may wait on the store (routes.hpp, may_wait_on_store): as many at a
  /// time as it has threads; the others queue, each still under its connection's deadline.
  boost::asio::thread_pool store_calls_{kStoreCallThreads};
  KeyedRateLimiter token_rate_;
  AuthFailures auth_failures_;
  net::Listener listener_;
  LogThrottle silent_log_{5};  // "sent nothing within apis.http.handshakeTimeout"
  std::vector<std::thread> threads_;
};

}  // namespace dps::http
