// TPM2_MakeCredential in software (TPM 2.0 Part 1 §24 "Credential Protection", Part 3 §12.6):
// dps wraps a short secret so that only the TPM holding `ek` can unwrap it, and only for an
// object (the AK) whose Name is `object_name` and which is loaded in that same TPM
// (TPM2_ActivateCredential checks both). activate_credential is the TPM's side in software, for
// tests and the benchmark's software-TPM mode; dps never uses it on a device's behalf.
#pragma once

#include <openssl/evp.h>

#include "common/result.hpp"
#include "tpm/marshal.hpp"
#include "tpm/public_area.hpp"

namespace dps::tpm {

/// The two outputs of TPM2_MakeCredential, each marshalled with its UINT16 size, as
/// TPM2_ActivateCredential takes them.
struct MadeCredential {
  Bytes id_object;         ///< TPM2B_ID_OBJECT credentialBlob: integrityHMAC || encIdentity
  Bytes encrypted_secret;  ///< TPM2B_ENCRYPTED_SECRET secret: the seed, encrypted to the EK
};

/// Wraps `credential` for the object named `object_name` under `ek`.
/// @param ek an RSA 2048 or ECC P-256 storage key: restricted, decrypt, AES-CFB symmetric (the
///        TCG EK templates); its symmetric key size gives the credential's AES key size.
/// @param object_name a TPM Name (hash alg || digest), e.g. PublicArea::name() of the AK.
/// @param credential 1 to digest-size(ek.nameAlg) bytes (the TPM refuses more: TPM_RC_SIZE).
/// @return BadRequest naming the argument that is unfit; Internal on an OpenSSL failure.
/// Thread-safe (uses OpenSSL's thread-safe DRBG).
[[nodiscard]] Result<MadeCredential> make_credential(const PublicArea& ek, ByteView object_name,
                                                     ByteView credential);

/// What TPM2_ActivateCredential does: recovers the seed with `ek_private`, checks the integrity
/// HMAC over encIdentity || object_name (before decrypting anything), decrypts the credential.
/// @param id_object marshalled TPM2B_ID_OBJECT; @param encrypted_secret marshalled
///        TPM2B_ENCRYPTED_SECRET (as in MadeCredential).
/// @return the credential; BadRequest for malformed input ("TPM2B_ID_OBJECT.size: truncated"),
///         Forbidden when the HMAC does not match (wrong EK, wrong object name, altered blob).
[[nodiscard]] Result<Bytes> activate_credential(EVP_PKEY* ek_private, const PublicArea& ek,
                                                ByteView object_name, ByteView id_object,
                                                ByteView encrypted_secret);

/// Checks that `name` is a Name dps accepts: a supported hash algorithm followed by a digest of
/// its size. `field` prefixes the error.
[[nodiscard]] Result<void> check_name(ByteView name, const std::string& field);

}  // namespace dps::tpm
