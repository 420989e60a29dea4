// A small HTTP(S) client for key discovery (OIDC discovery document, JWKS) and OAuth2 token
// requests (client_credentials.hpp). Internal to
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

struct HttpResponse {
  unsigned status = 0;
  std::string body;
};

/// A POST's body and what goes with it.
struct HttpPost {
  std::string content_type = "application/x-www-form-urlencoded";
  std::string body;
  std::string authorization;  // the Authorization header; empty = none
};

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

  /// POST `post` to `url`; the answer whatever its status (an OAuth error is a 400/401 with a
  /// JSON body the caller reads). Unavailable when no complete answer came (as get()).
  /// Not thread-safe: one caller at a time.
  [[nodiscard]] Result<HttpResponse> post(const HttpUrl& url, const HttpPost& post,
                                          std::chrono::milliseconds timeout, size_t body_limit);

  /// Makes a get() in progress on another thread return at once (Unavailable); for shutdown.
  void cancel();

 private:
  struct Impl;
  explicit HttpFetcher(std::unique_ptr<Impl> impl);
  Result<HttpResponse> send(const HttpUrl& url, const HttpPost* post,
                            std::chrono::milliseconds timeout, size_t body_limit);
  std::unique_ptr<Impl> impl_;
};

}  // namespace dps::auth
