// The token source of each hub whose tokens come from an OAuth2 authority (its
// authorization.provider names one): one ClientCredentialsTokenSource per hub, made on the hub's
// first device and kept, with its token cache, while the hub's provider settings stay the same;
// a hub whose settings change gets a fresh one. Shared by every session. Hubs without an
// authority use dps's own minter (Services::tokens).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "auth/token_source.hpp"
#include "common/keyed_concurrency_limit.hpp"
#include "common/log_throttle.hpp"
#include "common/result.hpp"
#include "provisioning/per_hub_cache.hpp"
#include "store/entities.hpp"

namespace dps::metrics {
class Metrics;
}

namespace dps::provisioning {

class HubTokenSources {
 public:
  /// @param metrics where failures are counted (dps_hub_token_failures_total); may be null.
  /// @param timeout per HTTP request to an authority.
  /// @param calls  bounds the token requests one owner's hubs have in flight (shared with
  ///        HubCertificateAuthorities); null = unbounded.
  explicit HubTokenSources(metrics::Metrics* metrics = nullptr,
                           std::chrono::milliseconds timeout = std::chrono::milliseconds(5000),
                           KeyedConcurrencyLimit* calls = nullptr)
      : metrics_(metrics), timeout_(timeout), calls_(calls) {}

  /// A token of `hub` (whose provider names an authority) for `request`: from the cache, or
  /// fetched. Unavailable at once when the hub's owner has its bound of calls in flight.
  /// Failures are counted and logged (note_failure). Blocks up to the timeout.
  [[nodiscard]] Result<std::string> token(const store::Hub& hub, const auth::TokenRequest& request);

  /// The source for `hub` (whose provider names an authority).
  /// @return BadRequest when its settings cannot make a client (a malformed authority, plain
  ///         http to a non-loopback host, no client id or secret), naming the hub.
  /// Thread-safe; makes no network request.
  [[nodiscard]] Result<std::shared_ptr<auth::TokenSource>> for_hub(const store::Hub& hub);

  /// A token `hub`'s authority did not give: counted, and logged naming the hub and the error
  /// (at most 5 lines a second: an authority that is down fails every device of the hub).
  void note_failure(const store::Hub& hub, const Error& error);

  /// Drops the sources (and cached tokens) of hubs not in `hub_ids` (record ids): called when
  /// the catalog changes, so a deleted hub's tokens do not outlive it.
  void retain(const std::set<std::string, std::less<>>& hub_ids);

  /// Hubs with a source now (for tests and metrics).
  size_t size() const;

 private:
  metrics::Metrics* const metrics_;
  const std::chrono::milliseconds timeout_;
  KeyedConcurrencyLimit* const calls_;
  LogThrottle failure_lines_{5};
  PerHubCache<store::OAuthProvider, auth::TokenSource> sources_;
};

}  // namespace dps::provisioning
