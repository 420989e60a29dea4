// How dps's TPM attestation (docs/device-protocol.md §5) ties a device's answers to the one
// challenge it answers: both sides derive these from the secret the credential carried, so the
// device side (src/device) and dps (src/provisioning) share them here.
#pragma once

#include <string_view>

#include "tpm/marshal.hpp"

namespace dps::tpm {

/// qualifyingData for TPM2_Certify: SHA-256("dps tpm certify" || secret). From the secret, so a
/// certification made before the challenge, or for another one, does not fit.
Bytes certify_nonce(ByteView secret);

/// HMAC-SHA256 keyed by the secret over "dps tpm activation" || the CSR's PEM text: the device
/// recovered this challenge's secret (with ActivateCredential) and binds it to this CSR.
Bytes activation_proof(ByteView secret, std::string_view csr_pem);

}  // namespace dps::tpm
