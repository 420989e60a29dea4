#include "pki/embedded_ca.hpp"

#include <openssl/x509v3.h>

#include <algorithm>
#include <system_error>
#include <vector>

#include "common/private_file.hpp"
#include "pki/csr.hpp"
#include "pki/pem.hpp"

namespace dps::pki {

namespace {

using namespace std::chrono_literals;

constexpr std::string_view kCaCertFile = "ca.pem";
constexpr std::string_view kCaKeyFile = "ca.key";
constexpr std::string_view kRootName = "dps embedded CA";
constexpr auto kRootValidity = std::chrono::days(7305);  // 20 years, leap days included
// Backdating absorbs clock skew between us and devices (device-protocol §3.4: "now - 1 h").
constexpr auto kBackdate = 1h;
constexpr std::string_view kOcfIdentityEku = "1.3.6.1.4.1.44924.1.6";

Error with_path(const std::filesystem::path& path, Error e) {
  e.internal = path.string() + ": " + e.internal;
  return e;
}

Result<void> create_root(const std::filesystem::path& cert_path,
                         const std::filesystem::path& key_path) {
  auto key = generate_ec_key(EcCurve::P256);
  if (!key) return tl::unexpected(key.error());
  auto name = make_name(kRootName);
  if (!name) return tl::unexpected(name.error());
  const auto now = std::chrono::system_clock::now();
  CertificateProfile profile{name->get(),
                             key->get(),
                             now - kBackdate,
                             now + kRootValidity,
                             {{NID_basic_constraints, "critical,CA:TRUE"},
                              {NID_key_usage, "critical,keyCertSign,cRLSign"},
                              {NID_subject_key_identifier, "hash"}}};
  auto cert = issue_certificate(profile, nullptr, key->get());
  if (!cert) return tl::unexpected(cert.error());
  auto key_pem = private_key_to_pem(key->get());
  auto cert_pem = to_pem(cert->get());
  if (!key_pem) return tl::unexpected(key_pem.error());
  if (!cert_pem) return tl::unexpected(cert_pem.error());
  // Key first: a crash in between leaves a key without a certificate, which load refuses with a
  // clear message, never a certificate whose key is lost.
  if (auto r = write_file(key_path, *key_pem, FileMode::Secret); !r) return r;
  return write_file(cert_path, *cert_pem, FileMode::Public);
}

// Checks that chain[i] is issued and signed by chain[i+1] and that the last one is a self-signed
// root, so what we hand devices as "trustca" really anchors what we issue.
Result<void> check_issuing_chain(const std::vector<X509Ptr>& chain) {
  for (size_t i = 0; i + 1 < chain.size(); ++i) {
    EVP_PKEY* issuer_key = X509_get0_pubkey(chain[i + 1].get());
    if (X509_check_issued(chain[i + 1].get(), chain[i].get()) != X509_V_OK ||
        issuer_key == nullptr || X509_verify(chain[i].get(), issuer_key) != 1) {
      return fail(ErrorCode::Internal, "certificate " + std::to_string(i + 1) +
                                           " is not issued by the certificate after it");
    }
  }
  if (!is_self_signed(chain.back().get())) {
    return fail(ErrorCode::Internal,
                "the chain does not end with a self-signed root: append the CA's issuers");
  }
  return {};
}

Result<void> check_ca(X509* cert, EVP_PKEY* key) {
  if ((X509_get_extension_flags(cert) & EXFLAG_CA) == 0) {
    return fail(ErrorCode::Internal, "the certificate is not a CA (basicConstraints CA:TRUE)");
  }
  if ((X509_get_key_usage(cert) & KU_KEY_CERT_SIGN) == 0) {
    return fail(ErrorCode::Internal, "the certificate's keyUsage lacks keyCertSign");
  }
  if (X509_check_private_key(cert, key) != 1) {
    (void)openssl_error_string();
    return fail(ErrorCode::Internal, "the key does not match the CA certificate");
  }
  const int type = EVP_PKEY_get_base_id(key);
  if (type != EVP_PKEY_EC && type != EVP_PKEY_RSA) {
    return fail(ErrorCode::Internal, "CA key must be EC or RSA, got " + describe_key(key));
  }
  return {};
}

}  // namespace

EmbeddedCa::EmbeddedCa(X509Ptr cert, EvpPkeyPtr key, std::string intermediates_pem,
                       std::string root_pem, TimePoint not_after,
                       std::chrono::seconds identity_validity)
    : cert_(std::move(cert)),
      key_(std::move(key)),
      intermediates_pem_(std::move(intermediates_pem)),
      root_pem_(std::move(root_pem)),
      not_after_(not_after),
      identity_validity_(identity_validity) {}

Result<std::unique_ptr<EmbeddedCa>> EmbeddedCa::load_or_create(const EmbeddedCaOptions& options) {
  const bool default_files = options.cert_file.empty() && options.key_file.empty();
  const auto cert_path = options.cert_file.empty() ? options.data_dir / kCaCertFile
                                                   : std::filesystem::path(options.cert_file);
  const auto key_path = options.key_file.empty() ? options.data_dir / kCaKeyFile
                                                 : std::filesystem::path(options.key_file);
  std::optional<FileLock> lock;
  if (default_files) {
    if (auto dir = ensure_private_directory(options.data_dir); !dir)
      return tl::unexpected(dir.error());
    auto acquired = FileLock::acquire(options.data_dir / kPkiLockFile);
    if (!acquired) return tl::unexpected(acquired.error());
    lock.emplace(std::move(*acquired));
    const bool has_cert = std::filesystem::exists(cert_path);
    const bool has_key = std::filesystem::exists(key_path);
    if (!has_cert && !has_key) {
      if (auto r = create_root(cert_path, key_path); !r) return tl::unexpected(r.error());
    } else if (has_cert != has_key) {
      return fail(ErrorCode::Internal, (has_key ? key_path : cert_path).string() +
                                           " exists without " +
                                           (has_key ? cert_path : key_path).string() +
                                           ": restore it, or remove both to create a new CA");
    }
  }

  auto cert_pem = read_file(cert_path);
  if (!cert_pem) return tl::unexpected(cert_pem.error());
  auto chain = parse_certificates_pem(*cert_pem);
  if (!chain) return tl::unexpected(with_path(cert_path, chain.error()));
  auto key_pem = read_file(key_path);
  if (!key_pem) return tl::unexpected(key_pem.error());
  auto key = parse_private_key_pem(*key_pem);
  if (!key) return tl::unexpected(with_path(key_path, key.error()));
  if (auto r = check_ca(chain->front().get(), key->get()); !r) {
    return tl::unexpected(with_path(cert_path, r.error()));
  }
  if (auto r = check_issuing_chain(*chain); !r) {
    return tl::unexpected(with_path(cert_path, r.error()));
  }
  const auto not_after = to_time_point(X509_get0_notAfter(chain->front().get()));
  if (!not_after) return fail(ErrorCode::Internal, cert_path.string() + ": bad notAfter");

  // chain_pem sent to devices = leaf + every certificate of the file except the self-signed root.
  std::vector<X509*> intermediates;
  for (size_t i = 0; i + 1 < chain->size(); ++i) intermediates.push_back((*chain)[i].get());
  auto intermediates_pem = to_pem(intermediates);
  auto root_pem = to_pem(chain->back().get());
  if (!intermediates_pem) return tl::unexpected(intermediates_pem.error());
  if (!root_pem) return tl::unexpected(root_pem.error());
  X509Ptr ca_cert = std::move(chain->front());
  return std::unique_ptr<EmbeddedCa>(
      new EmbeddedCa(std::move(ca_cert), std::move(*key), std::move(*intermediates_pem),
                     std::move(*root_pem), *not_after, options.identity_validity));
}

Result<X509Ptr> EmbeddedCa::issue(CertificateProfile profile) const {
  if (std::chrono::system_clock::now() >= not_after_) {
    return fail(ErrorCode::Internal, "the embedded CA certificate has expired",
                "certificate authority unavailable");
  }
  profile.not_after = std::min(profile.not_after, not_after_);
  return issue_certificate(profile, cert_.get(), key_.get());
}

Result<IssuedCertificate> EmbeddedCa::sign(const ValidatedCsr& csr) {
  return sign(csr, std::chrono::seconds::zero());
}

Result<IssuedCertificate> EmbeddedCa::sign(const ValidatedCsr& csr, std::chrono::seconds validity) {
  if (validity <= std::chrono::seconds::zero()) validity = identity_validity_;
  const auto now = std::chrono::system_clock::now();
  // The subject is dps's, not the CSR's: exactly CN=uuid:<the device id checked against the
  // request>, so no other attribute a device put in its CSR reaches a certificate peers trust.
  auto subject = make_name("uuid:" + csr.device_id);
  if (!subject) return tl::unexpected(subject.error());
  CertificateProfile profile{
      subject->get(),
      nullptr,  // public_key_info below
      now - kBackdate,
      now + validity,
      {{NID_basic_constraints, "critical,CA:FALSE"},
       {NID_key_usage, "critical,digitalSignature,keyAgreement"},
       {NID_ext_key_usage, "clientAuth,serverAuth," + std::string(kOcfIdentityEku)},
       // keyid from the CA's subjectKeyIdentifier; issuer+serial only for a CA without one.
       {NID_authority_key_identifier, "keyid,issuer"}},
      X509_REQ_get_X509_PUBKEY(csr.request.get())};
  auto leaf = issue(std::move(profile));
  if (!leaf) return tl::unexpected(leaf.error());
  auto leaf_pem = to_pem(leaf->get());
  if (!leaf_pem) return tl::unexpected(leaf_pem.error());
  return IssuedCertificate{*leaf_pem + intermediates_pem_, root_pem_, *leaf_pem};
}

}  // namespace dps::pki
