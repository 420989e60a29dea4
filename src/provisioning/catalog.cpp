#include "provisioning/catalog.hpp"

#include <functional>
#include <optional>
#include <string_view>
#include <tuple>

#include "pki/chain_verifier.hpp"
#include "store/group_attestation.hpp"

namespace dps::provisioning {
namespace {

std::string hub_key(const std::string& owner, const std::string& hub_id) {
  return owner + '\n' + hub_id;
}

// Every field of a group that trust_spec_of() reads, and so all that its TrustGroup depends on:
// keep the two in step. Compared for equality rather than hashed: as cheap (one pass over the
// bytes either way) and no collision can ever hand a group another chain's trust.
auto trust_inputs(const store::EnrollmentGroup& group) {
  return std::tie(group.id, group.owner, group.x509, group.tpm, group.revoked_certificates,
                  group.crl, group.disabled);
}

pki::TrustGroupSpec trust_spec_of(const store::EnrollmentGroup& group) {
  const store::AttestationView attestation = store::attestation_of(group);
  pki::TrustGroupSpec spec;
  spec.group_id = group.id;
  spec.owner = group.owner;
  spec.certificate_chain_pem = attestation.certificate_chain;
  // A TPM group is led by its chain's first certificate whatever its stored (derived) name says:
  // EK certificates come without intermediates.
  if (!group.is_tpm()) spec.lead_certificate_name = attestation.lead_certificate_name;
  spec.expired_certificate_enabled = attestation.expired_certificate_enabled;
  spec.revoked = group.revoked_certificates;
  spec.crl_pem = group.crl;
  spec.disabled = group.disabled;
  return spec;
}

}  // namespace

// Builds the next snapshot: from scratch, or (incremental) from the previous one, copying a
// shard the first time it changes and noting which TrustGroups leave and join, so that the index
// is updated rather than rebuilt.
class Catalog::Writer {
 public:
  Writer(Catalog& next, const Catalog* previous, bool incremental,
         std::vector<std::string>* skipped)
      : next_(next), previous_(previous), incremental_(incremental), skipped_(skipped) {
    if (incremental_) {
      next_.shards_ = previous_->shards_;
      next_.group_count_ = previous_->group_count_;
    } else {
      for (auto& shard : next_.shards_) shard = std::make_shared<const Shard>();
    }
  }

  // Puts `group` in place of any entry of its id. Its TrustGroup is the previous snapshot's when
  // the trust inputs are unchanged, else parsed now; one that does not parse leaves the id out.
  void put(store::EnrollmentGroup group, int64_t revision) {
    std::shared_ptr<const pki::TrustGroup> trust;
    if (const Entry* before = previous_ ? previous_->find_entry(group.id) : nullptr;
        before != nullptr && trust_inputs(before->group) == trust_inputs(group)) {
      trust = before->trust;
    } else {
      auto built = pki::build_trust_group(trust_spec_of(group));
      if (!built) {
        if (skipped_) {
          skipped_->push_back("enrollment group " + group.id + ": " + built.error().internal);
        }
        erase(group.id);
        return;
      }
      trust = std::move(*built);
      ++next_.parsed_;
    }
    index_of(group).added.push_back(trust);
    Shard& shard = writable(group.id);
    auto entry = std::make_shared<const Entry>(Entry{std::move(group), std::move(trust), revision});
    if (auto it = shard.find(entry->group.id); it != shard.end()) {
      index_of(it->second->group).removed.push_back(it->second->trust);
      it->second = std::move(entry);
    } else {
      shard.emplace(entry->group.id, std::move(entry));
      ++next_.group_count_;
    }
  }

  void erase(const std::string& id) {
    if (next_.find_entry(id) == nullptr) return;
    Shard& shard = writable(id);
    auto it = shard.find(id);
    index_of(it->second->group).removed.push_back(it->second->trust);
    shard.erase(it);
    --next_.group_count_;
  }

  void finish(std::vector<store::Hub> hubs, std::vector<store::EnrollmentTemplate> templates) {
    for (auto& t : templates) {
      std::string id = t.id;
      next_.templates_.emplace(std::move(id), std::move(t));
    }
    for (auto& hub : hubs) {
      next_.hub_ids_.insert(hub.hub_id);
      std::string key = hub_key(hub.owner, hub.hub_id);
      next_.hubs_.emplace(std::move(key), std::move(hub));
    }
    if (incremental_) {
      next_.trust_ = certificates_.updated(*previous_->trust_);
      next_.tpm_trust_ = tpms_.updated(*previous_->tpm_trust_);
      return;
    }
    std::vector<std::shared_ptr<const pki::TrustGroup>> certificates;
    std::vector<std::shared_ptr<const pki::TrustGroup>> tpms;
    certificates.reserve(next_.group_count_);
    for (const auto& shard : next_.shards_) {
      for (const auto& [id, entry] : *shard) {
        (entry->group.is_tpm() ? tpms : certificates).push_back(entry->trust);
      }
    }
    next_.trust_ = std::make_shared<const pki::TrustGroupIndex>(std::move(certificates));
    next_.tpm_trust_ = std::make_shared<const pki::TrustGroupIndex>(std::move(tpms));
  }

