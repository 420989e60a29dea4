// TPMT_PUBLIC parsing and encoding (TPM 2.0 Part 2 §12.2.3-12.2.5, §11.1.x for the parameters).
#include "tpm/public_area.hpp"

#include <utility>

#include "tpm/constants.hpp"
#include "tpm/hash_alg.hpp"
#include "tpm/try.hpp"

namespace dps::tpm {

namespace {

// Bits in keyBits of the only RSA size dps accepts (the TCG EK and AK templates' size).
constexpr std::uint16_t kRsaKeyBits = 2048;
constexpr std::size_t kP256CoordinateSize = 32;

Result<void> bad(std::string message) { return fail(ErrorCode::BadRequest, std::move(message)); }

// TPMT_SYM_DEF_OBJECT (Part 2 §11.1.7): NULL, or AES with a key size and CFB (the only mode a
// TPM object's protection uses, §11.1.4 note).
Result<SymmetricDef> read_symmetric(Reader& r) {
  SymmetricDef sym;
  DPS_TPM_TRY(alg, r.u16("TPMT_PUBLIC.parameters.symmetric.algorithm"));
  sym.algorithm = *alg;
  if (sym.algorithm == kAlgNull) return sym;
  if (sym.algorithm != kAlgAes) {
    return fail(ErrorCode::BadRequest, "TPMT_PUBLIC.parameters.symmetric.algorithm: unsupported " +
                                           alg_hex(sym.algorithm) + " (expected AES or NULL)");
  }
  DPS_TPM_TRY(bits, r.u16("TPMT_PUBLIC.parameters.symmetric.keyBits"));
  if (*bits != 128 && *bits != 192 && *bits != 256) {
    return fail(ErrorCode::BadRequest, "TPMT_PUBLIC.parameters.symmetric.keyBits: " +
                                           std::to_string(*bits) + " is not an AES key size");
  }
  sym.key_bits = *bits;
  DPS_TPM_TRY(mode, r.u16("TPMT_PUBLIC.parameters.symmetric.mode"));
  if (*mode != kAlgCfb) {
    return fail(ErrorCode::BadRequest, "TPMT_PUBLIC.parameters.symmetric.mode: " + alg_hex(*mode) +
                                           " unsupported (expected CFB 0x0043)");
  }
  sym.mode = *mode;
  return sym;
}

// The scheme's hashAlg, which must be one we accept.
Result<std::uint16_t> read_scheme_hash(Reader& r) {
  DPS_TPM_TRY(h, r.u16("TPMT_PUBLIC.parameters.scheme.details.hashAlg"));
  DPS_TPM_CHECK(digest_of(*h, "TPMT_PUBLIC.parameters.scheme.details.hashAlg"));
  return *h;
}

// TPMS_RSA_PARMS (§12.2.3.5) minus symmetric, and TPM2B_PUBLIC_KEY_RSA.
Result<void> read_rsa(Reader& r, PublicArea& a) {
  DPS_TPM_TRY(scheme, r.u16("TPMT_PUBLIC.parameters.scheme.scheme"));
  a.scheme = *scheme;
  switch (a.scheme) {
    case kAlgNull:
    case kAlgRsaes:  // TPMS_EMPTY details
      break;
    case kAlgRsassa:
    case kAlgRsapss:
    case kAlgOaep: {
      DPS_TPM_TRY(h, read_scheme_hash(r));
      a.scheme_hash = *h;
      break;
    }
    default:
      return bad("TPMT_PUBLIC.parameters.scheme.scheme: unsupported RSA scheme " +
                 alg_hex(a.scheme));
  }
  DPS_TPM_TRY(bits, r.u16("TPMT_PUBLIC.parameters.keyBits"));
  if (*bits != kRsaKeyBits) {
    return bad("TPMT_PUBLIC.parameters.keyBits: " + std::to_string(*bits) +
               " unsupported (expected 2048)");
  }
  a.rsa_key_bits = *bits;
  DPS_TPM_TRY(exponent, r.u32("TPMT_PUBLIC.parameters.exponent"));
  if (*exponent != 0 && (*exponent < 3 || *exponent % 2 == 0)) {
    return bad("TPMT_PUBLIC.parameters.exponent: " + std::to_string(*exponent) +
               " is not a valid RSA exponent");
  }
  a.rsa_exponent = *exponent;
  DPS_TPM_TRY(modulus, r.sized(kMaxRsaKeyBytes, "TPMT_PUBLIC.unique.rsa"));
  if (modulus->size() != kRsaKeyBits / 8 || ((*modulus)[0] & 0x80) == 0) {
    return bad("TPMT_PUBLIC.unique.rsa: modulus of " + std::to_string(modulus->size()) +
               " bytes is not a 2048-bit key (a template, not a created key?)");
  }
  a.rsa_modulus = std::move(*modulus);
  return {};
}

// TPMS_ECC_PARMS (§12.2.3.6) minus symmetric, and TPMS_ECC_POINT.
Result<void> read_ecc(Reader& r, PublicArea& a) {
  DPS_TPM_TRY(scheme, r.u16("TPMT_PUBLIC.parameters.scheme.scheme"));
  a.scheme = *scheme;
  switch (a.scheme) {
    case kAlgNull:
      break;
    case kAlgEcdsa:
    case kAlgEcdh: {
      DPS_TPM_TRY(h, read_scheme_hash(r));
      a.scheme_hash = *h;
      break;
    }
    default:
      return bad("TPMT_PUBLIC.parameters.scheme.scheme: unsupported ECC scheme " +
                 alg_hex(a.scheme));
  }
  DPS_TPM_TRY(curve, r.u16("TPMT_PUBLIC.parameters.curveID"));
  if (*curve != kEccNistP256) {
    return bad("TPMT_PUBLIC.parameters.curveID: " + alg_hex(*curve) +
               " unsupported (expected NIST P-256 0x0003)");
  }
  a.ecc_curve = *curve;
  DPS_TPM_TRY(kdf, r.u16("TPMT_PUBLIC.parameters.kdf.scheme"));
  a.ecc_kdf = *kdf;
  if (*kdf == kAlgKdf1Sp800_56a || *kdf == kAlgKdf2 || *kdf == kAlgKdf1Sp800_108) {
    DPS_TPM_TRY(h, r.u16("TPMT_PUBLIC.parameters.kdf.details.hashAlg"));
    DPS_TPM_CHECK(digest_of(*h, "TPMT_PUBLIC.parameters.kdf.details.hashAlg"));
    a.ecc_kdf_hash = *h;
  } else if (*kdf != kAlgNull) {
    return bad("TPMT_PUBLIC.parameters.kdf.scheme: unsupported " + alg_hex(*kdf));
  }
  DPS_TPM_TRY(x, r.sized(kMaxEccKeyBytes, "TPMT_PUBLIC.unique.ecc.x"));
  DPS_TPM_TRY(y, r.sized(kMaxEccKeyBytes, "TPMT_PUBLIC.unique.ecc.y"));
  if (x->size() != kP256CoordinateSize || y->size() != kP256CoordinateSize) {
    return bad("TPMT_PUBLIC.unique.ecc: coordinates of " + std::to_string(x->size()) + " and " +
               std::to_string(y->size()) + " bytes are not a P-256 point (expected 32 each)");
  }
  a.ecc_x = std::move(*x);
  a.ecc_y = std::move(*y);
  return {};
}

}  // namespace

bool PublicArea::fixed_tpm() const { return (attributes & kAttrFixedTpm) != 0; }
bool PublicArea::fixed_parent() const { return (attributes & kAttrFixedParent) != 0; }
bool PublicArea::sensitive_data_origin() const {
  return (attributes & kAttrSensitiveDataOrigin) != 0;
}
bool PublicArea::restricted() const { return (attributes & kAttrRestricted) != 0; }
bool PublicArea::sign() const { return (attributes & kAttrSign) != 0; }
bool PublicArea::decrypt() const { return (attributes & kAttrDecrypt) != 0; }

Bytes PublicArea::name() const {
  Writer w;
  w.u16(name_alg).bytes(hash(name_alg, bytes));
  return w.take();
}

Result<PublicArea> parse_tpmt_public(ByteView data) {
  Reader r(data);
  PublicArea a;
  DPS_TPM_TRY(type, r.u16("TPMT_PUBLIC.type"));
  if (*type != kAlgRsa && *type != kAlgEcc) {
    return fail(ErrorCode::BadRequest, "TPMT_PUBLIC.type: unsupported key type " + alg_hex(*type) +
                                           " (expected RSA 0x0001 or ECC 0x0023)");
  }
  a.type = *type;
  DPS_TPM_TRY(name_alg, r.u16("TPMT_PUBLIC.nameAlg"));
  DPS_TPM_CHECK(digest_of(*name_alg, "TPMT_PUBLIC.nameAlg"));
  a.name_alg = *name_alg;
  DPS_TPM_TRY(attributes, r.u32("TPMT_PUBLIC.objectAttributes"));
  if ((*attributes & kAttrReservedMask) != 0) {
    return fail(ErrorCode::BadRequest,
                "TPMT_PUBLIC.objectAttributes: reserved bits " +
                    to_hex(Writer().u32(*attributes & kAttrReservedMask).data()) + " set");
  }
  a.attributes = *attributes;
  DPS_TPM_TRY(policy, r.sized(kMaxDigestSize, "TPMT_PUBLIC.authPolicy"));
  // The TPM accepts an empty policy or one digest of nameAlg (TPM_RC_SIZE otherwise).
  if (!policy->empty() && policy->size() != digest_size(a.name_alg)) {
    return fail(ErrorCode::BadRequest, "TPMT_PUBLIC.authPolicy: " + std::to_string(policy->size()) +
                                           " bytes is neither empty nor a nameAlg digest");
  }
  a.auth_policy = std::move(*policy);
  DPS_TPM_TRY(symmetric, read_symmetric(r));
  a.symmetric = *symmetric;
  DPS_TPM_CHECK(a.type == kAlgRsa ? read_rsa(r, a) : read_ecc(r, a));
  DPS_TPM_CHECK(r.expect_end("TPMT_PUBLIC"));
  a.bytes.assign(data.begin(), data.end());
  return a;
}

Result<PublicArea> parse_tpm2b_public(ByteView data) {
  Reader r(data);
  DPS_TPM_TRY(size, r.u16("TPM2B_PUBLIC.size"));
  if (*size == 0) return fail(ErrorCode::BadRequest, "TPM2B_PUBLIC.size: empty public area");
  if (*size > kMaxPublicSize) {
    return fail(ErrorCode::BadRequest, "TPM2B_PUBLIC.size: " + std::to_string(*size) +
                                           " above the maximum " + std::to_string(kMaxPublicSize));
  }
  DPS_TPM_TRY(body, r.bytes(*size, "TPM2B_PUBLIC.publicArea"));
  DPS_TPM_CHECK(r.expect_end("TPM2B_PUBLIC"));
  return parse_tpmt_public(*body);
}

Bytes encode_tpmt_public(const PublicArea& a) {
  Writer w;
  w.u16(a.type).u16(a.name_alg).u32(a.attributes).sized(a.auth_policy);
  w.u16(a.symmetric.algorithm);
  if (a.symmetric.algorithm != kAlgNull) w.u16(a.symmetric.key_bits).u16(a.symmetric.mode);
  w.u16(a.scheme);
  if (a.scheme != kAlgNull && a.scheme != kAlgRsaes) w.u16(a.scheme_hash);
  if (a.type == kAlgRsa) {
    w.u16(a.rsa_key_bits).u32(a.rsa_exponent).sized(a.rsa_modulus);
  } else {
    w.u16(a.ecc_curve).u16(a.ecc_kdf);
    if (a.ecc_kdf != kAlgNull) w.u16(a.ecc_kdf_hash);
    w.sized(a.ecc_x).sized(a.ecc_y);
  }
  return w.take();
}

Bytes wrap_tpm2b_public(ByteView tpmt_public) { return Writer().sized(tpmt_public).take(); }

Result<void> check_attestation_key(const PublicArea& a) {
  const auto wrong = [](const char* what) {
    return fail(ErrorCode::Forbidden, std::string("AK: ") + what +
                                          " (an attestation key must be a restricted signing "
                                          "key that cannot leave its TPM)");
  };
  if (!a.restricted()) return wrong("restricted is not set");
  if (!a.sign()) return wrong("sign is not set");
  if (a.decrypt()) return wrong("decrypt is set");
  if (!a.fixed_tpm()) return wrong("fixedTPM is not set");
  if (!a.fixed_parent()) return wrong("fixedParent is not set");
  if (!a.sensitive_data_origin()) return wrong("sensitiveDataOrigin is not set");
  return {};
}

}  // namespace dps::tpm
