// A TPM public area as an OpenSSL key, and the key hash dps indexes devices by: the lowercase
// hex SHA-256 of the DER SubjectPublicKeyInfo, the same value pki computes for certificate
// devices, so an EK enrolled as TPM2B_PUBLIC or as PEM has one hash.
#pragma once

#include <openssl/evp.h>

#include <string>
#include <string_view>
#include <utility>

#include "common/result.hpp"
#include "tpm/marshal.hpp"
#include "tpm/ossl_ptr.hpp"
#include "tpm/public_area.hpp"

namespace dps::tpm {

/// The public key of `area`: RSA (n = unique, e = exponent or 65537) or EC P-256 (x, y).
/// @return BadRequest when the point is not on the curve; Internal on an OpenSSL failure.
[[nodiscard]] Result<PkeyPtr> to_evp_pkey(const PublicArea& area);
/// The P-256 public key (x, y) (32 bytes each); BadRequest naming `field` when it is not a point
/// of the curve.
[[nodiscard]] Result<PkeyPtr> p256_public_key(ByteView x, ByteView y, std::string_view field);
/// x and y (32 bytes each) of a P-256 key; BadRequest for another key type.
[[nodiscard]] Result<std::pair<Bytes, Bytes>> p256_coordinates(EVP_PKEY* key);
/// DER SubjectPublicKeyInfo of `key`.
[[nodiscard]] Result<Bytes> spki_der(EVP_PKEY* key);
/// Lowercase hex SHA-256 of spki_der(key).
[[nodiscard]] Result<std::string> spki_sha256_hex(EVP_PKEY* key);
/// spki_sha256_hex of the key of `area`.
[[nodiscard]] Result<std::string> key_hash(const PublicArea& area);
/// The key hash of a PEM "PUBLIC KEY" (SPKI) block, for an EK enrolled by PEM. Refuses other
/// key types than RSA 2048 and EC P-256, and anything after the block.
[[nodiscard]] Result<std::string> key_hash_of_pem(std::string_view pem);

}  // namespace dps::tpm
