// Test PKI generated at test time: roots, intermediates, device leaves, CSRs, CRLs and a temp
// directory. Used by every module's unit tests and by the integration tests. Failures here are
// bugs in the test setup, so these helpers throw std::runtime_error (GoogleTest reports it)
// instead of returning Result.
#pragma once

#include <chrono>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "pki/x509_ptr.hpp"

namespace dps::test {

using namespace std::chrono_literals;

enum class KeyType { P256, P384, Secp256k1, Rsa2048, Ed25519 };

/// A fresh key of the given type.
pki::EvpPkeyPtr make_key(KeyType type = KeyType::P256);

/// Certificate validity as offsets from now (negative = in the past).
struct Validity {
  std::chrono::seconds not_before = -1h;
  std::chrono::seconds not_after = std::chrono::days(365);
};

struct TestCert {
  pki::X509Ptr cert;
  pki::EvpPkeyPtr key;

  X509* get() const { return cert.get(); }
  std::string cert_pem() const;
  std::string key_pem() const;
};

struct TestCa : TestCert {
  /// The certificates above this CA, nearest first, ending with the root (empty for a root).
  std::vector<pki::X509Ptr> issuers;

  /// This CA, then its issuers up to and including the root: an enrollment group's chain.
  std::string chain_pem() const;
  /// The self-signed root this CA chains to.
  std::string root_pem() const;
};

struct CaOptions {
  // Long-lived by default, so that leaves verified at an old validity midpoint still nest.
  Validity validity{-std::chrono::days(3650), std::chrono::days(3650)};
  KeyType key_type = KeyType::P256;
};

/// Self-signed CA: basicConstraints critical CA:TRUE, keyUsage keyCertSign+cRLSign, SKI.
TestCa make_root_ca(const std::string& name, const CaOptions& options = {});
/// CA issued by `parent`, with SKI/AKID.
TestCa make_intermediate_ca(const TestCa& parent, const std::string& name,
                            const CaOptions& options = {});
/// A CA certificate with `subject`'s name and public key, issued by `issuer`: the holder of
/// `issuer`'s key vouching for a key it does not hold (a cross-certificate), as an attacker may.
pki::X509Ptr cross_certify(const TestCa& issuer, const TestCert& subject);

struct LeafOptions {
  /// Empty: "uuid:<random v4>", the form of an OCF device certificate.
  std::string common_name{};
  bool client_auth_eku = true;
  bool server_auth_eku = true;
  bool ocf_identity_eku = false;
  Validity validity{};
  KeyType key_type = KeyType::P256;
};

/// A TLS server certificate for IP 127.0.0.1 (clients dial an address, not a name), EKU
/// serverAuth, issued by `issuer`: for test servers on loopback (the plgd CA stand-in, an
/// OAuth server over https).
TestCert make_loopback_server_certificate(const TestCa& issuer);

/// True when the first certificate of `chain_pem` verifies up to a certificate of `ca_pem`
/// (intermediates taken from the rest of the chain).
bool chains_to(const std::string& chain_pem, const std::string& ca_pem);

/// A device (manufacturer) certificate: keyUsage digitalSignature+keyAgreement, EKU as asked
/// (no EKU extension at all when every EKU flag is false).
TestCert make_leaf(const TestCa& issuer, const LeafOptions& options = {});
/// The same profile, self-signed.
TestCert make_self_signed_leaf(const LeafOptions& options = {});

struct EkCertificateOptions {
  Validity validity{-std::chrono::days(1), std::chrono::days(3650)};
  /// The extended key usage as OpenSSL config text; empty = no extension. Default:
  /// tcg-kp-EKCertificate.
  std::string extended_key_usage = "2.23.133.8.1";
  bool ca = false;  // basicConstraints CA:TRUE instead of CA:FALSE
};

/// A certificate shaped like a TPM's EK certificate (TCG EK Credential Profile): an empty
/// subject; a critical subjectAltName directoryName with the TPM manufacturer, model and version
/// (2.23.133.2.1/2/3); keyUsage keyEncipherment (RSA) or keyAgreement (EC); basicConstraints;
/// authorityKeyIdentifier; EKU as asked. Over `endorsement_key`, issued and signed by `issuer`.
pki::X509Ptr make_ek_certificate(const TestCa& issuer, EVP_PKEY* endorsement_key,
                                 const EkCertificateOptions& options = {});

/// The DER encoding of `cert`.
std::vector<unsigned char> to_der(X509* cert);

/// A v2 CRL issued by `issuer` listing `revoked`, signed with `signing_key` (default: the
/// issuer's key; pass another key to make a CRL whose signature does not verify).
std::string make_crl_pem(const TestCa& issuer, std::span<X509* const> revoked,
                         EVP_PKEY* signing_key = nullptr);

struct CsrOptions {
  /// nullptr for Ed25519 keys, which sign without a separate digest.
  const EVP_MD* digest = EVP_sha256();
  /// Subject attributes after the CN, e.g. {{"O", "Hub Inc"}}: what a device may try to sneak in.
  std::vector<std::pair<std::string, std::string>> extra_subject = {};
};

/// PEM CSR with subject CN=`common_name` and `key`'s public key, signed by `key`.
std::string make_csr_pem(EVP_PKEY* key, const std::string& common_name,
                         const CsrOptions& options = {});
/// The same CSR with the last byte of its signature flipped: must fail proof of possession.
std::string make_csr_pem_with_bad_signature(EVP_PKEY* key, const std::string& common_name);

/// The borrowed pointers of certificates, in order: a peer chain as TLS hands it over.
template <class... Certs>
std::vector<X509*> chain_of(const Certs&... certs) {
  return {certs.get()...};
}

/// A fresh directory under the system temp dir, removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  /// path()/name as a string, for command lines.
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  /// Writes `content` to path()/name and returns the full path.
  std::filesystem::path write(const std::string& name, const std::string& content) const;

 private:
  std::filesystem::path path_;
};

}  // namespace dps::test
