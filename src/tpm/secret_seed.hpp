// The seed of a credential, shared with the TPM that holds an EK (TPM 2.0 Part 1 §24.4, and
// Annex B.10.3 (RSA) / C.6.4 (ECC) "Secret Sharing"): RSA-OAEP encryption under the EK with the
// label "IDENTITY", or an ephemeral ECDH with the EK and KDFe. Internal to src/tpm: credential.hpp
// is the interface.
#pragma once

#include <openssl/evp.h>

#include "common/result.hpp"
#include "tpm/marshal.hpp"
#include "tpm/public_area.hpp"

namespace dps::tpm {

struct SharedSeed {
  Bytes seed;       // digest size of the EK's nameAlg
  Bytes encrypted;  // content of the TPM2B_ENCRYPTED_SECRET (no size prefix)
};

/// A fresh random seed and its encryption to `ek` (whose OpenSSL key is `ek_key`).
[[nodiscard]] Result<SharedSeed> share_seed(const PublicArea& ek, EVP_PKEY* ek_key);
/// The seed from the content of a TPM2B_ENCRYPTED_SECRET, with the EK's private key.
[[nodiscard]] Result<Bytes> recover_seed(const PublicArea& ek, EVP_PKEY* ek_private,
                                         ByteView encrypted);

}  // namespace dps::tpm
