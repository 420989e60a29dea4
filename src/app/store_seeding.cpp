#include "app/store_seeding.hpp"

#include <spdlog/spdlog.h>

#include <unordered_map>

#include "log/quoted.hpp"
#include "pki/trust_group.hpp"
#include "store/group_attestation.hpp"

namespace dps::app {
namespace {

// The group's parsed trust; an error when its chain does not build (the catalog then skips the
// group with its own warning, as before trust paths existed).
Result<std::shared_ptr<const pki::TrustGroup>> trust_of(const store::EnrollmentGroup& group) {
  const store::AttestationView attestation = store::attestation_of(group);
  pki::TrustGroupSpec spec;
  spec.group_id = group.id;
  spec.owner = group.owner;
  spec.certificate_chain_pem = attestation.certificate_chain;
  spec.lead_certificate_name = attestation.lead_certificate_name;
  return pki::build_trust_group(spec);
}

std::vector<std::string> trust_path_of(const store::EnrollmentGroup& group) {
  auto built = trust_of(group);
  return built ? (*built)->trust_path() : std::vector<std::string>{};
}

// Whether each group's trust overlaps a group of another owner in `groups` (the lead of one on
// the path of the other), by an index of every path entry: linear in the entries, not pairs.
std::vector<bool> contested_across_owners(const std::vector<store::EnrollmentGroup>& groups) {
  std::unordered_map<std::string, std::vector<size_t>> holders;  // fingerprint -> groups
  for (size_t i = 0; i < groups.size(); ++i) {
    for (const std::string& fingerprint : groups[i].trust_path) holders[fingerprint].push_back(i);
  }
  std::vector<bool> contested(groups.size(), false);
  for (size_t i = 0; i < groups.size(); ++i) {
    const std::string& lead = groups[i].trust_path.front();
    for (size_t j : holders[lead]) {
      if (groups[j].owner != groups[i].owner) contested[i] = contested[j] = true;
    }
  }
  return contested;
}

}  // namespace

Result<void> seed_store(store::Store& store, const config::Config& config) {
  if (auto r = store.upsert_hubs(config.hubs); !r) return r;
  std::vector<store::EnrollmentGroup> groups = config.enrollment_groups;
  for (auto& group : groups) {
    auto built = trust_of(group);
    if (!built) continue;
    group.trust_path = (*built)->trust_path();
    // A TPM group's lead is its chain's first certificate; its name is stored as the API stores
    // it, for the lead-name filter and quota.
    if (group.is_tpm()) group.tpm.lead_certificate_name = (*built)->lead_name();
  }
  return store.upsert_enrollment_groups(groups);
}

Result<size_t> backfill_trust_paths(store::Store& store) {
  auto groups = store.list_enrollment_groups({store::OwnerScope::every_owner(), {}, {}, {}});
  if (!groups) return tl::unexpected(groups.error());
  std::vector<store::EnrollmentGroup> legacy;
  for (auto& group : *groups) {
    if (!group.trust_path.empty()) continue;
    group.trust_path = trust_path_of(group);
    if (!group.trust_path.empty()) legacy.push_back(std::move(group));
  }
  // Two legacy groups of different owners over the same devices: whichever claimed first would
  // win by an accident of ids, so neither claims (contested()); both are disabled.
  const std::vector<bool> contested = contested_across_owners(legacy);
  size_t filled = 0;
  for (size_t i = 0; i < legacy.size(); ++i) {
    store::EnrollmentGroup& group = legacy[i];
    std::string why = "another owner's group written before this dps also trusts its CA";
    if (!contested[i]) {
      auto stored = store.upsert_enrollment_groups({&group, 1});
      if (stored) {
        ++filled;
        continue;
      }
      if (stored.error().code != ErrorCode::Conflict) return tl::unexpected(stored.error());
      why = stored.error().internal;
    }
    // Left active, it would keep admitting devices another owner's group claims, invisible to
    // the overlap rule (no trust rows): disabled until its owner re-creates it with a proof.
    group.trust_path.clear();
    const bool was_enabled = !group.disabled;
    group.disabled = true;
    if (auto disabled = store.upsert_enrollment_groups({&group, 1}); !disabled) {
      return tl::unexpected(disabled.error());
    }
    if (was_enabled) {
      spdlog::warn("enrollment group {} (owner {}) disabled: its trust overlaps ({})", group.id,
                   log::quoted(group.owner), why);
    }
  }
  return filled;
}

}  // namespace dps::app
