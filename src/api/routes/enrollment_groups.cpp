// /api/v1/enrollment-groups (management-api.md "Enrollment groups").
#include <algorithm>
#include <chrono>

#include "api/codec_support.hpp"
#include "api/json_codec.hpp"
#include "api/routes/routes.hpp"
#include "common/clock.hpp"
#include "pki/possession.hpp"
#include "pki/trust_group.hpp"
#include "pki/uuid.hpp"
#include "store/group_attestation.hpp"

namespace dps::api::routes {
namespace {

constexpr std::string_view kNames = "attestationMechanismX509CertificateNames";
constexpr std::string_view kHubIdFilter = "hubIdFilter";

int64_t unix_seconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

// The CA a group enrolls belongs to whoever proves they hold its key: a chain copied from
// another owner's devices is public and proves nothing (pki/possession.hpp). The certificate is
// checked before the code is used up, so a wrong certificate does not cost the caller its code.
Result<void> check_possession(const Context& context, const store::EnrollmentGroup& group,
                              const PossessionProof& proof) {
  if (!proof.given) {
    if (!context.options.require_proof_of_possession) return {};
    return fail(ErrorCode::Forbidden,
                "proofOfPossession required: get a code (POST "
                "/api/v1/enrollment-groups/verification-codes), then send a certificate whose "
                "subject CN is that code, signed by the key of the lead certificate (dpsctl groups "
                "create --proof-key does both)");
  }
  // A TPM group's CA is proven the same way: its vendor CA's key signs (a TPM maker's own CA, or
  // one that re-certifies EKs); otherwise anyone could claim every TPM of a vendor.
  const store::AttestationView attestation = store::attestation_of(group);
  pki::TrustGroupSpec spec;
  spec.group_id = group.id;
  spec.owner = group.owner;
  spec.certificate_chain_pem = attestation.certificate_chain;
  spec.lead_certificate_name = attestation.lead_certificate_name;
  auto trust = pki::build_trust_group(spec);
  if (!trust) return tl::unexpected(trust.error());  // decoded already: not expected
  if (auto proven = pki::verify_possession(**trust, proof.code, proof.certificate_pem); !proven) {
    return tl::unexpected(proven.error());
  }
  auto taken = context.store.take_verification_code(context.owner, proof.code,
                                                    unix_seconds(std::chrono::system_clock::now()));
  if (!taken) return tl::unexpected(taken.error());
  if (!*taken) {
    return fail(ErrorCode::Forbidden,
                "proofOfPossession.code: unknown, already used or expired verification code");
  }
  return {};
}

Result<void> check_revocation_quota(const Context& context, const store::EnrollmentGroup& group) {
  const uint32_t most = context.options.quotas.revoked_certificates_per_group;
  if (group.revoked_certificates.size() <= most) return {};
  return quota_exceeded("revokedCertificates entries in one group",
                        group.revoked_certificates.size(), most, "revokedCertificatesPerGroup");
}

Result<void> check_group_quota(const Context& context) {
  // Counted, not listed: reading every group of the owner made each create cost all of them.
  auto groups = context.store.count_enrollment_groups(context.scope());
  if (!groups) return tl::unexpected(groups.error());
  const uint32_t most = context.options.quotas.enrollment_groups;
  if (*groups < most) return {};
  return quota_exceeded("enrollment groups of this owner", *groups, most, "enrollmentGroups");
}

// Devices are matched against every group whose lead certificate name is an issuer name in
// their chain, each a chain verification. Names are the requester's to choose: without a bound,
// one owner's many groups named like another owner's CA would make each of that owner's device
// handshakes cost them all.
Result<void> check_lead_name_quota(const Context& context, const store::EnrollmentGroup& group) {
  // TPM groups count too: EK certificates are matched by their issuer's name the same way.
  const std::string& lead_name = store::attestation_of(group).lead_certificate_name;
  store::EnrollmentGroupFilter filter{context.scope(), {}, {}, {}};
  filter.lead_certificate_names = {lead_name};
  auto namesakes = context.store.list_enrollment_groups(filter);
  if (!namesakes) return tl::unexpected(namesakes.error());
  const size_t others = static_cast<size_t>(
      std::count_if(namesakes->begin(), namesakes->end(),
                    [&](const store::EnrollmentGroup& other) { return other.id != group.id; }));
  const uint32_t most = context.options.quotas.groups_per_lead_name;
  if (others < most) return {};
  return quota_exceeded(
      "enrollment groups of this owner with lead certificate name \"" + lead_name + "\"", others,
      most, "groupsPerLeadCertificateName");
}

}  // namespace

ApiResponse create_verification_code(const ApiRequest& request, const Context& context) {
  if (auto filters = read_filters(request, {}); !filters) return error_response(filters.error());
  if (!request.body.empty()) {
    // Nothing to send; an empty object is tolerated for clients that always send JSON.
    auto doc = codec::parse_body(request.body);
    if (!doc) return error_response(doc.error());
    if (!doc->is_object() || !doc->empty()) {
      return error_response(
          Error{ErrorCode::BadRequest, "a verification code request takes no body fields", {}});
    }
  }
  std::string code = pki::random_uuid_v4().to_string();
  code.erase(std::remove(code.begin(), code.end(), '-'), code.end());  // 122 random bits
  const auto now = std::chrono::system_clock::now();
  const auto expires = now + context.options.verification_code_validity;
  if (auto added = context.store.add_verification_code(context.owner, code, unix_seconds(expires),
                                                       unix_seconds(now),
                                                       context.options.quotas.verification_codes);
      !added) {
    return error_response(added.error());
  }
  return object_response({{"code", code}, {"expiresAt", rfc3339_utc(expires)}});
}

ApiResponse list_enrollment_groups(const ApiRequest& request, const Context& context) {
  auto filters = read_filters(request, {kIdFilter, kNames, kHubIdFilter});
  if (!filters) return error_response(filters.error());
  store::EnrollmentGroupFilter filter{context.scope(), {}, {}, {}};
  filter.ids = values(*filters, kIdFilter);
  filter.lead_certificate_names = values(*filters, kNames);
  filter.hub_ids = values(*filters, kHubIdFilter);
  auto groups = context.store.list_enrollment_groups(filter);
  if (!groups) return error_response(groups.error());
  return shown_stream(context, *groups);
}

ApiResponse create_enrollment_group(const ApiRequest& request, const Context& context) {
  if (auto filters = read_filters(request, {}); !filters) return error_response(filters.error());
  const BodyContext body{context.owner, pki::random_uuid_v4().to_string(), /*create=*/true};
  PossessionProof proof;
  bool allow_overlap = false;
  auto group = enrollment_group_from_json(request.body, body, nullptr, &proof, &allow_overlap);
  if (!group) return error_response(group.error());
  if (auto fits = check_revocation_quota(context, *group); !fits) {
    return error_response(fits.error());
  }
  if (auto fits = check_group_quota(context); !fits) return error_response(fits.error());
  if (auto named = check_hub_references(context, group->hub_ids, {}, "groups"); !named) {
    return error_response(named.error());
  }
  if (auto fits = check_lead_name_quota(context, *group); !fits) {
    return error_response(fits.error());
  }
  if (auto named = check_template_reference(context, group->template_id); !named) {
    return error_response(named.error());
  }
  if (auto allowed = check_overlap_allowed(context, *group, allow_overlap); !allowed) {
    return error_response(allowed.error());
  }
  if (auto proven = check_possession(context, *group, proof); !proven) {
    return error_response(proven.error());
  }
  if (auto created = context.store.create_enrollment_group(*group); !created) {
    return error_response(created.error());
  }
  context.on_configuration_change();
  return object_response(shown_with_overlaps(context, *group));
}

ApiResponse update_enrollment_group(const ApiRequest& request, std::string_view segment,
                                    const Context& context) {
  if (auto filters = read_filters(request, {}); !filters) return error_response(filters.error());
  auto id = path_id(segment);
  if (!id) return error_response(id.error());
  store::EnrollmentGroupFilter filter{context.scope(), {}, {}, {}};
  filter.ids = {*id};
  auto stored = context.store.list_enrollment_groups(filter);
  if (!stored) return error_response(stored.error());
  // Another owner's group is indistinguishable from a missing one.
  const Error not_found{ErrorCode::NotFound, "enrollment group \"" + *id + "\" not found", {}};
  if (stored->empty()) return error_response(not_found);
  if (defined_in_config_file(context, stored->front())) {
    return error_response(config_file_conflict(context, stored->front()));
  }

  PossessionProof proof;
  bool allow_overlap = false;
  auto group = enrollment_group_from_json(request.body, {context.owner, *id, /*create=*/false},
                                          &stored->front(), &proof, &allow_overlap);
  if (!group) return error_response(group.error());
  if (auto fits = check_revocation_quota(context, *group); !fits) {
    return error_response(fits.error());
  }
  if (auto named = check_hub_references(context, group->hub_ids, stored->front().hub_ids, "groups");
      !named) {
    return error_response(named.error());
  }
  if (store::attestation_of(*group).lead_certificate_name !=
      store::attestation_of(stored->front()).lead_certificate_name) {
    if (auto fits = check_lead_name_quota(context, *group); !fits) {
      return error_response(fits.error());
    }
  }
  if (auto named = check_template_reference(context, group->template_id); !named) {
    return error_response(named.error());
  }
  // Only a change of what the group trusts needs a new proof: names, hubs, revocations and
  // disabling are the owner's business alone.
  if (proof.given || group->trust_path != stored->front().trust_path) {
    if (auto allowed = check_overlap_allowed(context, *group, allow_overlap); !allowed) {
      return error_response(allowed.error());
    }
    if (auto proven = check_possession(context, *group, proof); !proven) {
      return error_response(proven.error());
    }
  }
  if (auto updated = context.store.update_enrollment_group(*group); !updated) {
    // Deleted between the read and the write: the same 404.
    return error_response(updated.error().code == ErrorCode::NotFound ? not_found
                                                                      : updated.error());
  }
  context.on_configuration_change();
  return object_response(shown_with_overlaps(context, *group));
}

ApiResponse delete_enrollment_groups(const ApiRequest& request, const Context& context) {
  auto filters = read_filters(request, {kIdFilter});
  if (!filters) return error_response(filters.error());
  store::EnrollmentGroupFilter filter{context.scope(), {}, {}, {}};
  filter.ids = values(*filters, kIdFilter);
  // plgd deletes every group of the owner when idFilter is missing; one forgotten parameter
  // should not wipe a tenant's configuration.
  if (filter.ids.empty()) {
    return error_response(Error{
        ErrorCode::BadRequest, "idFilter required: deleting all enrollment groups is refused", {}});
  }
  // One group of the config file refuses the whole request, deleting nothing. Only the caller's
  // groups are looked up: another owner's config group is as absent as any of its groups.
  const auto& file_ids = context.options.config_file.enrollment_group_ids;
  std::vector<std::string> from_file;
  for (const auto& id : filter.ids) {
    if (std::find(file_ids.begin(), file_ids.end(), id) != file_ids.end()) from_file.push_back(id);
  }
  if (!from_file.empty()) {
    store::EnrollmentGroupFilter mine{context.scope(), from_file, {}, {}};
    auto found = context.store.list_enrollment_groups(mine);
    if (!found) return error_response(found.error());
    if (!found->empty()) return error_response(config_file_conflict(context, found->front()));
  }
  auto count = context.store.delete_enrollment_groups(filter);
  if (!count) return error_response(count.error());
  if (*count == 0) {
    return error_response(
        Error{ErrorCode::NotFound, "no enrollment group matches the idFilter", {}});
  }
  context.on_configuration_change();
  return count_response(*count);
}

}  // namespace dps::api::routes