 private:
  // What one index loses and gains in this build. Held, not borrowed: an entry replaced twice in
  // one build would otherwise dangle.
  struct IndexChanges {
    std::vector<std::shared_ptr<const pki::TrustGroup>> removed;
    std::vector<std::shared_ptr<const pki::TrustGroup>> added;

    std::shared_ptr<const pki::TrustGroupIndex> updated(const pki::TrustGroupIndex& index) const {
      std::vector<const pki::TrustGroup*> gone;
      gone.reserve(removed.size());
      for (const auto& group : removed) gone.push_back(group.get());
      return index.updated(gone, added);
    }
  };

  // TPM groups are kept out of the index TLS handshakes match client certificates against: a
  // TPM vendor's CA vouches for endorsement keys, which never sign a handshake, so a client
  // certificate issued under it proves nothing about a device.
  IndexChanges& index_of(const store::EnrollmentGroup& group) {
    return group.is_tpm() ? tpms_ : certificates_;
  }

  Shard& writable(const std::string& id) {
    const size_t i = shard_of(id);
    if (!copied_[i]) {
      copied_[i] = std::make_shared<Shard>(*next_.shards_[i]);
      next_.shards_[i] = copied_[i];
    }
    return *copied_[i];
  }

  Catalog& next_;
  const Catalog* previous_;
  const bool incremental_;
  std::vector<std::string>* skipped_;
  std::array<std::shared_ptr<Shard>, kShards> copied_;  // the shards `next_` owns alone
  IndexChanges certificates_;
  IndexChanges tpms_;
};

size_t Catalog::shard_of(const std::string& id) { return std::hash<std::string>{}(id) % kShards; }

const Catalog::Entry* Catalog::find_entry(const std::string& id) const {
  const auto& shard = shards_[shard_of(id)];
  if (!shard) return nullptr;
  auto it = shard->find(id);
  return it == shard->end() ? nullptr : it->second.get();
}

std::shared_ptr<const Catalog> Catalog::build(std::vector<store::EnrollmentGroup> groups,
                                              std::vector<store::Hub> hubs,
                                              std::vector<std::string>* skipped,
                                              const Catalog* previous,
                                              std::vector<store::EnrollmentTemplate> templates) {
  auto catalog = std::make_shared<Catalog>();
  Writer writer(*catalog, previous, /*incremental=*/false, skipped);
  for (auto& group : groups) writer.put(std::move(group), kUnknownRevision);
  writer.finish(std::move(hubs), std::move(templates));
  return catalog;
}

std::shared_ptr<const Catalog> Catalog::update(
    const Catalog* previous, const std::vector<store::GroupRevision>& revisions, bool complete,
    std::vector<store::EnrollmentGroup> fetched, std::vector<store::Hub> hubs,
    std::vector<std::string>* skipped, std::vector<store::EnrollmentTemplate> templates) {
  auto catalog = std::make_shared<Catalog>();
  Writer writer(*catalog, previous, /*incremental=*/previous != nullptr, skipped);
  catalog->watermark_ = complete || previous == nullptr ? -1 : previous->watermark_;
  for (const auto& listed : revisions) {
    catalog->watermark_ = std::max(catalog->watermark_, listed.revision);
  }
  std::unordered_map<std::string, store::EnrollmentGroup*> by_id;
  for (auto& group : fetched) by_id.emplace(group.id, &group);
  size_t listed_and_held = 0;
  for (const auto& [id, revision] : revisions) {
    const Entry* held = previous ? previous->find_entry(id) : nullptr;
    if (held != nullptr) ++listed_and_held;
    if (auto it = by_id.find(id); it != by_id.end()) {
      writer.put(std::move(*it->second), revision);
      by_id.erase(it);
    } else if (held != nullptr && held->revision != revision) {
      writer.erase(id);  // changed, then deleted before the groups were read
    }
  }
  // Held but no longer listed: deleted. Only then is the list of every id looked through.
  if (complete && previous != nullptr && listed_and_held < previous->group_count_) {
    std::unordered_set<std::string_view> listed;
    listed.reserve(revisions.size());
    for (const auto& revision : revisions) listed.insert(revision.id);
    std::vector<std::string> gone;
    for (const auto& shard : previous->shards_) {
      for (const auto& [id, entry] : *shard) {
        if (!listed.contains(id)) gone.push_back(id);
      }
    }
    for (const auto& id : gone) writer.erase(id);
  }
  // Created between the two reads (a full read): its revision is not known, so the next refresh
  // reads it again.
  for (auto& [id, group] : by_id) writer.put(std::move(*group), kUnknownRevision);
  writer.finish(std::move(hubs), std::move(templates));
  return catalog;
}

std::vector<std::string> Catalog::stale_ids(
    const std::vector<store::GroupRevision>& revisions) const {
  std::vector<std::string> stale;
  for (const auto& [id, revision] : revisions) {
    const Entry* held = find_entry(id);
    if (held == nullptr || held->revision != revision) stale.push_back(id);
  }
  return stale;
}

const store::EnrollmentGroup* Catalog::find_group(const std::string& id) const {
  const Entry* entry = find_entry(id);
  return entry ? &entry->group : nullptr;
}

std::shared_ptr<const pki::TrustGroup> Catalog::trust_group(const std::string& id) const {
  const Entry* entry = find_entry(id);
  return entry ? entry->trust : nullptr;
}

std::vector<const store::Hub*> Catalog::linked_hubs(const store::EnrollmentGroup& group,
                                                    std::vector<std::string>* missing) const {
  std::vector<const store::Hub*> linked;
  for (const auto& hub_id : group.hub_ids) {
    auto it = hubs_.find(hub_key(group.owner, hub_id));
    if (it != hubs_.end()) {
      linked.push_back(&it->second);
    } else if (missing) {
      missing->push_back(hub_id);
    }
  }
  return linked;
}

namespace {

Result<std::vector<store::EnrollmentGroup>> read_groups(store::Store& store,
                                                        std::vector<std::string> ids) {
  if (ids.empty()) return std::vector<store::EnrollmentGroup>{};  // (no ids would mean "all")
  return store.list_enrollment_groups({store::OwnerScope::every_owner(), std::move(ids), {}, {}});
}

// Only the groups written since `previous` was built: their revisions come from a search of the
// revision index, and the count of every group tells whether any was deleted (then nullopt: the
// caller lists every revision). The count is read first: a group deleted between the two reads
// is still counted, so its deletion is seen by the refresh its version bump triggers; a group
// created in between is listed but not counted, which only sends this refresh the long way.
Result<std::optional<std::shared_ptr<const Catalog>>> load_changes(
    store::Store& store, std::vector<std::string>* skipped, const Catalog& previous,
    std::vector<store::Hub>& hubs, std::vector<store::EnrollmentTemplate>& templates) {
  auto total = store.count_enrollment_groups(store::OwnerScope::every_owner());
  if (!total) return tl::unexpected(total.error());
  auto changed = store.list_enrollment_group_revisions(previous.watermark());
  if (!changed) return tl::unexpected(changed.error());
  size_t held_changed = 0;
  for (const auto& listed : *changed) held_changed += previous.find_group(listed.id) ? 1 : 0;
  if (previous.group_count() - held_changed + changed->size() != *total) return std::nullopt;
  auto fetched = read_groups(store, previous.stale_ids(*changed));
  if (!fetched) return tl::unexpected(fetched.error());
  return Catalog::update(&previous, *changed, /*complete=*/false, std::move(*fetched),
                         std::move(hubs), skipped, std::move(templates));
}

}  // namespace

Result<std::shared_ptr<const Catalog>> load_catalog(store::Store& store,
                                                    std::vector<std::string>* skipped,
                                                    const Catalog* previous) {
  auto hubs = store.list_hubs({store::OwnerScope::every_owner(), {}, {}});
  if (!hubs) return tl::unexpected(hubs.error());
  // Like hubs, templates are few (a per-owner quota) and read whole at each reload.
  auto templates = store.list_templates({store::OwnerScope::every_owner(), {}});
  if (!templates) return tl::unexpected(templates.error());
  if (previous != nullptr && previous->watermark() >= 0) {
    auto changes = load_changes(store, skipped, *previous, *hubs, *templates);
    if (!changes) return tl::unexpected(changes.error());
    if (*changes) return std::move(**changes);
  }
  auto revisions = store.list_enrollment_group_revisions(-1);
  if (!revisions) return tl::unexpected(revisions.error());
  const std::vector<std::string> stale =
      previous ? previous->stale_ids(*revisions) : std::vector<std::string>{};
  // All groups in one read when there is nothing to reuse (or little): an id list as long as
  // the table buys nothing.
  const bool read_all = previous == nullptr || stale.size() * 2 > revisions->size();
  auto fetched = read_all
                     ? store.list_enrollment_groups({store::OwnerScope::every_owner(), {}, {}, {}})
                     : read_groups(store, stale);
  if (!fetched) return tl::unexpected(fetched.error());
  return Catalog::update(previous, *revisions, /*complete=*/true, std::move(*fetched),
                         std::move(*hubs), skipped, std::move(*templates));
}

const store::EnrollmentTemplate* Catalog::find_template(const std::string& owner,
                                                        const std::string& id) const {
  if (id.empty()) return nullptr;
  auto it = templates_.find(id);
  return it != templates_.end() && it->second.owner == owner ? &it->second : nullptr;
}

std::set<std::string, std::less<>> Catalog::hub_record_ids() const {
  std::set<std::string, std::less<>> ids;
  for (const auto& [key, hub] : hubs_) ids.insert(hub.id);
  return ids;
}

}  // namespace dps::provisioning
