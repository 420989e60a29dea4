// The TPM hash algorithms dps accepts as a key's nameAlg or a signature's hash, and their OpenSSL
// digests. SHA-1 is refused: a Name under SHA-1 can be forged by collision.
#pragma once

#include <openssl/evp.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "common/result.hpp"
#include "tpm/marshal.hpp"

namespace dps::tpm {

/// The OpenSSL digest of TPM_ALG_SHA256 or TPM_ALG_SHA384; BadRequest naming `field` otherwise
/// ("unsupported hash algorithm 0x0004 (SHA-1)").
Result<const EVP_MD*> digest_of(std::uint16_t hash_alg, const std::string& field);
/// Digest size in bytes of a hash accepted by digest_of (0 for others).
std::size_t digest_size(std::uint16_t hash_alg);
/// H(data) with a hash accepted by digest_of. Precondition: digest_size(hash_alg) != 0.
Bytes hash(std::uint16_t hash_alg, ByteView data);
/// HMAC(key, data) with a hash accepted by digest_of. Precondition: as hash().
Bytes hmac(std::uint16_t hash_alg, ByteView key, ByteView data);
/// "0x000b" style text for messages.
std::string alg_hex(std::uint16_t alg);

}  // namespace dps::tpm
