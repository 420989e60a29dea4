// TokenSource: the port through which provisioning obtains the access token a device presents to
// its hub (device-protocol.md §3.3). Implementations: EmbeddedTokenMinter (JWTs signed by dps)
// and, later, an OAuth2 client-credentials client for hubs with an external authority.
#pragma once

#include <chrono>
#include <string>

#include "common/result.hpp"

namespace dps::auth {

struct TokenRequest {
  std::string owner;        // value of the owner claim
  std::string owner_claim;  // claim name the hub reads the owner from, e.g. https://plgd.dev/owner
  std::string device_id;    // empty = no device claim
  std::string device_id_claim;  // empty = no device claim
  std::string hub_id;           // which hub the token is for (selects provider/caching)
  std::string audience;         // `aud`; empty = omitted
  /// How long a token dps mints itself lives (an enrollment template's); zero = the minter's
  /// default. An OAuth2 authority decides its tokens' lifetime and ignores this.
  std::chrono::seconds lifetime{0};
};

class TokenSource {
 public:
  virtual ~TokenSource() = default;

  /// Returns a bearer token (a compact JWT) for `request`.
  /// @return the token, or BadRequest for a request that cannot be expressed as a token,
  ///         Unavailable when an external provider cannot be reached (retry the step later).
  /// @warning Called concurrently from every I/O thread: implementations must be thread-safe.
  [[nodiscard]] virtual Result<std::string> token_for(const TokenRequest& request) = 0;
};

}  // namespace dps::auth
