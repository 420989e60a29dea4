#include "provisioning/catalog.hpp"

#include "pki/chain_verifier.hpp"
#include "store/store.hpp"

namespace dps::provisioning {
namespace {

std::string hub_key(const std::string& owner, const std::string& hub_id) {
  return owner + '\n' + hub_id;
}

pki::TrustGroupSpec trust_spec_of(const store::EnrollmentGroup& group) {
  pki::TrustGroupSpec spec;
  spec.group_id = group.id;
  spec.owner = group.owner;
  spec.certificate_chain_pem = group.x509.certificate_chain;
  spec.lead_certificate_name = group.x509.lead_certificate_name;
  spec.expired_certificate_enabled = group.x509.expired_certificate_enabled;
  spec.revoked = group.revoked_certificates;
  spec.crl_pem = group.crl;
  spec.disabled = group.disabled;
  return spec;
}

}  // namespace

std::shared_ptr<const Catalog> Catalog::build(std::vector<store::EnrollmentGroup> groups,
                                              std::vector<store::Hub> hubs,
                                              std::vector<std::string>* skipped) {
  auto catalog = std::make_shared<Catalog>();
  std::vector<std::shared_ptr<const pki::TrustGroup>> trust_groups;
  trust_groups.reserve(groups.size());
  for (auto& group : groups) {
    auto trust = pki::build_trust_group(trust_spec_of(group));
    if (!trust) {
      if (skipped)
        skipped->push_back("enrollment group " + group.id + ": " + trust.error().internal);
      continue;
    }
    trust_groups.push_back(std::move(*trust));
    std::string id = group.id;
    catalog->groups_.emplace(std::move(id), std::move(group));
  }
  for (auto& hub : hubs) {
    catalog->hub_ids_.insert(hub.hub_id);
    std::string key = hub_key(hub.owner, hub.hub_id);
    catalog->hubs_.emplace(std::move(key), std::move(hub));
  }
  catalog->trust_ = std::make_shared<const pki::TrustGroupIndex>(std::move(trust_groups));
  return catalog;
}

const store::EnrollmentGroup* Catalog::find_group(const std::string& id) const {
  auto it = groups_.find(id);
  return it == groups_.end() ? nullptr : &it->second;
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

Result<std::shared_ptr<const Catalog>> load_catalog(store::Store& store,
                                                    std::vector<std::string>* skipped) {
  auto groups = store.list_enrollment_groups({store::OwnerScope::every_owner(), {}, {}, {}});
  if (!groups) return tl::unexpected(groups.error());
  auto hubs = store.list_hubs({store::OwnerScope::every_owner(), {}, {}});
  if (!hubs) return tl::unexpected(hubs.error());
  return Catalog::build(std::move(*groups), std::move(*hubs), skipped);
}

}  // namespace dps::provisioning
