#include "auth/jwks.hpp"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>

#include "auth/base64url.hpp"

namespace dps::auth {
namespace {

using nlohmann::json;

using OsslParamBldPtr =
    std::unique_ptr<OSSL_PARAM_BLD, pki::detail::OpenSslDeleter<OSSL_PARAM_BLD_free>>;
using OsslParamPtr = std::unique_ptr<OSSL_PARAM, pki::detail::OpenSslDeleter<OSSL_PARAM_free>>;

// A set is fetched from a remote authority: bound the work one response can cause.
constexpr size_t kMaxKeys = 64;
// RFC 7518 §3.3: RS*/PS* keys MUST be at least 2048 bits. The upper bound keeps a hostile set
// from making every verification expensive (OpenSSL's own ceiling is 16384).
constexpr int kMinRsaBits = 2048;
constexpr int kMaxRsaBits = 8192;
constexpr size_t kMaxRsaExponentBytes = 8;

struct Curve {
  std::string_view crv;     // JWK "crv" (RFC 7518 §6.2.1.1)
  const char* group;        // OpenSSL group name
  size_t coordinate_bytes;  // RFC 7518 §6.2.1.2: x and y are exactly this long
  JwsAlg alg;
};
constexpr std::array<Curve, 3> kCurves{{{"P-256", "prime256v1", 32, JwsAlg::ES256},
                                        {"P-384", "secp384r1", 48, JwsAlg::ES384},
                                        {"P-521", "secp521r1", 66, JwsAlg::ES512}}};

constexpr std::array<std::pair<std::string_view, JwsAlg>, 9> kAlgNames{{{"ES256", JwsAlg::ES256},
                                                                        {"ES384", JwsAlg::ES384},
                                                                        {"ES512", JwsAlg::ES512},
                                                                        {"RS256", JwsAlg::RS256},
                                                                        {"RS384", JwsAlg::RS384},
                                                                        {"RS512", JwsAlg::RS512},
                                                                        {"PS256", JwsAlg::PS256},
                                                                        {"PS384", JwsAlg::PS384},
                                                                        {"PS512", JwsAlg::PS512}}};

bool is_rsa(JwsAlg alg) {
  return alg != JwsAlg::ES256 && alg != JwsAlg::ES384 && alg != JwsAlg::ES512;
}

std::optional<std::string> member(const json& jwk, const char* name) {
  auto it = jwk.find(name);
  if (it == jwk.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

// Builds a public key from OSSL_PARAMs and runs OpenSSL's public-key check once, here, so a point
// off the curve or a degenerate RSA key never reaches verification.
Result<pki::EvpPkeyPtr> from_params(const char* type, OSSL_PARAM_BLD* bld) {
  OsslParamPtr params(OSSL_PARAM_BLD_to_param(bld));
  pki::EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    ERR_clear_error();
    return fail(ErrorCode::BadRequest, "key parameters rejected by libcrypto");
  }
  pki::EvpPkeyPtr key(raw);
  pki::EvpPkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1) {
    ERR_clear_error();
    return fail(ErrorCode::BadRequest, "public key check failed");
  }
  return key;
}

Result<Jwk> parse_ec(const json& jwk) {
  auto crv = member(jwk, "crv");
  const Curve* curve = nullptr;
  for (const Curve& c : kCurves) {
    if (crv && *crv == c.crv) curve = &c;
  }
  if (!curve) return fail(ErrorCode::BadRequest, "unsupported EC curve " + crv.value_or("(none)"));
  auto x = base64url_decode(member(jwk, "x").value_or(""));
  auto y = base64url_decode(member(jwk, "y").value_or(""));
  if (!x || !y || x->size() != curve->coordinate_bytes || y->size() != curve->coordinate_bytes) {
    return fail(ErrorCode::BadRequest, "x/y are not " + std::to_string(curve->coordinate_bytes) +
                                           "-byte base64url coordinates");
  }
  std::string point = "\x04" + *x + *y;  // SEC 1 §2.3.3 uncompressed point
  OsslParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld ||
      !OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, curve->group, 0) ||
      !OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                        point.size())) {
    return fail(ErrorCode::Internal, "OSSL_PARAM_BLD failed");
  }
  auto key = from_params("EC", bld.get());
  if (!key) {
    return fail(ErrorCode::BadRequest, "x/y is not a point on " + std::string(curve->crv) + " (" +
                                           key.error().internal + ")");
  }
  return Jwk{{}, Jwk::Type::Ec, curve->alg, std::move(*key), {}, {}};
}

Result<Jwk> parse_rsa(const json& jwk) {
  auto n = base64url_decode(member(jwk, "n").value_or(""));
  auto e = base64url_decode(member(jwk, "e").value_or(""));
  if (!n || !e || n->empty() || e->empty()) {
    return fail(ErrorCode::BadRequest, "n/e are not base64url integers");
  }
  // Real keys use 65537; a huge exponent only makes every verification slow.
  if (e->size() > kMaxRsaExponentBytes) {
    return fail(ErrorCode::BadRequest, "RSA exponent longer than 64 bits");
  }
  auto to_bn = [](const std::string& bytes) {
    return pki::BignumPtr(BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()),
                                    static_cast<int>(bytes.size()), nullptr));
  };
  pki::BignumPtr bn_n = to_bn(*n);
  pki::BignumPtr bn_e = to_bn(*e);
  if (!bn_n || !bn_e) return fail(ErrorCode::Internal, "BN_bin2bn failed");
  const int bits = BN_num_bits(bn_n.get());
  if (bits < kMinRsaBits || bits > kMaxRsaBits) {
    return fail(ErrorCode::BadRequest,
                "RSA modulus of " + std::to_string(bits) + " bits is outside 2048..8192");
  }
  OsslParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld || !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) ||
      !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get())) {
    return fail(ErrorCode::Internal, "OSSL_PARAM_BLD failed");
  }
  auto key = from_params("RSA", bld.get());
  if (!key) return tl::unexpected(key.error());
  return Jwk{{}, Jwk::Type::Rsa, std::nullopt, std::move(*key), {}, {}};
}

