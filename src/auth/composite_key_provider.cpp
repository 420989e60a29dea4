#include "auth/composite_key_provider.hpp"

#include "auth/jwks.hpp"

namespace dps::auth {

CompositeKeyProvider::CompositeKeyProvider(std::vector<std::shared_ptr<KeyProvider>> providers)
    : providers_(std::move(providers)) {}

std::shared_ptr<const KeySet> CompositeKeyProvider::current() {
  std::vector<std::shared_ptr<const KeySet>> sets;
  sets.reserve(providers_.size());
  bool any = false;
  bool all = true;
  for (const auto& provider : providers_) {
    sets.push_back(provider->current());
    any = any || sets.back() != nullptr;
    all = all && sets.back() != nullptr;
  }
  if (!any) return nullptr;
  std::lock_guard lock(mutex_);
  // Providers swap whole sets, so pointer equality is enough to know nothing changed.
  if (merged_ && sets == inputs_) return merged_;
  merged_ = KeySet::merge(sets, all);
  inputs_ = std::move(sets);
  return merged_;
}

void CompositeKeyProvider::refresh_soon() {
  for (const auto& provider : providers_) provider->refresh_soon();
}

}  // namespace dps::auth
