// TPMT_SIGNATURE (TPM 2.0 Part 2 §11.3.4) and its verification over attestation data with an
// AK's public key; plus the software AK that signs TPM2_Certify-shaped attestations for tests and
// dps-bench's software-TPM mode.
#pragma once

#include <openssl/evp.h>

#include <cstdint>

#include "common/result.hpp"
#include "tpm/attest.hpp"
#include "tpm/marshal.hpp"
#include "tpm/public_area.hpp"

namespace dps::tpm {

/// A parsed TPMT_SIGNATURE: RSASSA or RSAPSS (signature = `rsa`) or ECDSA (`ecc_r`, `ecc_s`),
/// always with SHA-256.
struct Signature {
  std::uint16_t sig_alg = 0;   // kAlgRsassa, kAlgRsapss or kAlgEcdsa
  std::uint16_t hash_alg = 0;  // kAlgSha256
  Bytes rsa;
  Bytes ecc_r;
  Bytes ecc_s;
};

/// Parses a TPMT_SIGNATURE spanning all of `data`. BadRequest naming the field for unknown
/// algorithms, a hash other than SHA-256, oversized or truncated parts, trailing bytes.
[[nodiscard]] Result<Signature> parse_signature(ByteView data);
Bytes encode_signature(const Signature& signature);

/// Verifies `signature` over `signed_data` (the TPMS_ATTEST bytes) with `key`, the AK's public
/// key (to_evp_pkey of its PublicArea). The key type must match the algorithm.
/// @return Forbidden when the signature does not verify; BadRequest for a mismatched key type.
[[nodiscard]] Result<void> verify_signature(EVP_PKEY* key, ByteView signed_data,
                                            const Signature& signature);

/// The output of a software TPM2_Certify.
struct SignedAttest {
  Bytes attest;     ///< TPMS_ATTEST bytes
  Bytes signature;  ///< TPMT_SIGNATURE
};

/// What TPM2_Certify would return for `certified` signed by the AK `ak_private` (whose public
/// area is `ak`), qualifyingData `nonce` (≤ 50 bytes): RSASSA-SHA256 or ECDSA-SHA256. For tests and
/// the benchmark; qualifiedName fields are the plain names (no hierarchy in software).
[[nodiscard]] Result<SignedAttest> certify_in_software(EVP_PKEY* ak_private, const PublicArea& ak,
                                                       const PublicArea& certified, ByteView nonce);

}  // namespace dps::tpm
