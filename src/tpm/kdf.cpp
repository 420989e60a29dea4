#include "tpm/kdf.hpp"

#include "tpm/hash_alg.hpp"
#include "tpm/try.hpp"

namespace dps::tpm {

namespace {

// Bounded far above what dps derives (a 256-bit AES key or a 384-bit HMAC key): the counter and
// the [bits]32 field can then never overflow.
constexpr std::size_t kMaxKdfBits = 8 * 1024;

Result<void> check_bits(std::size_t bits) {
  if (bits == 0 || bits % 8 != 0 || bits > kMaxKdfBits) {
    return fail(ErrorCode::BadRequest,
                "KDF: output length " + std::to_string(bits) + " bits unsupported");
  }
  return {};
}

}  // namespace

Result<Bytes> kdfa(std::uint16_t hash_alg, ByteView key, std::string_view label, ByteView context_u,
                   ByteView context_v, std::size_t bits) {
  DPS_TPM_CHECK(digest_of(hash_alg, "KDFa hash"));
  DPS_TPM_CHECK(check_bits(bits));
  Bytes out;
  for (std::uint32_t counter = 1; out.size() < bits / 8; ++counter) {
    Writer input;
    input.u32(counter).bytes(as_bytes(label)).u8(0).bytes(context_u).bytes(context_v);
    input.u32(static_cast<std::uint32_t>(bits));
    const Bytes block = hmac(hash_alg, key, input.data());
    if (block.empty()) return fail(ErrorCode::Internal, "KDFa: HMAC failed");
    out.insert(out.end(), block.begin(), block.end());
  }
  out.resize(bits / 8);
  return out;
}

Result<Bytes> kdfe(std::uint16_t hash_alg, ByteView z, std::string_view label, ByteView party_u,
                   ByteView party_v, std::size_t bits) {
  DPS_TPM_CHECK(digest_of(hash_alg, "KDFe hash"));
  DPS_TPM_CHECK(check_bits(bits));
  Bytes out;
  for (std::uint32_t counter = 1; out.size() < bits / 8; ++counter) {
    Writer input;
    input.u32(counter).bytes(z).bytes(as_bytes(label)).u8(0).bytes(party_u).bytes(party_v);
    const Bytes block = hash(hash_alg, input.data());
    if (block.empty()) return fail(ErrorCode::Internal, "KDFe: hash failed");
    out.insert(out.end(), block.begin(), block.end());
  }
  out.resize(bits / 8);
  return out;
}

}  // namespace dps::tpm
