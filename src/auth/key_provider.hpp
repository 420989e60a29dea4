// KeyProvider: where JwtVerifier gets the keys that may sign management API tokens. Adapters:
// StaticKeyProvider (a configured JWKS, e.g. dps's own jwks.json for the local admin token),
// OidcKeyProvider (an authority's JWKS found by OpenID Connect discovery) and
// CompositeKeyProvider (several of them at once).
#pragma once

#include <memory>

namespace dps::auth {

class KeySet;

class KeyProvider {
 public:
  virtual ~KeyProvider() = default;

  /// The keys in force now. Cheap (no I/O): called once per verified request.
  /// @return nullptr while no key set has been obtained yet (the authority has not answered);
  ///         the verifier then answers Unavailable, not Unauthenticated.
  /// @warning Called concurrently from every I/O thread.
  virtual std::shared_ptr<const KeySet> current() = 0;

  /// A token named a key that current() lacks: fetch the set again soon, in the background.
  /// Never blocks and never fetches on the caller's thread; implementations rate-limit it, since
  /// anyone can send a token with a made-up kid. No-op for keys that cannot change.
  /// @warning Called concurrently from every I/O thread.
  virtual void refresh_soon() = 0;
};

}  // namespace dps::auth
