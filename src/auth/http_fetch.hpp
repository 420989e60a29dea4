// A small HTTP(S) GET client for key discovery (OIDC discovery document, JWKS). Internal to
// dps_auth. Blocking by design: it runs on a key provider's background thread, never on an I/O
// thread, and each call is bounded by its timeout.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace dps::auth {

struct HttpUrl {
  bool tls = true;
  std::string host;    // without IPv6 brackets
  std::string port;    // always set ("443"/"80" when the URL has none)
  std::string target;  // path and query, at least "/"

  std::string text() const;  // the URL again, for messages
};

/// http(s)://host[:port][/path][?query]. Refuses other schemes, user info and fragments.
[[nodiscard]] Result<HttpUrl> parse_http_url(std::string_view url);

/// localhost, 127.0.0.0/8 and ::1: the only hosts plain http is allowed for. Key sets fetched in
/// clear text from anywhere else would let the network mint tokens.
bool is_loopback_host(std::string_view host);

class HttpFetcher {
 public:
  /// @param ca_pem  trust anchors for https (PEM); empty = the system store.
  /// @return BadRequest when ca_pem holds no usable certificate.
  [[nodiscard]] static Result<std::unique_ptr<HttpFetcher>> create(std::string_view ca_pem);
  ~HttpFetcher();
  HttpFetcher(const HttpFetcher&) = delete;
  HttpFetcher& operator=(const HttpFetcher&) = delete;

  /// GET `url`; the body of a 200 answer. TLS verifies the chain and the host name (SNI sent for
  /// DNS names). Redirects are not followed.
  /// @return Unavailable for every failure (resolve, connect, TLS, timeout, status, body limit):
  ///         to the caller all of them mean "the authority cannot be used right now".
  /// Not thread-safe: one caller at a time (cancel() excepted).
  [[nodiscard]] Result<std::string> get(const HttpUrl& url, std::chrono::milliseconds timeout,
                                        size_t body_limit);

  /// Makes a get() in progress on another thread return at once (Unavailable); for shutdown.
  void cancel();

 private:
  struct Impl;
  explicit HttpFetcher(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace dps::auth
