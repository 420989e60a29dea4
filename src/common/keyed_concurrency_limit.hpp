// At most N operations in flight per key (a bulkhead): used to bound the blocking threads one
// owner's hubs can hold while their authorities or certificate authorities are slow, so that an
// owner who points its hubs at endpoints that never answer cannot starve the others.
#pragma once

#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace dps {

class KeyedConcurrencyLimit {
 public:
  explicit KeyedConcurrencyLimit(size_t per_key) : per_key_(per_key) {}

  /// Held while the operation runs; releases its place when destroyed.
  class Slot {
   public:
    Slot(Slot&& other) noexcept : owner_(other.owner_), key_(std::move(other.key_)) {
      other.owner_ = nullptr;
    }
    Slot& operator=(Slot&&) = delete;
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    ~Slot();

   private:
    friend class KeyedConcurrencyLimit;
    Slot(KeyedConcurrencyLimit* owner, std::string key) : owner_(owner), key_(std::move(key)) {}
    KeyedConcurrencyLimit* owner_;
    std::string key_;
  };

  /// A place for `key`, or nullopt when `key` has per_key operations in flight. Thread-safe.
  std::optional<Slot> try_acquire(const std::string& key);

  size_t in_flight(const std::string& key) const;

 private:
  void release(const std::string& key);

  const size_t per_key_;
  mutable std::mutex mutex_;
  std::map<std::string, size_t> in_flight_;  // keys with at least one; guarded by mutex_
};

}  // namespace dps
