// OidcKeyProvider: the signing keys of an OAuth2/OpenID Connect authority, found by discovery
// (GET <authority>/.well-known/openid-configuration -> "jwks_uri" -> GET the JWKS, OpenID Connect
// Discovery 1.0 §4) and cached. Keys are fetched on a background thread: at start, every
// refresh_interval, and on demand (refresh_soon) at most once per on_demand_interval. A request
// never waits for the network. A discovery document whose "issuer" is not the configured
// authority is a failed fetch (OpenID Connect Discovery 1.0 §4.3), and every key taken from a good
// one carries that issuer: tokens it verifies must name it in `iss`.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "auth/key_provider.hpp"
#include "common/result.hpp"

namespace dps::auth {

class HttpFetcher;

struct OidcKeyProviderOptions {
  /// Issuer URL, e.g. "https://auth.example.com/realms/plgd". https only; plain http is accepted
  /// for loopback hosts (tests, a sidecar), never otherwise. The discovery document's "issuer"
  /// must equal it, trailing slashes aside.
  std::string authority;
  /// Trust anchors (PEM) for the authority's TLS certificate; empty = the system CA store.
  std::string ca_pem;
  std::chrono::seconds refresh_interval{600};
  /// Rate limit of refresh_soon(): anyone can send tokens with unknown kids, and each one must
  /// not become a request to the authority. Requests inside the window coalesce into one fetch
  /// at its end.
  std::chrono::seconds on_demand_interval{30};
  /// Per HTTP request, connection and DNS included.
  std::chrono::milliseconds timeout{5000};
};

class OidcKeyProvider final : public KeyProvider {
 public:
  struct Status {
    uint64_t attempts = 0;  // fetches tried (discovery + JWKS = one attempt)
    uint64_t failures = 0;
    bool has_keys = false;
    std::string last_error;  // of the last attempt; empty after a success
  };

  /// Checks the options, then starts the background thread, which fetches at once. Does not wait
  /// for the authority: an unreachable one is logged and retried (1 s, doubling up to
  /// min(60 s, refresh_interval)), and until it answers, current() is nullptr.
  /// @return BadRequest for a malformed authority URL, plain http to a non-loopback host, a bad
  ///         CA PEM or non-positive intervals.
  [[nodiscard]] static Result<std::shared_ptr<OidcKeyProvider>> start(
      OidcKeyProviderOptions options);

  /// Stops the thread; a fetch in progress is abandoned.
  ~OidcKeyProvider() override;
  OidcKeyProvider(const OidcKeyProvider&) = delete;
  OidcKeyProvider& operator=(const OidcKeyProvider&) = delete;

  // auth::KeyProvider
  std::shared_ptr<const KeySet> current() override;
  void refresh_soon() override;

  Status status() const;
  /// Blocks until `attempts` fetches have finished (successfully or not) or `timeout` passes;
  /// true if they have. For startup diagnostics and tests.
  bool wait_for_attempts(uint64_t attempts, std::chrono::milliseconds timeout) const;

 private:
  using Clock = std::chrono::steady_clock;

  OidcKeyProvider(OidcKeyProviderOptions options, std::unique_ptr<HttpFetcher> fetcher);
  void run();
  Result<std::shared_ptr<const KeySet>> fetch();

  const OidcKeyProviderOptions options_;
  const std::unique_ptr<HttpFetcher> fetcher_;  // used by the worker thread only (cancel aside)

  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::shared_ptr<const KeySet> keys_;  // guarded by mutex_, as is everything below
  std::string keys_text_;    // the JWKS keys_ was parsed from: unchanged text, no re-parse
  std::string keys_issuer_;  // the discovery document's issuer keys_ carry
  Status status_;
  bool stopping_ = false;
  bool on_demand_pending_ = false;
  Clock::time_point next_periodic_{};   // first fetch at once
  Clock::time_point next_on_demand_{};  // earliest next on-demand fetch
  std::chrono::seconds retry_delay_{1};

  std::thread worker_;  // last: started once everything above is initialised
};

}  // namespace dps::auth
