#include "pki/trust_group.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cctype>

#include "log/quoted.hpp"
#include "pki/pem.hpp"
#include "pki/x509_util.hpp"

namespace dps::pki {

namespace {

using GroupPtr = std::shared_ptr<TrustGroup>;

tl::unexpected<Error> bad(const std::string& group_id, const std::string& what) {
  return fail(ErrorCode::BadRequest, "enrollment group " + group_id + ": " + what);
}

// One spelling per serial/hash: lowercase hex without separators or leading zeros, so
// "00:AB:cd" and "abcd" name the same serial.
std::optional<std::string> normalise_hex(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == ':' || std::isspace(static_cast<unsigned char>(c))) continue;
    if (!std::isxdigit(static_cast<unsigned char>(c))) return std::nullopt;
    if (out.empty() && c == '0') continue;
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (out.empty()) {
    const bool any_digit = std::any_of(text.begin(), text.end(), [](char c) { return c == '0'; });
    if (!any_digit) return std::nullopt;
    out = "0";
  }
  return out;
}

// Every certificate must chain to one of the group's roots through the group's own certificates.
// Dates are not checked here (X509_V_FLAG_NO_CHECK_TIME): an expired manufacturer CA may still be
// wanted with expired_certificate_enabled, and "now" at handshake is what matters.
Result<void> check_chain_verifies(const TrustGroup& group, std::span<const X509Ptr> certs) {
  StackOfX509ViewPtr untrusted(sk_X509_new_null());
  if (!untrusted) return fail(ErrorCode::Internal, "sk_X509_new_null");
  for (X509* cert : group.intermediates()) sk_X509_push(untrusted.get(), cert);
  for (size_t i = 0; i < certs.size(); ++i) {
    X509StoreCtxPtr ctx(X509_STORE_CTX_new());
    if (!ctx ||
        X509_STORE_CTX_init(ctx.get(), group.roots(), certs[i].get(), untrusted.get()) != 1) {
      return fail(ErrorCode::Internal, "X509_STORE_CTX_init: " + openssl_error_string());
    }
    X509_STORE_CTX_set_flags(ctx.get(), X509_V_FLAG_NO_CHECK_TIME);
    if (X509_verify_cert(ctx.get()) != 1) {
      const int err = X509_STORE_CTX_get_error(ctx.get());
      ERR_clear_error();
      return bad(group.group_id(),
                 "certificate chain does not verify against itself: certificate " +
                     std::to_string(i + 1) + " (CN " +
                     log::quoted(common_name(X509_get_subject_name(certs[i].get()))) +
                     "): " + X509_verify_cert_error_string(err));
    }
  }
  return {};
}

Result<std::vector<X509CrlPtr>> parse_crls(std::string_view pem) {
  std::vector<X509CrlPtr> crls;
  ERR_clear_error();
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return fail(ErrorCode::Internal, "BIO_new_mem_buf");
  while (X509_CRL* crl = PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr)) {
    crls.emplace_back(crl);
  }
  const unsigned long err = ERR_peek_last_error();
  const bool at_end = ERR_GET_LIB(err) == ERR_LIB_PEM && ERR_GET_REASON(err) == PEM_R_NO_START_LINE;
  const std::string detail = openssl_error_string();
  if (!at_end) return fail(ErrorCode::BadRequest, "CRL does not parse: " + detail);
  if (crls.empty()) return fail(ErrorCode::BadRequest, "crl holds no PEM X509 CRL");
  return crls;
}

