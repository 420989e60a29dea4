// Small X.509 building blocks shared by the embedded CA, the server identity, the trust groups and
// the test PKI: key generation, names, serials, validity, extensions and one "issue" function, so
// certificate construction is written (and reviewed) once.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.hpp"
#include "pki/x509_ptr.hpp"

namespace dps::pki {

using TimePoint = std::chrono::system_clock::time_point;

/// The curves devices use (device-protocol §1: P-256 and P-384 only).
enum class EcCurve { P256, P384 };

[[nodiscard]] Result<EvpPkeyPtr> generate_ec_key(EcCurve curve = EcCurve::P256);

/// "EC P-256", "EC P-384", "EC secp256k1", "RSA-2048", "ED25519": for messages and key policy.
std::string describe_key(EVP_PKEY* key);

/// The EC curve of `key` if it is P-256 or P-384, nullopt for any other key.
std::optional<EcCurve> device_curve(EVP_PKEY* key);

/// The first commonName of `name` as UTF-8, or "" when there is none.
std::string common_name(const X509_NAME* name);

/// A name holding one commonName.
[[nodiscard]] Result<X509NamePtr> make_name(std::string_view common_name);

/// True when `cert` is self-issued and its signature verifies with its own key.
bool is_self_signed(X509* cert);

/// Whether `leaf` allows TLS client authentication: an extended key usage extension naming
/// clientAuth. What TrustGroupIndex::match requires of a device's leaf before it tries any group
/// (and what the API's explain reports).
bool allows_client_auth(X509* leaf);

/// Serial as lowercase hex without leading zeros ("0" for zero), the form revocation lists use.
std::string serial_hex(X509* cert);

/// SHA-256 of the DER SubjectPublicKeyInfo, lowercase hex (64 digits).
std::string spki_sha256_hex(X509* cert);

/// An ASN.1 time as a time point, clamped to [1970, 2106] (a notAfter of 9999, RFC 5280's "no
/// expiration", reads as 2106). nullopt when it does not parse.
std::optional<TimePoint> to_time_point(const ASN1_TIME* time);

/// What to put in a certificate; extensions are OpenSSL config strings ("critical,CA:TRUE"),
/// applied in order (subjectKeyIdentifier must precede authorityKeyIdentifier).
struct CertificateProfile {
  const X509_NAME* subject = nullptr;
  EVP_PKEY* public_key = nullptr;
  TimePoint not_before;
  TimePoint not_after;
  std::vector<std::pair<int, std::string>> extensions;
  /// Instead of `public_key`: the subject's key as encoded in a CSR, copied into the certificate
  /// byte for byte. OpenSSL 3.0 would otherwise re-encode and re-decode an EVP_PKEY through its
  /// provider decoders, ~40 % of issuing a device certificate (bench/micro, BM_CsrCheckAndIssue).
  const X509_PUBKEY* public_key_info = nullptr;
};

/// Builds and signs a v3 certificate with a random positive 16-byte serial. `issuer` null means
/// self-signed (the issuer name is the subject and `issuer_key` must be the subject's key).
/// Signs with a digest as strong as the issuer key: SHA-256 for P-256 (and RSA up to 3071 bits),
/// SHA-384 for P-384, SHA-512 beyond; Ed25519/Ed448 issuer keys sign without a separate digest.
[[nodiscard]] Result<X509Ptr> issue_certificate(const CertificateProfile& profile, X509* issuer,
                                                EVP_PKEY* issuer_key);

}  // namespace dps::pki
