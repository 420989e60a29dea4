// The immutable snapshot of configuration that device sessions read: enrollment groups, hubs and
// the parsed trust anchors of every group. Built once per change, shared by all sessions, so no
// handshake parses a PEM chain or builds an X509_STORE (design.md, "Concurrency"). A rebuild
// reuses the previous snapshot's parsed groups whose trust material did not change, so a write
// costs the groups it changed, not every group of every owner (issue 12).
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/result.hpp"
#include "store/entities.hpp"
#include "store/store.hpp"

namespace dps::pki {
class TrustGroup;
class TrustGroupIndex;
}  // namespace dps::pki

namespace dps::provisioning {

class Catalog {
 public:
  /// Builds the snapshot. Groups whose chain does not parse are skipped and reported in
  /// `skipped` (they were validated on the way in; this only guards against a hand-edited store).
  /// With `previous`, a group whose trust inputs (id, owner, x509 or tpm, revoked certificates,
  /// CRL, disabled) equal those it had there takes its parsed TrustGroup from there instead of
  /// being parsed and verified again; `previous` is only read and may keep serving meanwhile.
  static std::shared_ptr<const Catalog> build(
      std::vector<store::EnrollmentGroup> groups, std::vector<store::Hub> hubs,
      std::vector<std::string>* skipped = nullptr, const Catalog* previous = nullptr,
      std::vector<store::EnrollmentTemplate> templates = {});

  /// The store's path (load_catalog). `revisions` lists every group the store holds (`complete`),
  /// or only those written since previous->watermark() (then no group is taken to be deleted);
  /// `fetched` holds (at least) those that stale_ids(revisions) named, read after `revisions`. A
  /// group that `previous` holds at the same revision is taken over whole (entity and parsed
  /// trust, shared); a fetched one is built as by build(). A group listed but neither fetched nor
  /// current in `previous` was deleted between the two reads and is left out.
  static std::shared_ptr<const Catalog> update(
      const Catalog* previous, const std::vector<store::GroupRevision>& revisions, bool complete,
      std::vector<store::EnrollmentGroup> fetched, std::vector<store::Hub> hubs,
      std::vector<std::string>* skipped = nullptr,
      std::vector<store::EnrollmentTemplate> templates = {});
  /// The ids of `revisions` that this snapshot does not hold at that revision.
  std::vector<std::string> stale_ids(const std::vector<store::GroupRevision>& revisions) const;
  /// The highest group revision the store listed to this snapshot's line of updates (-1: none):
  /// every group written at or before it is held as written, or was deleted.
  int64_t watermark() const { return watermark_; }

  const store::EnrollmentGroup* find_group(const std::string& id) const;
  /// The hubs an enrollment group links, in its priority order; ids with no hub of the group's
  /// owner are listed in `missing`.
  std::vector<const store::Hub*> linked_hubs(const store::EnrollmentGroup& group,
                                             std::vector<std::string>* missing) const;
  /// The template `id` if `owner` holds it: an enrollment naming another owner's template (or a
  /// deleted one) gets none. Null for an empty id.
  const store::EnrollmentTemplate* find_template(const std::string& owner,
                                                 const std::string& id) const;
  /// True when some hub of any owner has this hub id (a UUID no device may take as its own id).
  bool is_hub_id(const std::string& id) const { return hub_ids_.contains(id); }
  /// The record ids of every hub of every owner (what per-hub clients are kept for).
  std::set<std::string, std::less<>> hub_record_ids() const;
  /// The certificate groups' trust, which TLS handshakes match client certificates against. TPM
  /// groups are not in it: no client certificate is ever admitted by one.
  const pki::TrustGroupIndex& trust() const { return *trust_; }
  /// The TPM groups' trust (vendor CAs), which EK certificates are checked against
  /// (tpm_group_admission.hpp).
  const pki::TrustGroupIndex& tpm_trust() const { return *tpm_trust_; }
  size_t group_count() const { return group_count_; }
  /// The parsed trust material of a group of this snapshot, or null.
  std::shared_ptr<const pki::TrustGroup> trust_group(const std::string& id) const;
  /// How this snapshot came by its groups' TrustGroups: parsed and verified now, or taken from
  /// the previous snapshot. For the reload log line and tests.
  size_t parsed_count() const { return parsed_; }
  size_t reused_count() const { return group_count_ - std::min(parsed_, group_count_); }

 private:
  // One group and what was derived from it; immutable, so snapshots share unchanged entries.
  struct Entry {
    store::EnrollmentGroup group;
    std::shared_ptr<const pki::TrustGroup> trust;
    int64_t revision;  // the store's (GroupRevision), or kUnknownRevision
  };
  static constexpr int64_t kUnknownRevision = -1;
  // Groups by id, split by a hash of the id into shards that the next snapshot shares unless it
  // changes them (copy on write): a write copies one shard, not the map of every group.
  using Shard = std::unordered_map<std::string, std::shared_ptr<const Entry>>;
  static constexpr size_t kShards = 64;
  static size_t shard_of(const std::string& id);
  class Writer;

  const Entry* find_entry(const std::string& id) const;

  std::array<std::shared_ptr<const Shard>, kShards> shards_;
  size_t group_count_ = 0;
  int64_t watermark_ = -1;
  size_t parsed_ = 0;
  // Keyed by owner + '\n' + hubId: hub ids are only unique within an owner (tenancy).
  std::unordered_map<std::string, store::Hub> hubs_;
  std::unordered_set<std::string> hub_ids_;
  std::unordered_map<std::string, store::EnrollmentTemplate> templates_;  // by id
  std::shared_ptr<const pki::TrustGroupIndex> trust_;
  std::shared_ptr<const pki::TrustGroupIndex> tpm_trust_;
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

/// Loads every group and hub of every owner from the store and builds a snapshot. With
/// `previous`, reads the groups' revisions first and then only the groups that changed since it
/// (Catalog::update): a write costs what it changed, not every group of every owner.
Result<std::shared_ptr<const Catalog>> load_catalog(store::Store& store,
                                                    std::vector<std::string>* skipped = nullptr,
                                                    const Catalog* previous = nullptr);

}  // namespace dps::provisioning
