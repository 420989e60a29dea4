// The public-area templates TpmDevice creates its keys from. The EK templates are the TCG EK
// Credential Profile 2.0 "low range" ones (L-1 RSA 2048, L-2 ECC P-256), which tpm2_createek
// uses too: the same seed and template give the same EK, so the public area an operator enrolled
// with tpm2-tools is the one this device presents. The others match dps::tpm's software keys
// (tpm/software_keys.hpp) and what dps's checks require (docs/device-protocol.md §5).
#pragma once

#include <tss2/tss2_tpm2_types.h>

namespace dps::tss {

enum class EkKind { Rsa2048, P256 };

/// TCG EK template L-1 / L-2: fixedTPM, fixedParent, sensitiveDataOrigin, adminWithPolicy,
/// restricted, decrypt; authPolicy PolicySecret(TPM_RH_ENDORSEMENT); AES-128-CFB; zero unique.
TPM2B_PUBLIC ek_template(EkKind kind);

/// An attestation key as tpm2_createak makes it: ECC P-256, ECDSA-SHA256, fixedTPM, fixedParent,
/// sensitiveDataOrigin, userWithAuth, restricted, sign.
TPM2B_PUBLIC ak_template();

/// A storage primary in the owner hierarchy (an SRK): ECC P-256, restricted decrypt, AES-128-CFB.
TPM2B_PUBLIC storage_key_template();

/// The device's identity key: ECC P-256, ECDSA-SHA256, fixedTPM, fixedParent,
/// sensitiveDataOrigin, userWithAuth, sign; not restricted (it signs TLS handshakes and its CSR,
/// which the TPM did not produce), not decrypt.
TPM2B_PUBLIC identity_key_template();

}  // namespace dps::tss
