#include "app/store_seeding.hpp"

#include <spdlog/spdlog.h>

#include "log/quoted.hpp"
#include "pki/trust_group.hpp"

namespace dps::app {
namespace {

// The group's trust path, or empty when its chain does not build (the catalog then skips the
// group with its own warning, as before trust paths existed).
std::vector<std::string> trust_path_of(const store::EnrollmentGroup& group) {
  pki::TrustGroupSpec spec;
  spec.group_id = group.id;
  spec.owner = group.owner;
  spec.certificate_chain_pem = group.x509.certificate_chain;
  spec.lead_certificate_name = group.x509.lead_certificate_name;
  auto built = pki::build_trust_group(spec);
  return built ? (*built)->trust_path() : std::vector<std::string>{};
}

}  // namespace

Result<void> seed_store(store::Store& store, const config::Config& config) {
  if (auto r = store.upsert_hubs(config.hubs); !r) return r;
  std::vector<store::EnrollmentGroup> groups = config.enrollment_groups;
  for (auto& group : groups) group.trust_path = trust_path_of(group);
  return store.upsert_enrollment_groups(groups);
}

Result<size_t> backfill_trust_paths(store::Store& store) {
  auto groups = store.list_enrollment_groups({store::OwnerScope::every_owner(), {}, {}, {}});
  if (!groups) return tl::unexpected(groups.error());
  size_t filled = 0;
  for (auto& group : *groups) {
    if (!group.trust_path.empty()) continue;
    group.trust_path = trust_path_of(group);
    if (group.trust_path.empty()) continue;
    auto stored = store.upsert_enrollment_groups({&group, 1});
    if (stored) {
      ++filled;
    } else if (stored.error().code == ErrorCode::Conflict) {
      spdlog::warn("enrollment group {} (owner {}) keeps no trust path: {}", group.id,
                   log::quoted(group.owner), stored.error().internal);
    } else {
      return tl::unexpected(stored.error());
    }
  }
  return filled;
}

}  // namespace dps::app
