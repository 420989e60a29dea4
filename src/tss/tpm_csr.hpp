// A certificate signing request whose signature the TPM makes: the key never leaves the TPM, so
// OpenSSL builds the request body and TPM2_Sign signs its SHA-256 digest.
#pragma once

#include <tss2/tss2_esys.h>

#include <string>
#include <string_view>

#include "common/result.hpp"

namespace dps::tss {

/// The PEM CSR with subject CN=uuid:<device_id> for the loaded ECC P-256 signing key `key`
/// (public point `point`), signed ECDSA-SHA256 by TPM2_Sign with that key.
[[nodiscard]] Result<std::string> make_tpm_csr(ESYS_CONTEXT* esys, ESYS_TR key,
                                               const TPMS_ECC_POINT& point,
                                               std::string_view device_id);

}  // namespace dps::tss
