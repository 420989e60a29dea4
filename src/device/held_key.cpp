// The stand-in key of held_key.hpp. Why a stand-in rather than a provider key (OpenSSL 3.0.x,
// checked with openssl s_client against swtpm, key_provider.cpp says more): with a provider's
// key libssl exports it to the default provider for signing, which then lacks the private half;
// and preferring the provider moves the handshake's hashing into the TPM too. EC_KEY_METHOD is
// deprecated in OpenSSL 3 but is libssl 3.0's only hook for a key whose private half lives
// elsewhere. The file is compiled in a unity build, so the deprecation warnings are silenced by
// pragma around this file's code, not by a macro.
#include "device/held_key.hpp"

#include <openssl/ec.h>
#include <openssl/x509.h>

#include <algorithm>
#include <string>

#include "device/openssl_ptr.hpp"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

namespace dps::device {

namespace {

int signer_index();

// The method's sign: the digest goes to the signer kept in the EC_KEY's ex_data.
int sign_by_holder(int /*type*/, const unsigned char* digest, int digest_length,
                   unsigned char* signature, unsigned int* signature_length, const BIGNUM* /*kinv*/,
                   const BIGNUM* /*r*/, EC_KEY* stand_in) {
  *signature_length = 0;
  auto* signer = static_cast<DigestSigner*>(EC_KEY_get_ex_data(stand_in, signer_index()));
  if (signer == nullptr || digest_length < 0) return 0;
  Result<std::vector<uint8_t>> der =
      (*signer)(std::span<const uint8_t>(digest, static_cast<size_t>(digest_length)));
  // ECDSA_size is the largest DER signature of this key: the buffer libssl gave.
  if (!der || der->empty() || der->size() > static_cast<size_t>(ECDSA_size(stand_in))) return 0;
  std::copy(der->begin(), der->end(), signature);
  *signature_length = static_cast<unsigned int>(der->size());
  return 1;
}

void free_signer(void* /*parent*/, void* ptr, CRYPTO_EX_DATA* /*ad*/, int /*index*/, long /*argl*/,
                 void* /*argp*/) {
  delete static_cast<DigestSigner*>(ptr);
}

int signer_index() {
  static const int index = EC_KEY_get_ex_new_index(0, nullptr, nullptr, nullptr, free_signer);
  return index;
}

const EC_KEY_METHOD* held_method() {
  static EC_KEY_METHOD* method = [] {
    EC_KEY_METHOD* m = EC_KEY_METHOD_new(EC_KEY_OpenSSL());
    if (m != nullptr) EC_KEY_METHOD_set_sign(m, sign_by_holder, nullptr, nullptr);
    return m;
  }();
  return method;
}

}  // namespace

Result<std::shared_ptr<EVP_PKEY>> make_held_ec_key(EVP_PKEY* public_key, DigestSigner signer) {
  if (public_key == nullptr || EVP_PKEY_is_a(public_key, "EC") != 1) {
    return fail(ErrorCode::BadRequest,
                std::string("held key: the key is ") +
                    (public_key == nullptr ? "missing" : EVP_PKEY_get0_type_name(public_key)) +
                    "; only EC keys can be held (device keys are EC P-256 or P-384)");
  }
  // A legacy EC_KEY copy of the public half: the method hook exists for EC_KEYs only.
  unsigned char* der = nullptr;
  const int length = i2d_PUBKEY(public_key, &der);
  if (length <= 0) return fail(ErrorCode::Internal, "held key: cannot encode the public key");
  const unsigned char* cursor = der;
  EC_KEY* ec = d2i_EC_PUBKEY(nullptr, &cursor, length);
  OPENSSL_free(der);
  auto held = std::make_unique<DigestSigner>(std::move(signer));
  ossl::PkeyPtr stand_in(EVP_PKEY_new());
  if (ec == nullptr || !stand_in || held_method() == nullptr ||
      EC_KEY_set_method(ec, held_method()) != 1 ||
      EC_KEY_set_ex_data(ec, signer_index(), held.get()) != 1) {
    EC_KEY_free(ec);
    return fail(ErrorCode::Internal, "held key: cannot build the stand-in key");
  }
  held.release();  // now owned by the EC_KEY's ex_data (free_signer)
  if (EVP_PKEY_assign_EC_KEY(stand_in.get(), ec) != 1) {
    EC_KEY_free(ec);
    return fail(ErrorCode::Internal, "held key: cannot build the stand-in key");
  }
  return std::shared_ptr<EVP_PKEY>(stand_in.release(), EVP_PKEY_free);
}

}  // namespace dps::device

#pragma GCC diagnostic pop
