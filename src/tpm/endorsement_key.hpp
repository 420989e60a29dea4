// An endorsement key as an operator enrolls it: the TPM2B_PUBLIC that `tpm2_createek -u` writes,
// or the PEM public key that `tpm2_createek -f pem` (or a TPM vendor's EK certificate) gives.
// Either names one device by the key hash dps indexes devices by (public_key.hpp).
#pragma once

#include <string>
#include <string_view>

#include "common/result.hpp"
#include "tpm/public_area.hpp"

namespace dps::tpm {

/// Checks that `area` can be an endorsement key: a restricted decryption key of its TPM
/// (restricted, decrypt, fixedTPM, fixedParent set; sign clear) with a symmetric algorithm, which
/// MakeCredential needs to protect the credential. Forbidden naming the first attribute that is
/// wrong ("EK: sign is set").
[[nodiscard]] Result<void> check_endorsement_key(const PublicArea& area);

/// The key hash of an enrolled endorsement key: `bytes` is a PEM "PUBLIC KEY" block or a
/// TPM2B_PUBLIC (checked by check_endorsement_key). BadRequest saying what is wrong otherwise.
[[nodiscard]] Result<std::string> endorsement_key_hash(std::string_view bytes);

}  // namespace dps::tpm
