// The built-in certificate authority: the embedded default's CertificateSigner (design.md
// "embedded default that needs nothing but itself").
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "pki/certificate_signer.hpp"
#include "pki/x509_ptr.hpp"
#include "pki/x509_util.hpp"

namespace dps::pki {

/// The data dir's lock file (FileLock) that the embedded CA and the server identity take while
/// they create their keys, so two dps starting on one data dir make one of each.
inline constexpr std::string_view kPkiLockFile = ".pki.lock";

struct EmbeddedCaOptions {
  /// Where the CA is created on first start when cert_file/key_file are empty.
  std::filesystem::path data_dir;
  /// PEM: the CA certificate first, then its issuers up to a self-signed root. Empty means
  /// data_dir/ca.pem (created with key_file when both are absent).
  std::string cert_file;
  /// PEM private key of the CA certificate. Empty means data_dir/ca.key (mode 0600).
  std::string key_file;
  /// Requested lifetime of device identity certificates; clamped to the CA's notAfter.
  std::chrono::seconds identity_validity = std::chrono::days(365);
};

class EmbeddedCa final : public CertificateSigner {
 public:
  /// Loads the configured CA, or with default paths creates (once, under a lock) a self-signed
  /// P-256 root "CN=dps embedded CA" valid 20 years, and loads it. Key and chain are parsed here,
  /// once. Fails with a message naming the file when a file is missing, unreadable, does not
  /// parse, the key does not match, the certificate is not a CA, or the chain has no self-signed
  /// root.
  [[nodiscard]] static Result<std::unique_ptr<EmbeddedCa>> load_or_create(
      const EmbeddedCaOptions& options);

  // pki::CertificateSigner
  /// Subject and key from the CSR, random positive 16-byte serial, keyUsage digitalSignature +
  /// keyAgreement (critical), extKeyUsage clientAuth + serverAuth + OCF identity
  /// (1.3.6.1.4.1.44924.1.6), authorityKeyIdentifier, valid from now - 1 h to now +
  /// identity_validity clamped to the CA's notAfter, ECDSA-SHA256. Thread-safe: reads only
  /// immutable state.
  [[nodiscard]] Result<IssuedCertificate> sign(const ValidatedCsr& csr) override;
  [[nodiscard]] Result<IssuedCertificate> sign(const ValidatedCsr& csr,
                                               std::chrono::seconds validity) override;

  /// Issues any certificate under this CA (server identity, tests). not_after is clamped to the
  /// CA's notAfter; Internal error if the CA has expired. Thread-safe.
  [[nodiscard]] Result<X509Ptr> issue(CertificateProfile profile) const;

  /// The self-signed root of the issuing chain, PEM: what devices and tests trust.
  const std::string& root_pem() const { return root_pem_; }
  /// The CA certificate and its intermediates (everything but the root), PEM; appended to every
  /// issued leaf. Empty when the CA is itself the root.
  const std::string& intermediates_pem() const { return intermediates_pem_; }
  /// The signing CA certificate (owned by this object).
  X509* certificate() const { return cert_.get(); }
  TimePoint not_after() const { return not_after_; }

 private:
  EmbeddedCa(X509Ptr cert, EvpPkeyPtr key, std::string intermediates_pem, std::string root_pem,
             TimePoint not_after, std::chrono::seconds identity_validity);

  const X509Ptr cert_;
  const EvpPkeyPtr key_;
  const std::string intermediates_pem_;
  const std::string root_pem_;
  const TimePoint not_after_;
  const std::chrono::seconds identity_validity_;
};

}  // namespace dps::pki
