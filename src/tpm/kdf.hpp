// The TPM's key derivation functions (TPM 2.0 Part 1 §11.4.10). Labels are given without their
// terminating zero; the functions add it, as the TPM does ("IDENTITY" is hashed as "IDENTITY\0").
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/result.hpp"
#include "tpm/marshal.hpp"

namespace dps::tpm {

/// KDFa (Part 1 §11.4.10.2): SP 800-108 counter mode with HMAC-`hash_alg`:
/// K(i) = HMAC(key, [i]32 || label || 0x00 || context_u || context_v || [bits]32).
/// @param bits output length in bits; a positive multiple of 8.
/// @return bits/8 bytes; BadRequest for an unsupported hash or a bad length.
[[nodiscard]] Result<Bytes> kdfa(std::uint16_t hash_alg, ByteView key, std::string_view label,
                                 ByteView context_u, ByteView context_v, std::size_t bits);

/// KDFe (Part 1 §11.4.10.3): SP 800-56A concatenation KDF with `hash_alg`:
/// K(i) = H([i]32 || z || label || 0x00 || party_u || party_v).
/// @param z the shared secret (the x coordinate of the ECDH point)
/// @param bits output length in bits; a positive multiple of 8.
[[nodiscard]] Result<Bytes> kdfe(std::uint16_t hash_alg, ByteView z, std::string_view label,
                                 ByteView party_u, ByteView party_v, std::size_t bits);

}  // namespace dps::tpm
