// One client per hub, shared by every session (HubTokenSources: OAuth2 token sources,
// HubCertificateAuthorities: gRPC certificate-authority clients): made on the hub's first use and
// kept while the hub's settings stay the same; a hub whose settings change gets a fresh one, a
// hub that leaves the catalog loses its own (retain()).
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "common/result.hpp"

namespace dps::provisioning {

template <class Settings, class Client>
class PerHubCache {
 public:
  /// The client of hub `id` (record id) for `settings`: the kept one when its settings are equal,
  /// else what `make()` (a Result<std::shared_ptr<Client>>) gives, called outside the lock.
  /// Thread-safe.
  template <class Make>
  Result<std::shared_ptr<Client>> get(const std::string& id, const Settings& settings,
                                      Make&& make) {
    {
      std::lock_guard lock(mutex_);
      if (auto it = entries_.find(id); it != entries_.end() && it->second.settings == settings) {
        return it->second.client;
      }
    }
    Result<std::shared_ptr<Client>> made = std::forward<Make>(make)();
    if (!made) return made;
    std::shared_ptr<Client> client = std::move(*made);
    std::lock_guard lock(mutex_);
    // A hub missing from the last catalog (deleted, seen by a session that still holds an older
    // snapshot) is served once and not kept: retain() already dropped it for good.
    if (retained_ && !retained_->contains(id)) return client;
    // Two sessions may have made one each: the first stored wins, so they share one client.
    auto [it, inserted] = entries_.try_emplace(id, Entry{settings, client});
    if (!inserted) {
      if (it->second.settings == settings) return it->second.client;
      it->second = Entry{settings, client};
    }
    // Quotas bound hubs per owner; this bounds them all (a dropped one is made again if asked).
    if (entries_.size() > kMaxHubs) {
      auto victim = entries_.begin();
      if (victim == it) ++victim;
      entries_.erase(victim);
    }
    return client;
  }

  /// Drops the clients of hubs not in `ids` (record ids), and keeps none for them from now on:
  /// called when the catalog changes, so a deleted hub's client (its connection, cached tokens,
  /// client key) does not outlive it.
  void retain(const std::set<std::string, std::less<>>& ids) {
    std::lock_guard lock(mutex_);
    std::erase_if(entries_, [&](const auto& entry) { return !ids.contains(entry.first); });
    retained_ = ids;
  }

  size_t size() const {
    std::lock_guard lock(mutex_);
    return entries_.size();
  }

 private:
  struct Entry {
    Settings settings;
    std::shared_ptr<Client> client;
  };
  static constexpr size_t kMaxHubs = 10000;

  mutable std::mutex mutex_;
  std::map<std::string, Entry> entries_;  // by hub record id; guarded by mutex_
  /// The hub ids of the last retain() (none before the first). Guarded by mutex_.
  std::optional<std::set<std::string, std::less<>>> retained_;
};

}  // namespace dps::provisioning
