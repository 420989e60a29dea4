#include "pki/x509_util.hpp"

#include <openssl/core_names.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cctype>
#include <ctime>

#include "common/hex.hpp"
#include "pki/pem.hpp"

namespace dps::pki {

namespace {

constexpr size_t kSerialBytes = 16;

std::string ec_group_name(EVP_PKEY* key) {
  char name[80] = {};
  size_t len = 0;
  if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, name, sizeof name, &len) !=
      1) {
    return {};
  }
  return std::string(name, len);
}

// 16 random bytes with the top two bits forced to 01: positive (RFC 5280 §4.1.2.2), exactly 16
// DER content bytes, 126 bits of entropy (the CA/B floor is 64).
Result<void> set_random_serial(X509* cert) {
  unsigned char bytes[kSerialBytes];
  if (RAND_bytes(bytes, sizeof bytes) != 1) {
    return fail(ErrorCode::Internal, "RAND_bytes: " + openssl_error_string());
  }
  bytes[0] = static_cast<unsigned char>((bytes[0] & 0x3f) | 0x40);
  BignumPtr bn(BN_bin2bn(bytes, sizeof bytes, nullptr));
  if (!bn || !BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert))) {
    return fail(ErrorCode::Internal, "serial: " + openssl_error_string());
  }
  return {};
}

Result<void> set_time(ASN1_TIME* field, TimePoint t) {
  if (ASN1_TIME_set(field, std::chrono::system_clock::to_time_t(t)) == nullptr) {
    return fail(ErrorCode::Internal, "ASN1_TIME_set: " + openssl_error_string());
  }
  return {};
}

// A digest as strong as the signing key (NIST SP 800-57 Part 1, table 2): SHA-256 up to P-256 and
// RSA-3071, SHA-384 up to P-384 and RSA-7679, SHA-512 beyond. A P-384 CA signing with SHA-256
// would cap its certificates at 128-bit strength.
const EVP_MD* signature_digest(EVP_PKEY* key) {
  const int id = EVP_PKEY_get_base_id(key);
  if (id == EVP_PKEY_ED25519 || id == EVP_PKEY_ED448) return nullptr;
  const int bits = EVP_PKEY_get_bits(key);
  const bool rsa = id == EVP_PKEY_RSA || id == EVP_PKEY_RSA_PSS;
  if (bits <= (rsa ? 3071 : 256)) return EVP_sha256();
  if (bits <= (rsa ? 7679 : 384)) return EVP_sha384();
  return EVP_sha512();
}

}  // namespace

Result<EvpPkeyPtr> generate_ec_key(EcCurve curve) {
  EvpPkeyPtr key(EVP_EC_gen(curve == EcCurve::P256 ? "P-256" : "P-384"));
  if (!key) return fail(ErrorCode::Internal, "EVP_EC_gen: " + openssl_error_string());
  return key;
}

std::string describe_key(EVP_PKEY* key) {
  const int id = EVP_PKEY_get_base_id(key);
  if (id == EVP_PKEY_EC) {
    const std::string group = ec_group_name(key);
    if (group == "prime256v1") return "EC P-256";
    if (group == "secp384r1") return "EC P-384";
    if (group == "secp521r1") return "EC P-521";
    return "EC " + (group.empty() ? std::string("explicit parameters") : group);
  }
  const char* type = EVP_PKEY_get0_type_name(key);
  std::string name = type != nullptr ? type : "unknown";
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (id == EVP_PKEY_RSA || id == EVP_PKEY_RSA_PSS || id == EVP_PKEY_DSA) {
    name += "-" + std::to_string(EVP_PKEY_get_bits(key));
  }
  return name;
}

std::optional<EcCurve> device_curve(EVP_PKEY* key) {
  if (EVP_PKEY_get_base_id(key) != EVP_PKEY_EC) return std::nullopt;
  const std::string group = ec_group_name(key);
  if (group == "prime256v1") return EcCurve::P256;
  if (group == "secp384r1") return EcCurve::P384;
  return std::nullopt;
}

std::string common_name(const X509_NAME* name) {
  const int index = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (index < 0) return {};
  const ASN1_STRING* value = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
  unsigned char* utf8 = nullptr;
  const int len = ASN1_STRING_to_UTF8(&utf8, value);
  if (len < 0) return {};
  OpenSslBytesPtr owned(utf8);
  return std::string(reinterpret_cast<const char*>(utf8), static_cast<size_t>(len));
}

Result<X509NamePtr> make_name(std::string_view cn) {
  X509NamePtr name(X509_NAME_new());
  if (!name || X509_NAME_add_entry_by_NID(name.get(), NID_commonName, MBSTRING_UTF8,
                                          reinterpret_cast<const unsigned char*>(cn.data()),
                                          static_cast<int>(cn.size()), -1, 0) != 1) {
    return fail(ErrorCode::Internal, "X509_NAME: " + openssl_error_string());
  }
  return name;
}

bool is_self_signed(X509* cert) { return X509_self_signed(cert, 1) == 1; }

bool allows_client_auth(X509* leaf) {
  return (X509_get_extension_flags(leaf) & EXFLAG_XKUSAGE) != 0 &&
         (X509_get_extended_key_usage(leaf) & XKU_SSL_CLIENT) != 0;
}

std::string serial_hex(X509* cert) {
  BignumPtr bn(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr));
  if (!bn) return {};
  std::vector<unsigned char> bytes(static_cast<size_t>(BN_num_bytes(bn.get())));
  BN_bn2bin(bn.get(), bytes.data());
  std::string out = to_hex(std::span<const unsigned char>(bytes));
  const size_t first = out.find_first_not_of('0');
  return first == std::string::npos ? "0" : out.substr(first);
}

