// TPM2B_PUBLIC / TPMT_PUBLIC (TPM 2.0 Part 2 §12.2.4-5): the public area of a TPM key as a device
// sends it (its endorsement key, its attestation key). Parsed strictly: RSA 2048 or ECC NIST P-256
// keys with a SHA-256 (or SHA-384) nameAlg, the fields a created key has (unique filled in), no
// reserved attribute bits, no trailing bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/result.hpp"
#include "tpm/marshal.hpp"

namespace dps::tpm {

/// TPMT_SYM_DEF_OBJECT: TPM_ALG_NULL (algorithm == kAlgNull) or AES-{128,192,256}-CFB.
struct SymmetricDef {
  std::uint16_t algorithm = 0;
  std::uint16_t key_bits = 0;  // 0 when algorithm is NULL
  std::uint16_t mode = 0;      // 0 when algorithm is NULL
};

/// A parsed TPMT_PUBLIC. `bytes` is the exact TPMT_PUBLIC as received: the Name is computed from
/// it, never from a re-encoding.
struct PublicArea {
  std::uint16_t type = 0;      // kAlgRsa or kAlgEcc
  std::uint16_t name_alg = 0;  // kAlgSha256 or kAlgSha384
  std::uint32_t attributes = 0;
  Bytes auth_policy;
  SymmetricDef symmetric;
  std::uint16_t scheme = 0;       // kAlgNull or the signing/decryption scheme
  std::uint16_t scheme_hash = 0;  // its hash, 0 for NULL / RSAES
  // RSA
  std::uint16_t rsa_key_bits = 0;
  std::uint32_t rsa_exponent = 0;  // as sent; 0 means 65537
  Bytes rsa_modulus;
  // ECC
  std::uint16_t ecc_curve = 0;
  std::uint16_t ecc_kdf = 0;       // kAlgNull or a KDF scheme
  std::uint16_t ecc_kdf_hash = 0;  // its hash, 0 for NULL
  Bytes ecc_x;
  Bytes ecc_y;

  Bytes bytes;  // the TPMT_PUBLIC this was parsed from

  bool fixed_tpm() const;
  bool fixed_parent() const;
  bool sensitive_data_origin() const;
  bool restricted() const;
  bool sign() const;
  bool decrypt() const;

  /// The object's Name: nameAlg (UINT16) || H_nameAlg(TPMT_PUBLIC) (Part 1 §16).
  Bytes name() const;
};

/// Parses a TPM2B_PUBLIC (UINT16 size, then a TPMT_PUBLIC of exactly that size, then nothing).
/// @return BadRequest naming the field ("TPMT_PUBLIC.parameters.keyBits: 1024 unsupported ...").
[[nodiscard]] Result<PublicArea> parse_tpm2b_public(ByteView data);
/// Parses a bare TPMT_PUBLIC that must span all of `data`.
[[nodiscard]] Result<PublicArea> parse_tpmt_public(ByteView data);

/// Marshals a TPMT_PUBLIC from the fields of `area` (ignoring area.bytes); for the software keys
/// of tests and the benchmark. parse_tpmt_public(encode_tpmt_public(a)) gives back `a`'s fields.
Bytes encode_tpmt_public(const PublicArea& area);
/// TPM2B_PUBLIC wrapping `tpmt_public`.
Bytes wrap_tpm2b_public(ByteView tpmt_public);

/// Checks that `area` is an attestation key: a restricted signing key that never leaves its TPM
/// (restricted, sign, fixedTPM, fixedParent, sensitiveDataOrigin set; decrypt clear).
/// @return Forbidden naming the first attribute that is wrong ("AK: fixedTPM is not set").
[[nodiscard]] Result<void> check_attestation_key(const PublicArea& area);

}  // namespace dps::tpm
