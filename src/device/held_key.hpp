// An EC key for libssl whose private half is held elsewhere (a TPM): OpenSSL gets the public half
// and a signing method that hands each digest to the holder. Used for a manufacturer key loaded
// through tpm2-openssl (key_provider.cpp) and for the identity key TPM attestation created in
// the TPM (dps-device --tpm), so libssl signs exactly one thing per handshake in the holder:
// the CertificateVerify digest. Everything else (hashing, key exchange) stays in OpenSSL.
#pragma once

#include <openssl/evp.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "common/result.hpp"

namespace dps::device {

/// Signs `digest` (the hash OpenSSL chose for the signature) and returns the DER
/// ECDSA-Sig-Value. Called on the thread running the handshake; must not throw.
using DigestSigner = std::function<Result<std::vector<uint8_t>>(std::span<const uint8_t> digest)>;

/// An EVP_PKEY with the EC public key of `public_key` whose ECDSA signing calls `signer` (which
/// it keeps alive until the key is freed). Usable as ClientTlsOptions::held_key.
/// @return BadRequest when `public_key` is not an EC key; Internal on an OpenSSL failure.
[[nodiscard]] Result<std::shared_ptr<EVP_PKEY>> make_held_ec_key(EVP_PKEY* public_key,
                                                                 DigestSigner signer);

}  // namespace dps::device
