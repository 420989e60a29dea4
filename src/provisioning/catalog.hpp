// The immutable snapshot of configuration that device sessions read: enrollment groups, hubs and
// the parsed trust anchors of every group. Built once per change, shared by all sessions, so no
// handshake parses a PEM chain or builds an X509_STORE (design.md, "Concurrency").
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/result.hpp"
#include "store/entities.hpp"

namespace dps::store {
class Store;
}
namespace dps::pki {
class TrustGroupIndex;
}

namespace dps::provisioning {

class Catalog {
 public:
  /// Builds the snapshot. Groups whose chain does not parse are skipped and reported in
  /// `skipped` (they were validated on the way in; this only guards against a hand-edited store).
  static std::shared_ptr<const Catalog> build(std::vector<store::EnrollmentGroup> groups,
                                              std::vector<store::Hub> hubs,
                                              std::vector<std::string>* skipped = nullptr);

  const store::EnrollmentGroup* find_group(const std::string& id) const;
  /// The hubs an enrollment group links, in its priority order; ids with no hub of the group's
  /// owner are listed in `missing`.
  std::vector<const store::Hub*> linked_hubs(const store::EnrollmentGroup& group,
                                             std::vector<std::string>* missing) const;
  /// True when some hub of any owner has this hub id (a UUID no device may take as its own id).
  bool is_hub_id(const std::string& id) const { return hub_ids_.contains(id); }
  const pki::TrustGroupIndex& trust() const { return *trust_; }
  size_t group_count() const { return groups_.size(); }

 private:
  std::unordered_map<std::string, store::EnrollmentGroup> groups_;
  // Keyed by owner + '\n' + hubId: hub ids are only unique within an owner (tenancy).
  std::unordered_map<std::string, store::Hub> hubs_;
  std::unordered_set<std::string> hub_ids_;
  std::shared_ptr<const pki::TrustGroupIndex> trust_;
};

/// Holds the current snapshot; readers take a shared_ptr copy and keep it for one request or
/// handshake, writers swap in a new one. A mutex around a pointer copy is cheaper than it sounds
/// and, unlike std::atomic<std::shared_ptr>, is lock-free-agnostic on every libstdc++.
class CatalogHolder {
 public:
  explicit CatalogHolder(std::shared_ptr<const Catalog> initial) : current_(std::move(initial)) {}
  std::shared_ptr<const Catalog> get() const {
    std::lock_guard lock(mutex_);
    return current_;
  }
  void set(std::shared_ptr<const Catalog> next) {
    std::lock_guard lock(mutex_);
    current_.swap(next);
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const Catalog> current_;
};

/// Loads every group and hub of every owner from the store and builds a snapshot.
Result<std::shared_ptr<const Catalog>> load_catalog(store::Store& store,
                                                    std::vector<std::string>* skipped = nullptr);

}  // namespace dps::provisioning
