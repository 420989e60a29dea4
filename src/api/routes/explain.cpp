// POST /api/v1/explain (docs/openapi.yaml "explain"): which of the caller's enrollments would
// admit a device presenting a chain, and why, without a device, a handshake or a record. It
// decides as the device side does: pki::TrustGroupIndex::match over the caller's certificate
// groups, then provisioning::admit's rule for an individual enrollment of the same owner (it wins
// over the group; disabled, or with the leaf outside its dates, it refuses). Only the caller's
// enrollments are read (every store call is scoped to it), so nothing in the answer depends on
// another owner's groups, individual enrollments or records (design.md "Trust boundaries").
// A certificate dps's own CA issued is an identity certificate: the device side admits it to an
// identity session by the device's record before any group is tried, so explain says that and
// evaluates nothing else.
#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <span>

#include "api/explain_codec.hpp"
#include "api/routes/routes.hpp"
#include "pki/chain_verifier.hpp"
#include "pki/identity_trust.hpp"
#include "pki/individual_verdict.hpp"
#include "pki/pem.hpp"
#include "pki/trust_group.hpp"
#include "pki/x509_util.hpp"
#include "store/group_attestation.hpp"

namespace dps::api::routes {
namespace {

using nlohmann::json;
using RefusalKind = pki::TrustGroupIndex::RefusalKind;
using Clock = std::chrono::system_clock;

// Said where another owner's enrollment could change the outcome. Fixed texts: they must not
// depend on what other owners hold.
constexpr std::string_view kRefusedNote =
    " Only your own enrollments were considered; another owner's may still admit this device.";
constexpr std::string_view kIndividualNote =
    " Only your own enrollments were considered; an enrollment group of another owner that "
    "admits this device would keep it (an individual enrollment never takes a device from "
    "another owner's group).";

// The most enrollment groups one explanation builds and verifies against. Every group of the
// caller led by an issuer of the chain is a candidate, and their trust (chains, CRLs) is built
// per request; the API's quota (groupsPerLeadCertificateName, 4 by default, times at most 10
// issuer names) keeps an owner below it, but quotas bind writes only, and config-file groups
// none. Beyond it explain answers 409 rather than a verdict over some of them, which could differ
// from the device side's: that one tries them all.
constexpr size_t kMaxExplainedGroups = 64;

// A certificate group's trust as the device side builds it: provisioning/catalog.cpp's
// trust_spec_of(), keep the two in step (TPM groups never get here: they are never matched
// against a client certificate). It cannot be shared: neither module that api and provisioning
// both depend on may hold it (store knows no pki, pki no store entity).
pki::TrustGroupSpec trust_spec_of(const store::EnrollmentGroup& group) {
  const store::AttestationView attestation = store::attestation_of(group);
  pki::TrustGroupSpec spec;
  spec.group_id = group.id;
  spec.owner = group.owner;
  spec.certificate_chain_pem = attestation.certificate_chain;
  spec.lead_certificate_name = attestation.lead_certificate_name;
  spec.expired_certificate_enabled = attestation.expired_certificate_enabled;
  spec.revoked = group.revoked_certificates;
  spec.crl_pem = group.crl;
  spec.disabled = group.disabled;
  return spec;
}

// The lead certificate name the group's trust has (pki::TrustGroupSpec: when none is stored, the
// CN of the chain's first certificate), parsing one certificate at most; nullopt when that one
// does not parse (its trust does not build either, and what leads it is unknown).
std::optional<std::string> lead_name_of(const store::EnrollmentGroup& group) {
  const store::AttestationView attestation = store::attestation_of(group);
  if (!attestation.lead_certificate_name.empty()) return attestation.lead_certificate_name;
  auto first = pki::parse_first_certificate_pem(attestation.certificate_chain);
  if (!first) return std::nullopt;
  return pki::common_name(X509_get_subject_name(first->get()));
}

// The issuer CNs of the chain, in order, once each: the lead names that make a group a candidate.
std::vector<std::string> issuer_names(std::span<X509* const> chain) {
  std::vector<std::string> names;
  for (X509* cert : chain) {
    std::string name = pki::common_name(X509_get_issuer_name(cert));
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  }
  return names;
}

bool contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// One index's answer for the chain.
struct Verdict {
  std::string group_id;  // the admitting group; empty when refused
  RefusalKind kind = RefusalKind::NotVerified;
  pki::TrustGroupIndex::RefusedBy by;
  std::string why;  // match()'s reason: names the caller's groups only (the index holds no other)