std::string spki_sha256_hex(X509* cert) {
  unsigned char* der = nullptr;
  const int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
  if (len <= 0) return {};
  OpenSslBytesPtr owned(der);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  if (EVP_Digest(der, static_cast<size_t>(len), digest, &digest_len, EVP_sha256(), nullptr) != 1) {
    return {};
  }
  return to_hex(std::span<const unsigned char>(digest, digest_len));
}

std::optional<TimePoint> to_time_point(const ASN1_TIME* time) {
  std::tm tm{};
  if (time == nullptr || ASN1_TIME_to_tm(time, &tm) != 1) return std::nullopt;
  // system_clock counts nanoseconds in 64 bits (years 1678-2262): RFC 5280's "no well-defined
  // expiration" 99991231235959Z would overflow into the past. Clamped to [1970, 2106], so that
  // differences of two such times cannot overflow either, and a clamped range stays inside the
  // real one (what verification_time's midpoint needs).
  constexpr time_t kLatest = time_t{1} << 32;  // 2106-02-07
  const time_t seconds = std::clamp<time_t>(timegm(&tm), 0, kLatest);
  return std::chrono::system_clock::from_time_t(seconds);
}

namespace {

// Copies the algorithm (with its parameters: the named curve of an EC key, NULL for RSA) and the
// key bits of `from` into `cert`'s SubjectPublicKeyInfo.
bool copy_public_key(X509* cert, const X509_PUBKEY* from) {
  ASN1_OBJECT* key_oid = nullptr;
  const unsigned char* bits = nullptr;
  int length = 0;
  X509_ALGOR* algorithm = nullptr;
  if (X509_PUBKEY_get0_param(&key_oid, &bits, &length, &algorithm, from) != 1 || length <= 0) {
    return false;
  }
  const ASN1_OBJECT* algorithm_oid = nullptr;
  int parameter_type = V_ASN1_UNDEF;
  const void* parameter = nullptr;
  X509_ALGOR_get0(&algorithm_oid, &parameter_type, &parameter, algorithm);
  void* parameter_copy = nullptr;
  if (parameter_type == V_ASN1_OBJECT) {
    parameter_copy = OBJ_dup(static_cast<const ASN1_OBJECT*>(parameter));
  } else if (parameter_type == V_ASN1_SEQUENCE) {
    parameter_copy = ASN1_STRING_dup(static_cast<const ASN1_STRING*>(parameter));
  } else if (parameter_type != V_ASN1_NULL && parameter_type != V_ASN1_UNDEF) {
    return false;
  }
  ASN1_OBJECT* oid_copy = OBJ_dup(algorithm_oid);
  auto* bits_copy = static_cast<unsigned char*>(OPENSSL_memdup(bits, static_cast<size_t>(length)));
  const bool copied =
      oid_copy && bits_copy &&
      (parameter_copy || parameter_type == V_ASN1_NULL || parameter_type == V_ASN1_UNDEF);
  // set0 takes ownership of every copy on success only.
  if (copied && X509_PUBKEY_set0_param(X509_get_X509_PUBKEY(cert), oid_copy, parameter_type,
                                       parameter_copy, bits_copy, length) == 1) {
    return true;
  }
  ASN1_OBJECT_free(oid_copy);
  OPENSSL_free(bits_copy);
  if (parameter_type == V_ASN1_OBJECT) ASN1_OBJECT_free(static_cast<ASN1_OBJECT*>(parameter_copy));
  if (parameter_type == V_ASN1_SEQUENCE)
    ASN1_STRING_free(static_cast<ASN1_STRING*>(parameter_copy));
  return false;
}

}  // namespace

Result<X509Ptr> issue_certificate(const CertificateProfile& profile, X509* issuer,
                                  EVP_PKEY* issuer_key) {
  X509Ptr cert(X509_new());
  if (!cert) return fail(ErrorCode::Internal, "X509_new: " + openssl_error_string());
  const X509_NAME* issuer_name = issuer ? X509_get_subject_name(issuer) : profile.subject;
  if (X509_set_version(cert.get(), X509_VERSION_3) != 1 ||
      X509_set_subject_name(cert.get(), profile.subject) != 1 ||
      X509_set_issuer_name(cert.get(), issuer_name) != 1 ||
      !(profile.public_key_info ? copy_public_key(cert.get(), profile.public_key_info)
                                : X509_set_pubkey(cert.get(), profile.public_key) == 1)) {
    return fail(ErrorCode::Internal, "X509 fields: " + openssl_error_string());
  }
  if (auto r = set_random_serial(cert.get()); !r) return tl::unexpected(r.error());
  if (auto r = set_time(X509_getm_notBefore(cert.get()), profile.not_before); !r) {
    return tl::unexpected(r.error());
  }
  if (auto r = set_time(X509_getm_notAfter(cert.get()), profile.not_after); !r) {
    return tl::unexpected(r.error());
  }
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer ? issuer : cert.get(), cert.get(), nullptr, nullptr, 0);
  for (const auto& [nid, value] : profile.extensions) {
    X509ExtensionPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
    if (!ext || X509_add_ext(cert.get(), ext.get(), -1) != 1) {
      return fail(ErrorCode::Internal, std::string("extension ") + OBJ_nid2sn(nid) + "=" + value +
                                           ": " + openssl_error_string());
    }
  }
  if (X509_sign(cert.get(), issuer_key, signature_digest(issuer_key)) <= 0) {
    return fail(ErrorCode::Internal, "X509_sign: " + openssl_error_string());
  }
  return cert;
}

}  // namespace dps::pki