// Binds each CRL to the chain certificate that signed it. A CRL naming a chain certificate as
// issuer must verify with its key (an operator mistake otherwise silently revokes nothing); one
// naming an unknown issuer (an intermediate devices send) is checked at handshake time.
Result<void> add_crls(TrustGroup& group, std::vector<TrustGroup::Crl>& out,
                      std::span<const X509Ptr> certs, std::string_view pem) {
  auto crls = parse_crls(pem);
  if (!crls) return bad(group.group_id(), crls.error().internal);
  for (auto& crl : *crls) {
    TrustGroup::Crl entry{std::move(crl), nullptr};
    bool issuer_in_chain = false;
    for (const auto& cert : certs) {
      if (X509_NAME_cmp(X509_CRL_get_issuer(entry.crl.get()), X509_get_subject_name(cert.get()))) {
        continue;
      }
      issuer_in_chain = true;
      if (X509_CRL_verify(entry.crl.get(), X509_get0_pubkey(cert.get())) == 1) {
        entry.signer = cert.get();
        break;
      }
    }
    ERR_clear_error();
    if (issuer_in_chain && entry.signer == nullptr) {
      return bad(group.group_id(),
                 "CRL of " + log::quoted(common_name(X509_CRL_get_issuer(entry.crl.get()))) +
                     " is not signed by that certificate of the chain");
    }
    out.push_back(std::move(entry));
  }
  return {};
}

// The verified path from the group's lead certificate (the first of the chain named by the lead
// name) up to its root. The chain verified against itself already, so this only
// fails on an internal error.
Result<std::vector<X509*>> lead_path(const TrustGroup& group, std::span<const X509Ptr> certs) {
  X509* lead = nullptr;
  for (const auto& cert : certs) {
    if (common_name(X509_get_subject_name(cert.get())) == group.lead_name()) {
      lead = cert.get();
      break;
    }
  }
  if (lead == nullptr) return fail(ErrorCode::Internal, "lead certificate vanished");
  StackOfX509ViewPtr untrusted(sk_X509_new_null());
  X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!untrusted || !ctx) return fail(ErrorCode::Internal, "out of memory");
  for (X509* cert : group.intermediates()) sk_X509_push(untrusted.get(), cert);
  if (X509_STORE_CTX_init(ctx.get(), group.roots(), lead, untrusted.get()) != 1) {
    return fail(ErrorCode::Internal, "X509_STORE_CTX_init: " + openssl_error_string());
  }
  X509_STORE_CTX_set_flags(ctx.get(), X509_V_FLAG_NO_CHECK_TIME);
  if (X509_verify_cert(ctx.get()) != 1) {
    ERR_clear_error();
    return fail(ErrorCode::Internal, "lead certificate does not verify against its chain");
  }
  // The verified chain holds the group's own certificates (its roots and intermediates), which
  // outlive this context.
  STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(ctx.get());
  std::vector<X509*> path;
  for (int i = 0; i < sk_X509_num(chain); ++i) path.push_back(sk_X509_value(chain, i));
  return path;
}

}  // namespace

