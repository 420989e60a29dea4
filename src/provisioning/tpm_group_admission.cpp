#include "provisioning/tpm_group_admission.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>
#include <vector>

#include "common/openssl_deleter.hpp"
#include "log/quoted.hpp"
#include "pki/trust_group.hpp"
#include "pki/x509_util.hpp"
#include "provisioning/catalog.hpp"
#include "tpm/public_key.hpp"

namespace dps::provisioning {
namespace {

using RefusalKind = pki::TrustGroupIndex::RefusalKind;
using RefusedBy = pki::TrustGroupIndex::RefusedBy;

constexpr std::string_view kNoGroup = "ekCertificate: does not chain to any TPM enrollment group";
// TCG EK Credential Profile: tcg-kp-EKCertificate.
constexpr const char* kEkCertificateUsage = "2.23.133.8.1";

tl::unexpected<Error> refuse(RefusedBy* refused_by, RefusedBy by, std::string internal,
                             std::string_view external) {
  if (refused_by != nullptr) *refused_by = std::move(by);
  return tl::unexpected(Error{ErrorCode::Forbidden, std::move(internal), std::string(external)});
}

Result<pki::X509Ptr> parse_certificate(tpm::ByteView der) {
  if (der.empty()) return fail(ErrorCode::BadRequest, "ekCertificate: empty");
  const unsigned char* next = der.data();
  pki::X509Ptr cert(d2i_X509(nullptr, &next, static_cast<long>(der.size())));
  ERR_clear_error();
  if (!cert) return fail(ErrorCode::BadRequest, "ekCertificate: not a DER X.509 certificate");
  if (next != der.data() + der.size()) {
    return fail(ErrorCode::BadRequest, "ekCertificate: bytes after the certificate");
  }
  // Computes the cached extension flags; a failure means extensions that do not decode.
  if (X509_check_purpose(cert.get(), -1, 0) != 1) {
    ERR_clear_error();
    return fail(ErrorCode::BadRequest, "ekCertificate: extensions that do not decode");
  }
  return cert;
}

bool allows_endorsement_key(X509* cert) {
  if ((X509_get_extension_flags(cert) & EXFLAG_XKUSAGE) == 0) return true;  // no EKU: any use
  using UsagesPtr = std::unique_ptr<EXTENDED_KEY_USAGE, OpenSslDeleter<EXTENDED_KEY_USAGE_free>>;
  UsagesPtr usages(static_cast<EXTENDED_KEY_USAGE*>(
      X509_get_ext_d2i(cert, NID_ext_key_usage, nullptr, nullptr)));
  using ObjectPtr = std::unique_ptr<ASN1_OBJECT, OpenSslDeleter<ASN1_OBJECT_free>>;
  ObjectPtr wanted(OBJ_txt2obj(kEkCertificateUsage, /*no_name=*/1));
  ERR_clear_error();
  if (!usages || !wanted) return false;
  for (int i = 0; i < sk_ASN1_OBJECT_num(usages.get()); ++i) {
    if (OBJ_cmp(sk_ASN1_OBJECT_value(usages.get(), i), wanted.get()) == 0) return true;
  }
  return false;
}

// The EK certificate's key must be the EK the challenge is made for: the certificate vouches for
// that key only, and the challenge proves the device holds it in a TPM. Compared as keys, not as
// encodings (a certificate may encode an EC point compressed).
Result<void> check_is_endorsement_key(X509* cert, const tpm::PublicArea& endorsement_key) {
  auto ek = tpm::to_evp_pkey(endorsement_key);
  if (!ek) return tl::unexpected(ek.error());
  EVP_PKEY* certified = X509_get0_pubkey(cert);
  const bool same = certified != nullptr && EVP_PKEY_eq(certified, ek->get()) == 1;
  ERR_clear_error();
  if (!same) {
    return fail(ErrorCode::Forbidden, "ekCertificate: its key is not the endorsement key");
  }
  if ((X509_get_extension_flags(cert) & EXFLAG_CA) != 0) {
    return fail(ErrorCode::Forbidden, "ekCertificate: a CA certificate is no EK certificate");
  }
  if (!allows_endorsement_key(cert)) {
    return fail(ErrorCode::Forbidden,
                "ekCertificate: its extended key usage lacks tcg-kp-EKCertificate (2.23.133.8.1)");
  }
  return {};
}

// Why one candidate group does not admit the certificate, most severe first in the device's
// answer: a group that revokes the TPM outranks one that is disabled, and so on.
enum class Severity { NotVerified, Expired, Disabled, Revoked };

struct Refusal {
  Severity severity;
  RefusalKind kind;
  std::string internal;
  std::string_view external;
  // Set when the certificate verified through the group's lead: its own policy refused it.
  const pki::TrustGroup* owned_by = nullptr;
  std::string detail;
};

struct Verification {
  bool verified = false;
  bool through_lead = false;  // the certificate's issuer is the group's lead (by key)
  int error = X509_V_OK;
  int error_depth = 0;
  std::vector<X509*> chain;  // certificate first; borrowed from it and the group
};

// Verifies against one group: its roots as anchors, its trust path's certificates as the only
// intermediates (one below the lead proves nothing: pki/trust_group.hpp), no purpose.
Verification verify(const pki::TrustGroup& group, X509* cert,
                    std::chrono::system_clock::time_point now) {
  Verification result;
  pki::StackOfX509ViewPtr untrusted(sk_X509_new_null());
  pki::X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!untrusted || !ctx) return result;
  for (X509* path_cert : group.path_intermediates()) sk_X509_push(untrusted.get(), path_cert);
  if (X509_STORE_CTX_init(ctx.get(), group.roots(), cert, untrusted.get()) != 1) {
    ERR_clear_error();
    return result;
  }
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  X509_VERIFY_PARAM_clear_flags(param, X509_V_FLAG_X509_STRICT);
  if (group.expired_certificate_enabled()) {
    X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_NO_CHECK_TIME);
  } else {
    X509_STORE_CTX_set_time(ctx.get(), 0, std::chrono::system_clock::to_time_t(now));
  }
  result.verified = X509_verify_cert(ctx.get()) == 1;
  result.error = X509_STORE_CTX_get_error(ctx.get());
  result.error_depth = X509_STORE_CTX_get_error_depth(ctx.get());
  ERR_clear_error();
  // OpenSSL checks dates after building the path, so an expired chain is complete here too.
  STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(ctx.get());
  for (int i = 0; chain != nullptr && i < sk_X509_num(chain); ++i) {
    result.chain.push_back(sk_X509_value(chain, i));
  }
  result.through_lead = result.chain.size() > 1 && group.is_lead(result.chain[1]);
  return result;
}

