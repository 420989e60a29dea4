#include "common/keyed_concurrency_limit.hpp"

namespace dps {

KeyedConcurrencyLimit::Slot::~Slot() {
  if (owner_ != nullptr) owner_->release(key_);
}

std::optional<KeyedConcurrencyLimit::Slot> KeyedConcurrencyLimit::try_acquire(
    const std::string& key) {
  std::lock_guard lock(mutex_);
  size_t& count = in_flight_[key];
  if (count >= per_key_) return std::nullopt;
  ++count;
  return Slot(this, key);
}

size_t KeyedConcurrencyLimit::in_flight(const std::string& key) const {
  std::lock_guard lock(mutex_);
  auto it = in_flight_.find(key);
  return it == in_flight_.end() ? 0 : it->second;
}

void KeyedConcurrencyLimit::release(const std::string& key) {
  std::lock_guard lock(mutex_);
  auto it = in_flight_.find(key);
  if (it == in_flight_.end()) return;
  if (--it->second == 0) in_flight_.erase(it);  // the map holds only keys in flight: bounded
}

}  // namespace dps