Result<Jwk> parse_key(const json& jwk) {
  if (!jwk.is_object()) return fail(ErrorCode::BadRequest, "not a JSON object");
  if (jwk.contains("kid") && !jwk["kid"].is_string()) {
    return fail(ErrorCode::BadRequest, "kid is not a string");
  }
  // RFC 7517 §4.2/§4.3: a key published for encryption, or not for "verify", is not ours to use.
  if (auto use = member(jwk, "use"); jwk.contains("use") && use != "sig") {
    return fail(ErrorCode::BadRequest, "use is not \"sig\"");
  }
  if (auto ops = jwk.find("key_ops"); ops != jwk.end()) {
    if (!ops->is_array() || std::find(ops->begin(), ops->end(), "verify") == ops->end()) {
      return fail(ErrorCode::BadRequest, "key_ops does not include \"verify\"");
    }
  }
  std::optional<JwsAlg> alg;
  if (jwk.contains("alg")) {
    alg = parse_jws_alg(member(jwk, "alg").value_or(""));
    if (!alg) return fail(ErrorCode::BadRequest, "unsupported alg " + jwk["alg"].dump());
  }
  auto kty = member(jwk, "kty").value_or("");
  Result<Jwk> key = kty == "EC"    ? parse_ec(jwk)
                    : kty == "RSA" ? parse_rsa(jwk)
                                   : fail(ErrorCode::BadRequest, "unsupported kty \"" + kty + "\"");
  if (!key) return key;
  // An EC key's alg is fixed by its curve (RFC 7518 §3.4); a contradicting "alg" is an error.
  if (alg && (key->type == Jwk::Type::Ec ? alg != key->alg : !is_rsa(*alg))) {
    return fail(ErrorCode::BadRequest,
                "alg " + std::string(to_string(*alg)) + " does not fit kty " + kty);
  }
  if (alg) key->alg = alg;
  key->kid = member(jwk, "kid").value_or("");
  return key;
}

}  // namespace

std::string_view to_string(JwsAlg alg) {
  for (const auto& [name, value] : kAlgNames) {
    if (value == alg) return name;
  }
  return "?";
}

std::optional<JwsAlg> parse_jws_alg(std::string_view name) {
  for (const auto& [known, value] : kAlgNames) {
    if (known == name) return value;
  }
  return std::nullopt;
}

bool Jwk::accepts(JwsAlg token_alg) const {
  if (alg) return *alg == token_alg;
  return type == Type::Rsa && is_rsa(token_alg);
}

Result<std::shared_ptr<const KeySet>> KeySet::parse(std::string_view jwks_json,
                                                    const KeySetOptions& options) {
  if (options.issuer.empty()) {
    return fail(ErrorCode::BadRequest, "JWKS without the issuer its keys are valid for");
  }
  json doc = json::parse(jwks_json, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return fail(ErrorCode::BadRequest, "JWKS is not a JSON object");
  }
  auto keys = doc.find("keys");
  if (keys == doc.end() || !keys->is_array()) {
    return fail(ErrorCode::BadRequest, "JWKS has no \"keys\" array");
  }
  auto set = std::make_shared<KeySet>();
  for (size_t i = 0; i < keys->size(); ++i) {
    const json& entry = (*keys)[i];
    std::string name = "key " + std::to_string(i);
    if (entry.is_object() && entry.contains("kid")) name += " (kid " + entry["kid"].dump() + ")";
    if (set->keys_.size() == kMaxKeys) {
      set->skipped_.push_back(name + ": more than " + std::to_string(kMaxKeys) + " keys");
      continue;
    }
    auto key = parse_key(entry);
    if (!key) {
      set->skipped_.push_back(name + ": " + key.error().internal);
      continue;
    }
    key->required_audience = options.required_audience;
    key->issuer = options.issuer;
    set->keys_.push_back(std::make_shared<const Jwk>(std::move(*key)));
  }
  return set;
}

std::shared_ptr<const KeySet> KeySet::merge(const std::vector<std::shared_ptr<const KeySet>>& sets,
                                            bool complete) {
  auto merged = std::make_shared<KeySet>();
  merged->complete_ = complete;
  for (const auto& set : sets) {
    if (!set) continue;
    merged->keys_.insert(merged->keys_.end(), set->keys_.begin(), set->keys_.end());
    merged->complete_ = merged->complete_ && set->complete_;
  }
  return merged;
}

std::vector<const Jwk*> KeySet::candidates(const std::optional<std::string>& kid) const {
  std::vector<const Jwk*> named;
  std::vector<const Jwk*> unnamed;
  for (const auto& key : keys_) {
    if (key->kid.empty()) {
      unnamed.push_back(key.get());
    } else if (kid && key->kid == *kid) {
      named.push_back(key.get());
    }
  }
  if (!named.empty()) return named;
  if (!unnamed.empty()) return unnamed;
  if (!kid && keys_.size() == 1) return {keys_.front().get()};
  return {};
}

}  // namespace dps::auth