bool is_date_error(int error) {
  return error == X509_V_ERR_CERT_HAS_EXPIRED || error == X509_V_ERR_CERT_NOT_YET_VALID;
}

// One candidate's verdict: nullopt when it admits the certificate.
std::optional<Refusal> judge(const pki::TrustGroup& group, X509* cert,
                             std::chrono::system_clock::time_point now) {
  const Verification v = verify(group, cert, now);
  const std::string of_group = "TPM enrollment group " + group.group_id();
  const bool authentic = v.through_lead && (v.verified || is_date_error(v.error));
  if (!authentic) {
    const std::string reason = v.verified ? "not issued by its lead (first) certificate"
                                          : X509_verify_cert_error_string(v.error);
    return Refusal{Severity::NotVerified,
                   RefusalKind::NotVerified,
                   "EK certificate does not verify against " + of_group + ": " + reason,
                   kNoGroup,
                   nullptr,
                   ""};
  }
  // Whatever else is wrong with it, a disabled group's TPM is told "disabled", as a certificate
  // group's device is.
  if (group.disabled()) {
    return Refusal{Severity::Disabled,
                   RefusalKind::Disabled,
                   of_group + " is disabled",
                   "enrollment group disabled",
                   &group,
                   ""};
  }
  if (!v.verified) {
    std::string detail = X509_verify_cert_error_string(v.error);
    if (v.error_depth > 0)
      detail += " (CA certificate at depth " + std::to_string(v.error_depth) + ")";
    const bool expired = v.error == X509_V_ERR_CERT_HAS_EXPIRED;
    return Refusal{Severity::Expired,
                   expired ? RefusalKind::Expired : RefusalKind::NotVerified,
                   "EK certificate refused by " + of_group + ": " + detail,
                   expired ? "ekCertificate: expired" : "ekCertificate: not yet valid",
                   &group,
                   detail};
  }
  if (auto reason = group.revocation_reason(v.chain)) {
    return Refusal{Severity::Revoked,
                   RefusalKind::Revoked,
                   "EK certificate revoked by " + of_group + ": " + *reason,
                   "ekCertificate: revoked",
                   &group,
                   *reason};
  }
  return std::nullopt;
}

}  // namespace

