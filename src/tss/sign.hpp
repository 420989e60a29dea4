// TPM2_Sign with an ECDSA key the TPM holds, for what OpenSSL then carries: the identity key's
// CSR (tpm_csr.hpp) and its TLS handshakes (dps-device --tpm).
#pragma once

#include <tss2/tss2_esys.h>

#include <cstdint>
#include <span>

#include "common/result.hpp"
#include "tpm/marshal.hpp"

namespace dps::tss {

/// TPM2_Sign of the SHA-256 `digest` (32 bytes) with the loaded ECC signing key `key` (empty
/// authorization), ECDSA-SHA256, as a DER ECDSA-Sig-Value (what X.509 and TLS carry).
/// @return BadRequest for a digest of another size; Unavailable naming TPM2_Sign and its
///         response code when the TPM refuses.
[[nodiscard]] Result<tpm::Bytes> sign_digest(ESYS_CONTEXT* esys, ESYS_TR key,
                                             std::span<const std::uint8_t> digest);

}  // namespace dps::tss