Result<std::shared_ptr<const TrustGroup>> build_trust_group(const TrustGroupSpec& spec) {
  GroupPtr group(new TrustGroup());
  group->group_id_ = spec.group_id;
  group->owner_ = spec.owner;
  group->disabled_ = spec.disabled;
  group->expired_certificate_enabled_ = spec.expired_certificate_enabled;

  auto certs = parse_certificates_pem(spec.certificate_chain_pem);
  if (!certs) return bad(spec.group_id, "certificate chain: " + certs.error().internal);
  group->certs_ = std::move(*certs);
  group->roots_.reset(X509_STORE_new());
  if (!group->roots_) return fail(ErrorCode::Internal, "X509_STORE_new");
  for (const auto& cert : group->certs_) {
    // Computes the cached extension flags now, while the object is still private to us. A
    // failure means extensions that do not decode: refused here rather than trusted half-parsed.
    if (X509_check_purpose(cert.get(), -1, 0) != 1) {
      ERR_clear_error();
      return bad(spec.group_id, "certificate chain: a certificate has undecodable extensions");
    }
    if (!is_self_signed(cert.get())) {
      group->intermediates_.push_back(cert.get());
    } else if (X509_STORE_add_cert(group->roots_.get(), cert.get()) != 1) {
      return fail(ErrorCode::Internal, "X509_STORE_add_cert: " + openssl_error_string());
    }
  }
  ERR_clear_error();
  if (group->intermediates_.size() == group->certs_.size()) {
    return bad(spec.group_id, "certificate chain has no self-signed root");
  }
  if (auto r = check_chain_verifies(*group, group->certs_); !r) return tl::unexpected(r.error());

  group->lead_name_ = spec.lead_certificate_name.empty()
                          ? common_name(X509_get_subject_name(group->first_certificate()))
                          : spec.lead_certificate_name;
  const bool names_a_cert =
      std::any_of(group->certs_.begin(), group->certs_.end(), [&](const X509Ptr& cert) {
        return common_name(X509_get_subject_name(cert.get())) == group->lead_name_;
      });
  if (group->lead_name_.empty() || !names_a_cert) {
    return bad(spec.group_id, "lead certificate name " + log::quoted(group->lead_name_) +
                                  " names no certificate of the chain");
  }
  auto path = lead_path(*group, group->certs_);
  if (!path) return tl::unexpected(path.error());
  group->path_certificates_ = std::move(*path);
  for (X509* cert : group->path_certificates_) {
    group->trust_path_.push_back(spki_sha256_hex(cert));
    if (!is_self_signed(cert)) group->path_intermediates_.push_back(cert);
  }

  for (const auto& entry : spec.revoked) {
    auto normalised = normalise_hex(entry);
    if (!normalised) {
      return bad(spec.group_id,
                 "revoked entry \"" + entry + "\" is not a hex serial or SHA-256 hash");
    }
    group->revoked_.insert(std::move(*normalised));
  }
  if (!spec.crl_pem.empty()) {
    if (auto r = add_crls(*group, group->crls_, group->certs_, spec.crl_pem); !r) {
      return tl::unexpected(r.error());
    }
  }
  return std::shared_ptr<const TrustGroup>(std::move(group));
}

bool TrustGroup::is_lead(X509* cert) const {
  return !trust_path_.empty() && spki_sha256_hex(cert) == trust_path_.front();
}

bool TrustGroup::lists(std::string_view serial_hex, std::string_view key_hash) const {
  if (revoked_.empty()) return false;
  const auto serial = normalise_hex(serial_hex);
  const auto key = normalise_hex(key_hash);
  return (serial && revoked_.contains(*serial)) || (key && revoked_.contains(*key));
}

std::optional<std::string> TrustGroup::revocation_reason(
    std::span<X509* const> verified_chain) const {
  if (verified_chain.empty()) return std::nullopt;
  X509* leaf = verified_chain.front();
  if (!revoked_.empty()) {
    const std::string serial = serial_hex(leaf);
    if (revoked_.contains(serial)) return "serial " + serial + " is revoked";
    const std::string spki = spki_sha256_hex(leaf);
    if (const auto key = normalise_hex(spki); key && revoked_.contains(*key)) {
      return "public key sha256 " + spki + " is revoked";
    }
  }
  // Each non-root certificate against CRLs of its verified issuer.
  for (size_t i = 0; i + 1 < verified_chain.size(); ++i) {
    X509* cert = verified_chain[i];
    X509* issuer = verified_chain[i + 1];
    for (const Crl& entry : crls_) {
      X509_CRL* crl = entry.crl.get();
      if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(issuer)) != 0) continue;
      const bool authentic = (entry.signer != nullptr && X509_cmp(entry.signer, issuer) == 0) ||
                             X509_CRL_verify(crl, X509_get0_pubkey(issuer)) == 1;
      ERR_clear_error();
      X509_REVOKED* revoked = nullptr;
      // 1 = listed; 2 = listed with reason removeFromCRL (i.e. no longer revoked).
      if (authentic && X509_CRL_get0_by_cert(crl, &revoked, cert) == 1) {
        return "CRL of " + log::quoted(common_name(X509_get_subject_name(issuer))) + " lists " +
               (i == 0 ? "the leaf"
                       : "intermediate " + log::quoted(common_name(X509_get_subject_name(cert)))) +
               " (serial " + serial_hex(cert) + ")";
      }
    }
  }
  return std::nullopt;
}

}  // namespace dps::pki