  bool admits() const { return !group_id.empty(); }
};

Verdict verdict_of(const pki::TrustGroupIndex& index, std::span<X509* const> chain,
                   Clock::time_point now) {
  Verdict out;
  auto matched = index.match(chain, now, &out.kind, &out.by);
  if (matched) {
    out.group_id = matched->group_id;
  } else {
    out.why = matched.error().internal;
  }
  return out;
}

// A candidate that cannot decide anything: a group whose trust does not load (the device side
// skips it), and a TPM individual enrollment (it names an endorsement key, which never signs a
// TLS handshake).
constexpr const char* kTrustNotLoaded = "trustNotLoaded";
constexpr const char* kTpmAttestationOnly = "tpmAttestationOnly";

std::string refusal_word(RefusalKind kind, bool client_auth) {
  // match() checks the leaf's EKU before any group: without clientAuth, that is the refusal.
  if (!client_auth) return "wrongExtendedKeyUsage";
  switch (kind) {
    case RefusalKind::NoGroup:
      return "noGroup";
    case RefusalKind::Disabled:
      return "disabled";
    case RefusalKind::Revoked:
      return "revoked";
    case RefusalKind::Expired:
      return "expired";
    case RefusalKind::NotVerified:
      break;
  }
  return "notVerified";
}

// One of the caller's groups led by an issuer of the chain, with its verdict alone.
struct GroupCandidate {
  store::EnrollmentGroup group;
  std::shared_ptr<const pki::TrustGroup> trust;  // null: its trust material does not load
  std::string load_error;
  Verdict alone;
};

std::string named(const store::EnrollmentGroup& group) {
  return "enrollment group " + group.id +
         (group.name.empty() || group.name == group.id ? "" : " (\"" + group.name + "\")");
}

std::string named(const store::IndividualEnrollment& enrollment) {
  return "individual enrollment " + enrollment.id +
         (enrollment.name.empty() || enrollment.name == enrollment.id
              ? ""
              : " (\"" + enrollment.name + "\")");
}

std::string id_list(const std::vector<std::string>& ids) {
  std::string out;
  for (const auto& id : ids) out += (out.empty() ? "" : ", ") + id;
  return out;
}

// The candidates whose trust does not load: led by an issuer of the chain, yet never tried.
std::vector<std::string> unloadable(const std::vector<GroupCandidate>& candidates) {
  std::vector<std::string> ids;
  for (const auto& c : candidates) {
    if (!c.trust) ids.push_back(c.group.id);
  }
  return ids;
}

// Why one group alone admits or refuses the chain, in its own terms.
std::string candidate_reason(const GroupCandidate& c, bool client_auth) {
  if (!c.trust) {
    return "its trust material does not load, so devices are never matched against it: " +
           c.load_error;
  }
  const Verdict& v = c.alone;
  if (v.admits()) {
    return "admits it: the chain verifies through its lead certificate \"" + c.trust->lead_name() +
           "\"";
  }
  if (!client_auth) return "refuses it: the leaf lacks extended key usage clientAuth";
  // RefusedBy names the group when the chain verifies through its lead: the device is its own.
  const bool its_device = !v.by.group_id.empty();
  switch (v.kind) {
    case RefusalKind::Disabled:
      return its_device ? "disabled: the chain verifies through its lead certificate, but a "
                          "disabled group admits no device"
                        : "disabled (and the chain does not verify through its lead certificate "
                          "either)";
    case RefusalKind::Revoked:
      return "revokes it: " + (its_device && !v.by.detail.empty() ? v.by.detail : v.why);
    case RefusalKind::Expired:
      if (its_device) {
        return std::string(
                   "refuses it: the chain verifies through its lead certificate, but a "
                   "certificate of the chain has expired") +
               (c.trust->expired_certificate_enabled()
                    ? ""
                    : " (with expiredCertificateEnabled the group would verify it at the middle "
                      "of the leaf's validity)");
      }
      return "refuses it: " + v.why;
    case RefusalKind::NoGroup:
    case RefusalKind::NotVerified:
      break;
  }
  return "refuses it: " + v.why;
}

// The overall refusal when no individual enrollment of the caller decides. `broken`: the
// candidates whose trust does not load, which the device side never tries.
std::string refusal_reason(const Verdict& v, bool client_auth,
                           const std::vector<std::string>& issuers,
                           const store::EnrollmentGroup* refuser,
                           const std::vector<std::string>& broken) {
  if (!client_auth) {
    return "Refused: the device certificate lacks extended key usage clientAuth, which "
           "enrollment groups require.";
  }
  const std::string not_loaded =
      broken.empty() ? ""
                     : " Your enrollment group(s) " + id_list(broken) +
                           ", led by an issuer of this chain, were not tried: their trust "
                           "material does not load (see candidates).";
  switch (v.kind) {
    case RefusalKind::NoGroup: {
      std::string names;
      for (const auto& name : issuers) names += (names.empty() ? "\"" : ", \"") + name + "\"";
      if (!broken.empty()) {
        // They are led by an issuer, so "none is" would contradict the candidates listed.
        return "Refused: your enrollment group(s) " + id_list(broken) +
               " led by an issuer of this chain (issuer CN " + names +
               ") do not load their trust material (see candidates), so no device is matched "
               "against them; no other group of yours is led by such an issuer, and no "
               "individual enrollment of yours admits it by its key.";
      }
      return "Refused: none of your enrollment groups is led by an issuer of this chain (issuer "
             "CN " +
             names + "), and no individual enrollment of yours admits it by its key.";
    }
    case RefusalKind::Disabled:
      if (refuser) {
        return "Refused: the chain verifies through the lead certificate of your " +
               named(*refuser) + ", which is disabled." + not_loaded;
      }
      break;
    case RefusalKind::Revoked:
      if (refuser) {
        return "Refused: your " + named(*refuser) + " revokes it" +
               (v.by.detail.empty() ? "" : ": " + v.by.detail) + "." + not_loaded;
      }
      break;
    case RefusalKind::Expired:
      if (refuser) {
        return "Refused: the chain verifies through the lead certificate of your " +
               named(*refuser) + ", but a certificate of the chain has expired." + not_loaded;
      }
      break;
    case RefusalKind::NotVerified:
      return "Refused: no enrollment group of yours led by an issuer of this chain verifies it (" +
             v.why + ")." + not_loaded;
  }
  return "Refused: " + v.why + "." + not_loaded;
}

// The device side's rule (pki/individual_verdict.hpp, as provisioning/admission.cpp applies it)
// as the answer's word. Empty when it admits.
std::string individual_refusal(const store::IndividualEnrollment& enrollment, X509* leaf,
                               Clock::time_point now) {
  switch (pki::judge_individually(enrollment.disabled,
                                  pki::to_time_point(X509_get0_notBefore(leaf)),
                                  pki::to_time_point(X509_get0_notAfter(leaf)), now)) {
    case pki::IndividualVerdict::Disabled:
      return "disabled";
    case pki::IndividualVerdict::Expired:
      return "expired";
    case pki::IndividualVerdict::Admits:
      break;
  }
  return {};
}

// Why the caller's individual enrollment holding the key admits or refuses it alone.
std::string individual_reason(bool certificate_enrollment, const std::string& refusal) {
  if (!certificate_enrollment) {
    return "names this key as a TPM's endorsement key: it admits that TPM by TPM attestation "
           "only, never by a client certificate";
  }
  if (refusal.empty()) return "admits it: it holds the device's key (it wins over your groups)";
  if (refusal == "disabled") return "disabled: it refuses this device, even one your groups admit";
  return "refuses it: the device certificate is expired or not yet valid";
}

json reference(std::string_view kind, const std::string& id, const std::string& name) {
  return {{"kind", kind}, {"id", id}, {"name", name}};
}

json candidate_json(std::string_view kind, const std::string& id, const std::string& name,
                    bool admits, const std::string& refusal, const std::string& reason) {
  json out = reference(kind, id, name);
  out["admits"] = admits;
  if (!admits) out["refusal"] = refusal;
  out["reason"] = reason;
  return out;
}

// The caller's groups led by an issuer of the chain (the candidates match() considers), each
// with its verdict alone, in id order. Conflict beyond kMaxExplainedGroups of them.
Result<std::vector<GroupCandidate>> candidate_groups(const Context& context,
                                                     std::span<X509* const> chain,
                                                     const std::vector<std::string>& issuers,
                                                     Clock::time_point now) {
  // "" too: a config-file group may be stored without its (default) lead name, the CN of its
  // chain's first certificate. The API stores every group's lead name, so only the caller's
  // config-file groups come back for "".
  store::EnrollmentGroupFilter by_lead{context.scope(), {}, issuers, {}};
  by_lead.lead_certificate_names.emplace_back();
  auto groups = context.store.list_enrollment_groups(by_lead);
  if (!groups) return tl::unexpected(groups.error());
  std::sort(groups->begin(), groups->end(),
            [](const auto& a, const auto& b) { return a.id < b.id; });
  // Which are led by an issuer, before any trust is built: at most one certificate parsed each.
  std::vector<store::EnrollmentGroup*> led;
  for (auto& group : *groups) {
    // A TPM group admits TPMs by their EK certificate, never a client certificate.
    if (group.is_tpm()) continue;
    const auto lead = lead_name_of(group);
    if (lead && contains(issuers, *lead)) led.push_back(&group);
  }
  if (led.size() > kMaxExplainedGroups) {
    return fail(ErrorCode::Conflict,
                std::to_string(led.size()) +
                    " of your enrollment groups are led by an issuer of this chain; explain "
                    "evaluates at most " +
                    std::to_string(kMaxExplainedGroups) +
                    " in one request, and a verdict over some of them could differ from the "
                    "device side's, which tries them all");
  }
  std::vector<GroupCandidate> out;
  for (store::EnrollmentGroup* group : led) {
    auto built = pki::build_trust_group(trust_spec_of(*group));
    if (!built) {
      // The device side skips it (provisioning/catalog.cpp): listed, never tried.
      out.push_back({std::move(*group), nullptr, built.error().internal, {}});
      continue;
    }
    GroupCandidate candidate{std::move(*group), std::move(*built), {}, {}};
    candidate.alone = verdict_of(pki::TrustGroupIndex({candidate.trust}), chain, now);
    out.push_back(std::move(candidate));
  }
  return out;
}

// The caller's individual enrollment holding `key_hash`, if any; another owner's is never read.
Result<std::optional<store::IndividualEnrollment>> own_individual(const Context& context,
                                                                  const std::string& key_hash) {
  if (key_hash.empty()) return std::nullopt;
  auto found =
      context.store.list_individual_enrollments({context.scope(), {}, {key_hash}, {}, /*limit=*/1});
  if (!found) return tl::unexpected(found.error());
  if (found->empty() || found->front().owner != context.owner) return std::nullopt;
  return std::move(found->front());
}

// The verdict when the caller's individual enrollment holds the key (admission.hpp: the owner's
// individual enrollment wins over the owner's groups). `admitting`: the groups that would admit
// the device without it.
void decide_individually(json& answer, const store::IndividualEnrollment& enrollment,
                         const std::string& refusal, const std::vector<std::string>& admitting) {
  const std::string which = named(enrollment);
  const json by = reference("individualEnrollment", enrollment.id, enrollment.name);
  if (refusal.empty()) {
    answer["admitted"] = true;
    answer["enrollment"] = by;
    if (!admitting.empty()) answer["overlapping"] = admitting;
    answer["reason"] = "Admitted by your " + which + ", which holds this device's key" +
                       (admitting.empty() ? ""
                                          : " and wins over your enrollment group(s) " +
                                                id_list(admitting) + ", which would admit it too") +
                       "." + std::string(kIndividualNote);
    return;
  }
  answer["admitted"] = false;
  answer["refusal"] = refusal;
  answer["refusedBy"] = by;
  const json& cert = answer["certificate"];
  std::string reason =
      refusal == "disabled"
          ? "Refused: your " + which + " holds this device's key and is disabled" +
                (admitting.empty() ? ""
                                   : "; it refuses the device although your enrollment group(s) " +
                                         id_list(admitting) + " would admit it") +
                "."
          : "Refused: your " + which +
                " holds this device's key, but the device certificate is expired or not yet "
                "valid (" +
                cert.value("notBefore", "") + " to " + cert.value("notAfter", "") + ").";
  answer["reason"] = reason + std::string(kRefusedNote);
}

// The verdict of the caller's groups (`overall`, over all of `candidates`) when no individual
// enrollment of the caller decides.
Result<void> decide_by_groups(json& answer, const Verdict& overall,
                              const std::vector<GroupCandidate>& candidates, bool client_auth,
                              const std::vector<std::string>& issuers) {
  const GroupCandidate* decisive = nullptr;
  const std::string& decisive_id = overall.admits() ? overall.group_id : overall.by.group_id;
  for (const auto& c : candidates) {
    if (c.group.id == decisive_id) decisive = &c;
  }
  if (!overall.admits()) {
    answer["admitted"] = false;
    answer["refusal"] = refusal_word(overall.kind, client_auth);
    if (decisive) {
      answer["refusedBy"] = reference("enrollmentGroup", decisive->group.id, decisive->group.name);
    }
    answer["reason"] =
        refusal_reason(overall, client_auth, issuers, decisive ? &decisive->group : nullptr,
                       unloadable(candidates)) +
        std::string(kRefusedNote);
    return {};
  }
  if (decisive == nullptr || !decisive->trust) {
    return fail(ErrorCode::Internal, "bug: explain: group " + overall.group_id +
                                         " admits the device but is no candidate");
  }
  std::vector<std::string> overlapping;  // the others that would admit it alone
  std::vector<std::string> disabled;     // disabled ones through whose lead the chain verifies
  for (const auto& c : candidates) {
    if (!c.trust || c.group.id == overall.group_id) continue;
    if (c.alone.admits()) overlapping.push_back(c.group.id);
    if (c.alone.kind == RefusalKind::Disabled && !c.alone.by.group_id.empty()) {
      disabled.push_back(c.group.id);
    }
  }
  answer["admitted"] = true;
  answer["enrollment"] = reference("enrollmentGroup", decisive->group.id, decisive->group.name);
  std::string reason = "Admitted by your " + named(decisive->group) +
                       ": the chain verifies through its lead certificate \"" +
                       decisive->trust->lead_name() + "\".";
  if (!overlapping.empty()) {
    answer["overlapping"] = overlapping;
    reason += " Your enrollment group(s) " + id_list(overlapping) +
              " would admit it too: the most specific group (its lead certificate lowest on the "
              "chain) wins, then the smallest id.";
  }
  if (!disabled.empty()) {
    reason += " Your disabled enrollment group(s) " + id_list(disabled) +
              " also hold this device's CA: disabling them does not refuse it while " +
              overall.group_id + " admits it.";
  }
  answer["reason"] = reason;
  return {};
}

// The answer for an identity certificate (`device`: IdentityTrust::device_of's verdict): the
// device side takes it for one before trying any group, admits it by the device's record or
// refuses it, and no enrollment decides. Nothing of any owner is read, so it is the same for
// every caller.
json identity_answer(X509* leaf, const Result<std::string>& device) {
  json answer{{"scope", "owner"},
              {"certificate", certificate_json(leaf)},
              {"admitted", false},
              {"refusal", "identityCertificate"},
              {"candidates", json::array()}};
  answer["reason"] =
      device ? "Not evaluated: an identity certificate issued by this dps (to device " + *device +
                   "): devices present it for identity sessions, which dps admits by the "
                   "device's provisioning record rather than by an enrollment, and which explain "
                   "does not evaluate. Explain the manufacturer certificate the device was "
                   "provisioned with instead."
             : "Refused: it names this dps's certificate authority as its issuer, so the device "
               "side takes it for an identity certificate, tries no enrollment group, and "
               "refuses it (" +
                   device.error().peer_message() +
                   "). Explain does not evaluate identity sessions further.";
  return answer;
}

}  // namespace

ApiResponse explain_certificate(const ApiRequest& request, const Context& context) {
  if (auto filters = read_filters(request, {}); !filters) return error_response(filters.error());
  auto certs = explained_chain_from_json(request.body);
  if (!certs) return error_response(certs.error());
  std::vector<X509*> chain;
  for (const auto& cert : *certs) chain.push_back(cert.get());
  X509* leaf = chain.front();
  const auto now = Clock::now();
  // As net/tls_context.cpp: dps's own identity certificates first, groups only for the others.
  if (const auto& identities = context.options.identity_certificates) {
    if (auto identity = identities->device_of(chain, now)) {
      if (!*identity && identity->error().code != ErrorCode::Forbidden) {
        return error_response(identity->error());
      }
      return object_response(identity_answer(leaf, *identity));
    }
  }
  const bool client_auth = pki::allows_client_auth(leaf);
  const std::vector<std::string> issuers = issuer_names(chain);

  auto candidates = candidate_groups(context, chain, issuers, now);
  if (!candidates) return error_response(candidates.error());
  auto individual = own_individual(context, pki::spki_sha256_hex(leaf));
  if (!individual) return error_response(individual.error());

  json answer{{"scope", "owner"}, {"certificate", certificate_json(leaf)}};
  json listed = json::array();
  std::vector<std::shared_ptr<const pki::TrustGroup>> trusts;
  std::vector<std::string> admitting;  // groups that would admit the device on their own
  for (const auto& c : *candidates) {
    const bool admits = c.trust && c.alone.admits();
    if (c.trust) trusts.push_back(c.trust);
    if (admits) admitting.push_back(c.group.id);
    listed.push_back(candidate_json(
        "enrollmentGroup", c.group.id, c.group.name, admits,
        c.trust ? refusal_word(c.alone.kind, client_auth) : std::string(kTrustNotLoaded),
        candidate_reason(c, client_auth)));
  }
  // A TPM enrollment names an endorsement key: a client certificate carrying that key neither
  // admits nor refuses anything (admission.cpp).
  const store::IndividualEnrollment* deciding =
      *individual && !(*individual)->is_tpm() ? &**individual : nullptr;
  const std::string refusal = deciding ? individual_refusal(*deciding, leaf, now) : "";
  if (*individual) {
    const store::IndividualEnrollment& e = **individual;
    listed.push_back(candidate_json("individualEnrollment", e.id, e.name,
                                    deciding && refusal.empty(),
                                    deciding ? refusal : std::string(kTpmAttestationOnly),
                                    individual_reason(deciding != nullptr, refusal)));
  }

  if (deciding) {
    decide_individually(answer, *deciding, refusal, admitting);
  } else {
    // The verdict the device side reaches over these groups: it holds every owner's, but the
    // store keeps other owners' groups from sharing trust with these.
    const Verdict overall = verdict_of(pki::TrustGroupIndex(std::move(trusts)), chain, now);
    if (auto decided = decide_by_groups(answer, overall, *candidates, client_auth, issuers);
        !decided) {
      return error_response(decided.error());
    }
  }
  answer["candidates"] = std::move(listed);
  return object_response(answer);
}

}  // namespace dps::api::routes
