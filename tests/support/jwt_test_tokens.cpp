#include "support/jwt_test_tokens.hpp"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <chrono>
#include <stdexcept>
#include <vector>

#include "auth/base64url.hpp"

namespace dps::test {
namespace {

std::string bn_param(EVP_PKEY* key, const char* name, int width) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &bn) != 1) throw std::runtime_error("no key param");
  const int size = width > 0 ? width : BN_num_bytes(bn);
  std::string out(static_cast<size_t>(size), '\0');
  BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), size);
  BN_free(bn);
  return out;
}

const EVP_MD* digest(const std::string& alg) {
  const std::string bits = alg.substr(2);
  return bits == "256" ? EVP_sha256() : bits == "384" ? EVP_sha384() : EVP_sha512();
}

std::string der_to_raw(const std::string& der, int width) {
  const auto* cursor = reinterpret_cast<const unsigned char*>(der.data());
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &cursor, static_cast<long>(der.size()));
  std::string raw(static_cast<size_t>(2 * width), '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  BN_bn2binpad(ECDSA_SIG_get0_r(sig), out, width);
  BN_bn2binpad(ECDSA_SIG_get0_s(sig), out + width, width);
  ECDSA_SIG_free(sig);
  return raw;
}

}  // namespace

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

json public_jwk(EVP_PKEY* key, const std::string& kid, const std::string& alg) {
  json jwk;
  if (EVP_PKEY_is_a(key, "EC")) {
    const int width = (EVP_PKEY_get_bits(key) + 7) / 8;
    jwk = {{"kty", "EC"},
           {"crv", width == 32   ? "P-256"
                   : width == 48 ? "P-384"
                                 : "P-521"},
           {"x", auth::base64url_encode(bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X, width))},
           {"y", auth::base64url_encode(bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y, width))}};
  } else {
    jwk = {{"kty", "RSA"},
           {"n", auth::base64url_encode(bn_param(key, OSSL_PKEY_PARAM_RSA_N, 0))},
           {"e", auth::base64url_encode(bn_param(key, OSSL_PKEY_PARAM_RSA_E, 0))}};
  }
  if (!kid.empty()) jwk["kid"] = kid;
  if (!alg.empty()) jwk["alg"] = alg;
  return jwk;
}

std::string jwks(const json& keys) { return json{{"keys", keys}}.dump(); }

std::string sign_token(EVP_PKEY* key, const std::string& alg, const json& header,
                       const json& claims, SignOptions options) {
  return sign_compact(key, alg, header, claims.dump(), options);
}

std::string sign_compact(EVP_PKEY* key, const std::string& alg, const json& header,
                         const std::string& payload, SignOptions options) {
  json full_header = header;
  full_header["alg"] = alg;
  const std::string input =
      auth::base64url_encode(full_header.dump()) + "." + auth::base64url_encode(payload);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX* pctx = nullptr;
  EVP_DigestSignInit(ctx, &pctx, digest(alg), nullptr, key);
  if (alg.starts_with("PS")) {
    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST);
  }
  size_t len = 0;
  EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()),
                 input.size());
  std::string signature(len, '\0');
  if (EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(signature.data()), &len,
                     reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1) {
    throw std::runtime_error("signing failed");
  }
  EVP_MD_CTX_free(ctx);
  signature.resize(len);
  if (alg.starts_with("ES") && !options.der_ecdsa) {
    signature = der_to_raw(signature, (EVP_PKEY_get_bits(key) + 7) / 8);
  }
  return input + "." + auth::base64url_encode(signature);
}

std::string hmac_token(const std::string& secret, const std::string& alg, const json& header,
                       const json& claims) {
  json full_header = header;
  full_header["alg"] = alg;
  const std::string input =
      auth::base64url_encode(full_header.dump()) + "." + auth::base64url_encode(claims.dump());
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(digest(alg), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &mac_len);
  return input + "." + auth::base64url_encode(std::string(reinterpret_cast<char*>(mac), mac_len));
}

std::string public_key_pem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, key);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(len));
  BIO_free(bio);
  return pem;
}

json valid_claims(const std::string& owner) {
  const int64_t now = unix_now();
  return {{"sub", owner}, {"iss", "https://auth.test"}, {"iat", now}, {"exp", now + 3600}};
}

}  // namespace dps::test