Result<const store::EnrollmentGroup*> find_tpm_group(const Catalog& catalog,
                                                     tpm::ByteView ek_certificate_der,
                                                     const tpm::PublicArea& endorsement_key,
                                                     std::chrono::system_clock::time_point now,
                                                     RefusedBy* refused_by) {
  auto cert = parse_certificate(ek_certificate_der);
  if (!cert) {
    if (refused_by != nullptr) *refused_by = {};
    return tl::unexpected(cert.error());
  }
  if (auto fit = check_is_endorsement_key(cert->get(), endorsement_key); !fit) {
    if (refused_by != nullptr) *refused_by = {};
    return tl::unexpected(fit.error());
  }

  // The device sends no intermediates, so the certificate's issuer must be a group's lead: only
  // groups led by that name can admit it.
  const std::string issuer = pki::common_name(X509_get_issuer_name(cert->get()));
  const std::vector<const pki::TrustGroup*> candidates = catalog.tpm_trust().led_by(issuer);
  if (candidates.empty()) {
    return refuse(refused_by, {{}, RefusalKind::NoGroup, {}},
                  "no TPM enrollment group for EK certificate issuer CN " + log::quoted(issuer),
                  kNoGroup);
  }

  std::vector<const pki::TrustGroup*> admitting;
  std::vector<Refusal> refusals;
  for (const pki::TrustGroup* group : candidates) {
    if (auto refusal = judge(*group, cert->get(), now)) {
      refusals.push_back(std::move(*refusal));
    } else {
      admitting.push_back(group);
    }
  }
  if (admitting.size() > 1) {
    // Two groups with one lead key: the store refuses that (within and across owners), so only
    // data written before the rule gets here. Neither takes the TPM by an accident of ids.
    std::string internal = "TPM enrollment groups";
    for (const pki::TrustGroup* group : admitting) {
      internal += " " + group->group_id() + " (owner " + log::quoted(group->owner()) + ")";
    }
    internal += " all admit this EK certificate: refused until one of them changes";
    return refuse(refused_by, {}, std::move(internal), "enrollment is ambiguous");
  }
  if (admitting.size() == 1) {
    const store::EnrollmentGroup* group = catalog.find_group(admitting.front()->group_id());
    if (group == nullptr) {
      return fail(ErrorCode::Internal, "TPM enrollment group " + admitting.front()->group_id() +
                                           " is in the trust index but not the catalog");
    }
    return group;
  }

  const Refusal* worst = &refusals.front();
  std::string internal;
  for (const Refusal& r : refusals) {
    internal += (internal.empty() ? "" : "; ") + r.internal;
    if (r.severity > worst->severity) worst = &r;
  }
  RefusedBy by{{}, worst->kind, {}};
  if (worst->owned_by != nullptr) {
    by = {worst->owned_by->group_id(), worst->kind, worst->detail};
  }
  return refuse(refused_by, std::move(by), std::move(internal), worst->external);
}

}  // namespace dps::provisioning
