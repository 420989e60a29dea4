#include "tpm/secret_seed.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include <cstring>

#include "tpm/constants.hpp"
#include "tpm/hash_alg.hpp"
#include "tpm/kdf.hpp"
#include "tpm/ossl_ptr.hpp"
#include "tpm/public_key.hpp"
#include "tpm/try.hpp"

namespace dps::tpm {

namespace {

// The label of a credential's seed (Part 1 §24.4); the TPM includes its terminating zero.
constexpr char kIdentityLabel[] = "IDENTITY";
constexpr std::size_t kP256Bytes = 32;

// OAEP under the EK's nameAlg for both the digest and MGF1, label "IDENTITY\0" (Part 1 B.10.3).
Result<PkeyCtxPtr> oaep_context(EVP_PKEY* key, std::uint16_t name_alg, bool encrypt) {
  DPS_TPM_TRY(md, digest_of(name_alg, "EK nameAlg"));
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
  // set0 takes ownership of the label, so it must come from OPENSSL_malloc.
  void* label = OPENSSL_memdup(kIdentityLabel, sizeof kIdentityLabel);
  if (!ctx || label == nullptr ||
      (encrypt ? EVP_PKEY_encrypt_init(ctx.get()) : EVP_PKEY_decrypt_init(ctx.get())) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_OAEP_PADDING) != 1 ||
      EVP_PKEY_CTX_set_rsa_oaep_md(ctx.get(), *md) != 1 ||
      EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), *md) != 1 ||
      EVP_PKEY_CTX_set0_rsa_oaep_label(ctx.get(), label, sizeof kIdentityLabel) != 1) {
    OPENSSL_free(label);  // only reached before set0 succeeded or when it failed
    return fail(ErrorCode::Internal, "RSA-OAEP setup failed");
  }
  return ctx;
}

Result<Bytes> ecdh_x(EVP_PKEY* own_private, EVP_PKEY* peer) {
  const PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, own_private, nullptr));
  std::size_t size = 0;
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 ||
      EVP_PKEY_derive_set_peer(ctx.get(), peer) != 1 ||
      EVP_PKEY_derive(ctx.get(), nullptr, &size) != 1) {
    ERR_clear_error();
    return fail(ErrorCode::BadRequest, "ECDH with the EK failed");
  }
  Bytes z(size);
  if (EVP_PKEY_derive(ctx.get(), z.data(), &size) != 1 || size != kP256Bytes) {
    return fail(ErrorCode::BadRequest, "ECDH with the EK failed");
  }
  return z;
}

}  // namespace

Result<SharedSeed> share_seed(const PublicArea& ek, EVP_PKEY* ek_key) {
  const std::size_t seed_size = digest_size(ek.name_alg);
  if (ek.type == kAlgRsa) {
    SharedSeed out{Bytes(seed_size), {}};
    if (RAND_bytes(out.seed.data(), static_cast<int>(seed_size)) != 1) {
      return fail(ErrorCode::Internal, "RAND_bytes failed");
    }
    DPS_TPM_TRY(ctx, oaep_context(ek_key, ek.name_alg, true));
    std::size_t size = 0;
    if (EVP_PKEY_encrypt(ctx->get(), nullptr, &size, out.seed.data(), seed_size) != 1) {
      return fail(ErrorCode::Internal, "RSA-OAEP encryption failed");
    }
    out.encrypted.resize(size);
    if (EVP_PKEY_encrypt(ctx->get(), out.encrypted.data(), &size, out.seed.data(), seed_size) !=
        1) {
      return fail(ErrorCode::Internal, "RSA-OAEP encryption failed");
    }
    out.encrypted.resize(size);
    return out;
  }
  // ECC: an ephemeral key on the EK's curve; its public point is the encrypted secret.
  const PkeyPtr ephemeral(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!ephemeral) return fail(ErrorCode::Internal, "generating an ephemeral P-256 key failed");
  DPS_TPM_TRY(z, ecdh_x(ephemeral.get(), ek_key));
  DPS_TPM_TRY(point, p256_coordinates(ephemeral.get()));
  DPS_TPM_TRY(seed, kdfe(ek.name_alg, *z, kIdentityLabel, point->first, ek.ecc_x, seed_size * 8));
  OPENSSL_cleanse(z->data(), z->size());
  Writer encrypted;
  encrypted.sized(point->first).sized(point->second);  // TPMS_ECC_POINT
  return SharedSeed{std::move(*seed), encrypted.take()};
}

Result<Bytes> recover_seed(const PublicArea& ek, EVP_PKEY* ek_private, ByteView encrypted) {
  const std::size_t seed_size = digest_size(ek.name_alg);
  if (ek.type == kAlgRsa) {
    DPS_TPM_TRY(ctx, oaep_context(ek_private, ek.name_alg, false));
    Bytes seed(kMaxRsaKeyBytes);
    std::size_t size = seed.size();
    if (EVP_PKEY_decrypt(ctx->get(), seed.data(), &size, encrypted.data(), encrypted.size()) != 1) {
      ERR_clear_error();
      return fail(ErrorCode::BadRequest,
                  "TPM2B_ENCRYPTED_SECRET: RSA-OAEP decryption failed (not made for this EK)");
    }
    if (size != seed_size) {
      return fail(ErrorCode::BadRequest, "TPM2B_ENCRYPTED_SECRET: seed of " + std::to_string(size) +
                                             " bytes, expected " + std::to_string(seed_size));
    }
    seed.resize(size);
    return seed;
  }
  Reader r(encrypted);
  DPS_TPM_TRY(x, r.sized(kMaxEccKeyBytes, "TPM2B_ENCRYPTED_SECRET.point.x"));
  DPS_TPM_TRY(y, r.sized(kMaxEccKeyBytes, "TPM2B_ENCRYPTED_SECRET.point.y"));
  DPS_TPM_CHECK(r.expect_end("TPM2B_ENCRYPTED_SECRET.point"));
  DPS_TPM_TRY(ephemeral, p256_public_key(*x, *y, "TPM2B_ENCRYPTED_SECRET.point"));
  DPS_TPM_TRY(z, ecdh_x(ek_private, ephemeral->get()));
  DPS_TPM_TRY(seed, kdfe(ek.name_alg, *z, kIdentityLabel, *x, ek.ecc_x, seed_size * 8));
  OPENSSL_cleanse(z->data(), z->size());
  return std::move(*seed);
}

}  // namespace dps::tpm
