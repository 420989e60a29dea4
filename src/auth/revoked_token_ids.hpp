// RevokedTokenIds: the `jti`s of management API tokens revoked before their expiry (revoke by
// token, without rotating the key that signed it). JwtVerifier asks it once per verified token.
#pragma once

#include <string_view>

namespace dps::auth {

class RevokedTokenIds {
 public:
  virtual ~RevokedTokenIds() = default;

  /// True when `jti` is revoked. In memory only (no I/O): called once per API request.
  /// @warning Called concurrently from every I/O thread.
  virtual bool revoked(std::string_view jti) const = 0;
};

}  // namespace dps::auth
