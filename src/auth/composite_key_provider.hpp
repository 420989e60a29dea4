// CompositeKeyProvider: the union of several providers' keys, for an API that accepts tokens from
// more than one authority (e.g. the operator's IdP and dps's own admin token).
#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include "auth/key_provider.hpp"

namespace dps::auth {

class CompositeKeyProvider final : public KeyProvider {
 public:
  explicit CompositeKeyProvider(std::vector<std::shared_ptr<KeyProvider>> providers);

  // auth::KeyProvider
  /// The merged set, rebuilt only when one of the inputs changed. nullptr while no provider has
  /// keys; a set with complete() == false while only some have.
  std::shared_ptr<const KeySet> current() override;
  /// Forwarded to every provider (each applies its own rate limit).
  void refresh_soon() override;

 private:
  const std::vector<std::shared_ptr<KeyProvider>> providers_;
  std::mutex mutex_;
  std::vector<std::shared_ptr<const KeySet>> inputs_;  // guarded by mutex_
  std::shared_ptr<const KeySet> merged_;               // guarded by mutex_
};

}  // namespace dps::auth
