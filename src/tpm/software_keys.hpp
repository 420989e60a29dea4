// Public areas of TPM-like keys made from OpenSSL keys, for the tests and for dps-bench's
// software-TPM mode (no swtpm): an EK with the TCG EK Credential Profile template and an AK as
// tpm2_createak makes it. Not used by dps on a device's behalf.
#pragma once

#include <openssl/evp.h>

#include "common/result.hpp"
#include "tpm/public_area.hpp"

namespace dps::tpm {

/// An EK public area for `key` (RSA 2048 or EC P-256): TCG EK Credential Profile 2.0 templates
/// L-1 / L-2 (fixedTPM, fixedParent, sensitiveDataOrigin, adminWithPolicy, restricted, decrypt;
/// the PolicySecret(TPM_RH_ENDORSEMENT) authPolicy; AES-128-CFB; SHA-256 nameAlg).
/// @return the parsed area with `bytes` set (wrap_tpm2b_public(area.bytes) is the TPM2B_PUBLIC).
[[nodiscard]] Result<PublicArea> make_ek_public(EVP_PKEY* key);

/// An AK public area for `key`: restricted signing key (fixedTPM, fixedParent,
/// sensitiveDataOrigin, userWithAuth, restricted, sign), SHA-256 nameAlg, RSASSA-SHA256 (RSA)
/// or ECDSA-SHA256 (P-256). `attributes` overrides the attributes (tests of refused AKs).
[[nodiscard]] Result<PublicArea> make_ak_public(EVP_PKEY* key);
[[nodiscard]] Result<PublicArea> make_ak_public(EVP_PKEY* key, std::uint32_t attributes);

/// The default attributes of make_ak_public.
std::uint32_t default_ak_attributes();

}  // namespace dps::tpm
