// enrollmentGroups[] -> store::EnrollmentGroup + store::Hub, after plgd's
// EnrollmentGroupConfig.ToProto/Validate (service/config.go, pb/enrollmentGroup.go): `hub` then
// `hubs[]` in order (= priority), each hub owned by the group's owner; EG.hub_ids holds their
// hubID.
#include <algorithm>
#include <map>

#include "config/convert.hpp"
#include "config/values.hpp"

namespace dps::config {
namespace {

constexpr size_t kPskMinBytes = 16;  // the first 16 are used (OCF PSK credential size)

struct HubSeen {
  size_t index;      // in Config.hubs
  std::string path;  // where it was first defined, for conflict messages
};

// Hubs shared by several groups are stored once: an identical repeat is dropped, a repeat with
// different settings is an error (which one would win is not obvious to an operator).
class HubRegistry {
 public:
  explicit HubRegistry(std::vector<store::Hub>& hubs) : hubs_(hubs) {}

  Result<void> add(store::Hub hub, const std::string& path) {
    if (auto it = by_id_.find(hub.id); it != by_id_.end()) {
      if (hubs_[it->second.index] == hub) return {};
      return invalid(path,
                     "hub \"" + hub.id + "\" is already defined differently at " + it->second.path);
    }
    // Groups name hubs by hubID: two records of one owner with one hubID would be ambiguous.
    std::string owner_hub = hub.owner + '\n' + hub.hub_id;
    if (auto [it, fresh] = by_owner_hub_id_.emplace(owner_hub, path); !fresh) {
      return invalid(path, "hubID \"" + hub.hub_id + "\" is already used by " + it->second);
    }
    by_id_.emplace(hub.id, HubSeen{hubs_.size(), path});
    hubs_.push_back(std::move(hub));
    return {};
  }

 private:
  std::vector<store::Hub>& hubs_;
  std::map<std::string, HubSeen, std::less<>> by_id_;
  std::map<std::string, std::string, std::less<>> by_owner_hub_id_;
};

Result<void> add_hubs(const Node& group, const std::string& owner, HubRegistry& registry,
                      const ApiTokenNames& api_tokens, store::EnrollmentGroup& eg) {
  std::vector<const Node*> hubs;
  if (const Node* single = group.at("hub")) hubs.push_back(single);
  if (const Node* list = group.at("hubs")) {
    for (const Node& item : list->items) hubs.push_back(&item);
  }
  if (hubs.empty()) return invalid(group.child_path("hubs"), "at least one hub required");
  for (const Node* node : hubs) {
    auto hub = convert_hub(*node, owner, api_tokens);
    if (!hub) return tl::unexpected(hub.error());
    if (std::find(eg.hub_ids.begin(), eg.hub_ids.end(), hub->hub_id) == eg.hub_ids.end()) {
      eg.hub_ids.push_back(hub->hub_id);
    }
    if (auto done = registry.add(std::move(*hub), node->path); !done) return done;
  }
  return {};
}

// Full parsing and self-verification of a chain belong to pki; this catches the obvious mistake
// (a key or some other file named here) early, with the key's path.
Result<void> check_pem(const Node& group, const std::string& key, const std::string& chain) {
  if (chain.find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
    return invalid(group.child_path(key), "no PEM certificate found");
  }
  return {};
}

// x509 (devices with manufacturer certificates) or tpm (TPMs whose EK certificates a vendor CA
// issued), never both. A TPM group's lead is its chain's first certificate (seeding fills in its
// name).
Result<void> read_attestation(const Node& group, store::EnrollmentGroup& eg) {
  const std::string x509 = "attestationMechanism.x509.";
  const std::string tpm = "attestationMechanism.tpm.";
  if (group.at("attestationMechanism.x509") && group.at("attestationMechanism.tpm")) {
    return invalid(group.child_path("attestationMechanism"),
                   "give x509 (certificate devices) or tpm (TPM devices), not both");
  }
  eg.x509.certificate_chain = group.get<std::string>(x509 + "certificateChain");
  eg.tpm.vendor_certificate_chain = group.get<std::string>(tpm + "vendorCertificateChain");
  if (eg.is_tpm()) {
    eg.tpm.expired_certificate_enabled = group.get<bool>(tpm + "expiredCertificateEnabled");
    return check_pem(group, tpm + "vendorCertificateChain", eg.tpm.vendor_certificate_chain);
  }
  if (eg.x509.certificate_chain.empty()) {
    return invalid(group.child_path(x509 + "certificateChain"), "required");
  }
  eg.x509.lead_certificate_name = group.get<std::string>(x509 + "leadCertificateName");
  eg.x509.expired_certificate_enabled = group.get<bool>(x509 + "expiredCertificateEnabled");
  return check_pem(group, x509 + "certificateChain", eg.x509.certificate_chain);
}

Result<store::EnrollmentGroup> convert_group(const Node& group, HubRegistry& registry,
                                             const ApiTokenNames& api_tokens) {
  store::EnrollmentGroup eg;
  eg.id = group.get<std::string>("id");
  if (eg.id.empty()) return invalid(group.child_path("id"), "required");
  if (!is_uuid(eg.id))
    return invalid(group.child_path("id"), "must be a UUID, got \"" + eg.id + "\"");
  eg.owner = group.get<std::string>("owner");
  if (eg.owner.empty()) return invalid(group.child_path("owner"), "required");
  eg.name = group.get<std::string>("name");
  if (eg.name.empty()) eg.name = eg.id;

  eg.pre_shared_key = group.get<std::string>("preSharedKeyFile");
  if (!eg.pre_shared_key.empty() && eg.pre_shared_key.size() < kPskMinBytes) {
    return invalid(group.child_path("preSharedKeyFile"),
                   "at least 16 bytes required, got " + std::to_string(eg.pre_shared_key.size()));
  }

  if (auto read = read_attestation(group, eg); !read) return tl::unexpected(read.error());

  eg.disabled = group.get<bool>("disabled");
  eg.revoked_certificates = group.get<std::vector<std::string>>("revokedCertificates");
  eg.crl = group.get<std::string>("crl");

  if (auto done = add_hubs(group, eg.owner, registry, api_tokens, eg); !done)
    return tl::unexpected(done.error());
  return eg;
}

}  // namespace

Result<void> convert_enrollment_groups(const Node& doc, Config& config) {
  const Node* groups = doc.at("enrollmentGroups");
  if (!groups) return {};
  HubRegistry registry(config.hubs);
  const ApiTokenNames api_tokens{config.http.owner_claim, config.http.audience};
  std::map<std::string, std::string, std::less<>> seen_ids;  // id -> path of first definition
  for (const Node& group : groups->items) {
    auto eg = convert_group(group, registry, api_tokens);
    if (!eg) return tl::unexpected(eg.error());
    if (auto [it, fresh] = seen_ids.emplace(eg->id, group.path); !fresh) {
      return invalid(group.child_path("id"), "\"" + eg->id + "\" is also used by " + it->second);
    }
    config.enrollment_groups.push_back(std::move(*eg));
  }
  return {};
}

}  // namespace dps::config
