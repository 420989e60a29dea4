// The token source of each hub whose tokens come from an OAuth2 authority (its
// authorization.provider names one): one ClientCredentialsTokenSource per hub, made on the hub's
// first device and kept, with its token cache, while the hub's provider settings stay the same;
// a hub whose settings change gets a fresh one. Shared by every session. Hubs without an
// authority use dps's own minter (Services::tokens).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "auth/token_source.hpp"
#include "common/log_throttle.hpp"
#include "common/result.hpp"
#include "store/entities.hpp"

namespace dps::metrics {
class Metrics;
}

namespace dps::provisioning {

class HubTokenSources {
 public:
  /// @param metrics where failures are counted (dps_hub_token_failures_total); may be null.
  /// @param timeout per HTTP request to an authority.
  explicit HubTokenSources(metrics::Metrics* metrics = nullptr,
                           std::chrono::milliseconds timeout = std::chrono::milliseconds(5000))
      : metrics_(metrics), timeout_(timeout) {}

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
  struct Entry {
    store::OAuthProvider provider;
    std::shared_ptr<auth::TokenSource> source;
  };
  /// Beyond this many hubs, sources of hubs not asked for lately are dropped (made again when
  /// asked for): quotas bound hubs per owner, this bounds them all.
  static constexpr size_t kMaxHubs = 10000;

  metrics::Metrics* const metrics_;
  const std::chrono::milliseconds timeout_;
  LogThrottle failure_lines_{5};
  mutable std::mutex mutex_;
  std::map<std::string, Entry> sources_;  // by hub record id; guarded by mutex_
};

}  // namespace dps::provisioning
