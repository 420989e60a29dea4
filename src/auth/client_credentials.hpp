// ClientCredentialsTokenSource: hub access tokens from the hub's OAuth2 authority by the client
// credentials grant (RFC 6749 §4.4), as plgd's DPS gets them (its clientcredentials package): the
// token endpoint found by OpenID Connect discovery on `authority`; the client authenticated with
// HTTP Basic (id and secret form-encoded first, RFC 6749 §2.3.1), falling back to the secret in
// the form when the server refuses Basic; `scope`, `audience` and one parameter per claim the
// token must carry (the hub's owner claim, and its device id claim when set), named by the claim
// and then required in the returned JWT. Unlike plgd, tokens are cached per claim set until
// shortly before they expire, and concurrent requests for one claim set share one fetch.
//
// Blocking: a cache miss makes HTTP requests on the calling thread, each bounded by the timeout.
// Call it off the I/O threads.
#pragma once

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "auth/token_source.hpp"
#include "common/result.hpp"

namespace dps::auth {

class HttpFetcher;

struct ClientCredentialsOptions {
  /// Issuer URL; /.well-known/openid-configuration names the token endpoint. https, or http to a
  /// loopback host only (tests, a sidecar): client secrets never cross a network in clear text.
  std::string authority;
  std::string client_id;
  /// Read at start and again whenever its modification time changes (a rotated secret is used
  /// from the next fetch). Taken as is, as plgd does: a trailing newline is part of the secret.
  std::filesystem::path client_secret_file;
  /// The secret itself, when there is no file (a hub written through the API carries it).
  std::string client_secret;
  std::vector<std::string> scopes;
  std::string audience;  // sent as `audience` when not empty
  /// Trust anchors (PEM) for the authority's TLS certificate; empty = the system CA store.
  std::string ca_pem;
  /// Per HTTP request (discovery, token), connection and DNS included.
  std::chrono::milliseconds timeout{5000};
  /// A token is fetched again once it has less than this left (or a quarter of its life, if
  /// less); until it expires it is still served when that fetch fails.
  std::chrono::seconds refresh_margin{60};
  /// Claim sets whose tokens are kept; beyond it, the entries closest to expiry go first.
  size_t max_cached_tokens = 10000;
};

class ClientCredentialsTokenSource final : public TokenSource {
 public:
  struct Stats {
    uint64_t hits = 0;      // answered from the cache
    uint64_t fetches = 0;   // token requests made (a Basic-then-form retry counts once)
    uint64_t failures = 0;  // fetches that gave no token
    uint64_t waited = 0;    // requests that waited for another thread's fetch
  };

  /// Checks the options and reads the secret file; contacts nobody (discovery happens at the
  /// first token request, and again after a failure).
  /// @return BadRequest naming the problem: malformed authority, plain http to a non-loopback
  ///         host, empty client id, unreadable or empty secret file, a bad CA PEM.
  [[nodiscard]] static Result<std::unique_ptr<ClientCredentialsTokenSource>> create(
      ClientCredentialsOptions options);
  ~ClientCredentialsTokenSource() override;

  /// The token for `request`'s owner (and device id when the hub names a device id claim).
  /// @return Unavailable when the authority cannot be reached, times out, answers 5xx or
  ///         something that is not a token response (retry later); BadRequest when it refuses
  ///         the client (its OAuth error named) or its token lacks a required claim ("invalid
  ///         claim <name>: expected <value>, got <value>", plgd's words).
  /// Thread-safe.
  [[nodiscard]] Result<std::string> token_for(const TokenRequest& request) override;

  Stats stats() const;

 private:
  using Clock = std::chrono::system_clock;
  struct Token {
    std::string value;
    Clock::time_point refresh_at;
    Clock::time_point expires_at;
  };
  struct Flight;

  explicit ClientCredentialsTokenSource(ClientCredentialsOptions options);
  Result<Token> fetch(const std::vector<std::pair<std::string, std::string>>& claims);
  Result<std::string> token_endpoint(HttpFetcher& fetcher);
  Result<std::string> client_secret();
  void remember(const std::string& key, const Token& token);

  const ClientCredentialsOptions options_;

  mutable std::mutex mutex_;
  std::map<std::string, Token> tokens_;                          // guarded by mutex_
  std::map<std::string, std::shared_ptr<Flight>> flights_;       // guarded by mutex_
  std::vector<std::unique_ptr<HttpFetcher>> idle_fetchers_;      // guarded by mutex_
  std::string token_endpoint_;                                   // guarded by mutex_; "" = not yet
  std::string secret_;                                           // guarded by mutex_
  std::optional<std::filesystem::file_time_type> secret_mtime_;  // guarded by mutex_
  Stats stats_;                                                  // guarded by mutex_
};

}  // namespace dps::auth
