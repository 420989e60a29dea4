#include "tpm/credential.hpp"

#include <openssl/crypto.h>

#include "tpm/constants.hpp"
#include "tpm/hash_alg.hpp"
#include "tpm/kdf.hpp"
#include "tpm/ossl_ptr.hpp"
#include "tpm/public_key.hpp"
#include "tpm/secret_seed.hpp"
#include "tpm/try.hpp"

namespace dps::tpm {

namespace {

// KDFa labels of Part 1 §24.4 (symmetric key) and §24.5 (HMAC key).
constexpr char kStorageLabel[] = "STORAGE";
constexpr char kIntegrityLabel[] = "INTEGRITY";

// The EK must be a TPM storage key, the only kind TPM2_ActivateCredential accepts as keyHandle.
Result<void> check_storage_key(const PublicArea& ek) {
  if (!ek.restricted() || !ek.decrypt()) {
    return fail(ErrorCode::BadRequest, "EK: not a restricted decryption (storage) key");
  }
  if (ek.symmetric.algorithm != kAlgAes) {
    return fail(ErrorCode::BadRequest, "EK: symmetric algorithm is not AES-CFB");
  }
  return {};
}

const EVP_CIPHER* aes_cfb(std::uint16_t key_bits) {
  switch (key_bits) {
    case 128:
      return EVP_aes_128_cfb128();
    case 192:
      return EVP_aes_192_cfb128();
    default:
      return EVP_aes_256_cfb128();
  }
}

// AES-CFB with a zero IV (Part 1 §24.4: the key is used once, so the IV may be fixed).
Result<Bytes> aes_cfb_zero_iv(std::uint16_t key_bits, ByteView key, ByteView in, bool encrypt) {
  const CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  const std::uint8_t iv[16] = {};
  Bytes out(in.size() + 16);
  int size = 0;
  int final_size = 0;
  if (!ctx ||
      EVP_CipherInit_ex(ctx.get(), aes_cfb(key_bits), nullptr, key.data(), iv, encrypt ? 1 : 0) !=
          1 ||
      EVP_CipherUpdate(ctx.get(), out.data(), &size, in.data(), static_cast<int>(in.size())) != 1 ||
      EVP_CipherFinal_ex(ctx.get(), out.data() + size, &final_size) != 1) {
    return fail(ErrorCode::Internal, "AES-CFB failed");
  }
  out.resize(static_cast<std::size_t>(size + final_size));
  return out;
}

struct CredentialKeys {
  Bytes sym_key;
  Bytes hmac_key;
};

Result<CredentialKeys> derive_keys(const PublicArea& ek, ByteView seed, ByteView object_name) {
  DPS_TPM_TRY(sym, kdfa(ek.name_alg, seed, kStorageLabel, object_name, {}, ek.symmetric.key_bits));
  DPS_TPM_TRY(mac, kdfa(ek.name_alg, seed, kIntegrityLabel, {}, {}, digest_size(ek.name_alg) * 8));
  return CredentialKeys{std::move(*sym), std::move(*mac)};
}

Bytes outer_hmac(const PublicArea& ek, ByteView hmac_key, ByteView enc_identity,
                 ByteView object_name) {
  Writer covered;
  covered.bytes(enc_identity).bytes(object_name);
  return hmac(ek.name_alg, hmac_key, covered.data());
}

}  // namespace

Result<void> check_name(ByteView name, const std::string& field) {
  Reader r(name);
  DPS_TPM_TRY(alg, r.u16(field + ".hashAlg"));
  DPS_TPM_CHECK(digest_of(*alg, field + ".hashAlg"));
  if (r.remaining() != digest_size(*alg)) {
    return fail(ErrorCode::BadRequest, field + ": digest of " + std::to_string(r.remaining()) +
                                           " bytes, expected " + std::to_string(digest_size(*alg)));
  }
  return {};
}

Result<MadeCredential> make_credential(const PublicArea& ek, ByteView object_name,
                                       ByteView credential) {
  DPS_TPM_CHECK(check_storage_key(ek));
  DPS_TPM_CHECK(check_name(object_name, "objectName"));
  if (credential.empty() || credential.size() > digest_size(ek.name_alg)) {
    return fail(ErrorCode::BadRequest, "credential: " + std::to_string(credential.size()) +
                                           " bytes; must be 1 to " +
                                           std::to_string(digest_size(ek.name_alg)));
  }
  DPS_TPM_TRY(ek_key, to_evp_pkey(ek));
  DPS_TPM_TRY(shared, share_seed(ek, ek_key->get()));
  DPS_TPM_TRY(keys, derive_keys(ek, shared->seed, object_name));
  OPENSSL_cleanse(shared->seed.data(), shared->seed.size());

  Writer plain;
  plain.sized(credential);  // TPM2B_DIGEST credential
  DPS_TPM_TRY(enc_identity,
              aes_cfb_zero_iv(ek.symmetric.key_bits, keys->sym_key, plain.data(), true));
  const Bytes integrity = outer_hmac(ek, keys->hmac_key, *enc_identity, object_name);
  if (integrity.empty()) return fail(ErrorCode::Internal, "HMAC failed");

  Writer blob;
  blob.sized(integrity).bytes(*enc_identity);
  return MadeCredential{Writer().sized(blob.data()).take(),
                        Writer().sized(shared->encrypted).take()};
}

Result<Bytes> activate_credential(EVP_PKEY* ek_private, const PublicArea& ek, ByteView object_name,
                                  ByteView id_object, ByteView encrypted_secret) {
  DPS_TPM_CHECK(check_storage_key(ek));
  DPS_TPM_CHECK(check_name(object_name, "objectName"));
  const std::size_t digest = digest_size(ek.name_alg);

  Reader blob_reader(id_object);
  DPS_TPM_TRY(blob, blob_reader.sized(kMaxIdObjectSize, "TPM2B_ID_OBJECT"));
  DPS_TPM_CHECK(blob_reader.expect_end("TPM2B_ID_OBJECT"));
  Reader inner(*blob);
  DPS_TPM_TRY(integrity, inner.sized(kMaxDigestSize, "TPM2B_ID_OBJECT.integrityHMAC"));
  if (integrity->size() != digest) {
    return fail(ErrorCode::BadRequest,
                "TPM2B_ID_OBJECT.integrityHMAC: " + std::to_string(integrity->size()) +
                    " bytes, expected the EK nameAlg's " + std::to_string(digest));
  }
  if (inner.remaining() < 2 || inner.remaining() > 2 + digest) {
    return fail(ErrorCode::BadRequest,
                "TPM2B_ID_OBJECT.encIdentity: " + std::to_string(inner.remaining()) +
                    " bytes; must be 2 to " + std::to_string(2 + digest));
  }
  DPS_TPM_TRY(enc_identity, inner.bytes(inner.remaining(), "TPM2B_ID_OBJECT.encIdentity"));

  Reader secret_reader(encrypted_secret);
  DPS_TPM_TRY(secret, secret_reader.sized(kMaxEncryptedSecretSize, "TPM2B_ENCRYPTED_SECRET"));
  DPS_TPM_CHECK(secret_reader.expect_end("TPM2B_ENCRYPTED_SECRET"));

  DPS_TPM_TRY(seed, recover_seed(ek, ek_private, *secret));
  DPS_TPM_TRY(keys, derive_keys(ek, *seed, object_name));
  OPENSSL_cleanse(seed->data(), seed->size());
  // Integrity first, in constant time: nothing is decrypted from a blob that was altered or made
  // for another object (Part 1 §24.5; TPM_RC_INTEGRITY).
  const Bytes expected = outer_hmac(ek, keys->hmac_key, *enc_identity, object_name);
  if (expected.size() != integrity->size() ||
      CRYPTO_memcmp(expected.data(), integrity->data(), expected.size()) != 0) {
    return fail(ErrorCode::Forbidden,
                "TPM2B_ID_OBJECT.integrityHMAC: mismatch (made for another EK or object name, or "
                "altered)");
  }
  DPS_TPM_TRY(plain, aes_cfb_zero_iv(ek.symmetric.key_bits, keys->sym_key, *enc_identity, false));
  Reader credential_reader(*plain);
  DPS_TPM_TRY(credential, credential_reader.sized(digest, "encIdentity.credential"));
  DPS_TPM_CHECK(credential_reader.expect_end("encIdentity.credential"));
  return std::move(*credential);
}

}  // namespace dps::tpm
