// Hand-built JWS tokens and JWKs for the verifier and provider unit tests and the management API
// integration tests. Signing goes through libcrypto directly (not through the module under test),
// so a bug in the verifier cannot be mirrored by the token it is tested with.
#pragma once

#include <openssl/evp.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace dps::test {

using nlohmann::json;

int64_t unix_now();

/// Public JWK of an EC (P-256/P-384) or RSA key; "kid"/"alg" members only when not empty.
json public_jwk(EVP_PKEY* key, const std::string& kid, const std::string& alg);
/// {"keys":[...]}
std::string jwks(const json& keys);

struct SignOptions {
  bool der_ecdsa = false;  // leave the ECDSA signature in libcrypto's DER form (invalid JWS)
};

/// "<b64(header)>.<b64(claims)>.<b64(signature)>" signed with `key` by `alg` (ES*, RS*, PS*).
std::string sign_token(EVP_PKEY* key, const std::string& alg, const json& header,
                       const json& claims, SignOptions options = {});
/// The same with `payload` as the raw payload bytes (e.g. not JSON at all).
std::string sign_compact(EVP_PKEY* key, const std::string& alg, const json& header,
                         const std::string& payload, SignOptions options = {});
/// The same with an HMAC-SHA2 "signature" keyed with `secret` (alg HS256/HS384/HS512).
std::string hmac_token(const std::string& secret, const std::string& alg, const json& header,
                       const json& claims);
/// PEM (SubjectPublicKeyInfo) of the public half of `key`: the classic HMAC confusion secret.
std::string public_key_pem(EVP_PKEY* key);

/// Claims valid for an hour with sub = owner.
json valid_claims(const std::string& owner = "owner-1");

}  // namespace dps::test
