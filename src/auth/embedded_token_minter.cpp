#include "auth/embedded_token_minter.hpp"

#include <openssl/rand.h>

#include <array>
#include <nlohmann/json.hpp>

#include "auth/base64url.hpp"
#include "auth/ecdsa_signature.hpp"
#include "auth/signing_key.hpp"

namespace dps::auth {
namespace {

constexpr size_t kCoordinateBytes = 32;  // RFC 7518 §3.4: ES256 signature = R || S, 32 bytes each
constexpr size_t kMaxDerSignature = 72;  // SEQUENCE of two INTEGERs of up to 33 bytes
constexpr size_t kJtiBytes = 16;

// Registered claims dps sets itself (RFC 7519 §4.1); a hub claim name must not overwrite them.
bool is_reserved_claim(std::string_view name) {
  for (std::string_view reserved : {"iss", "iat", "exp", "jti", "aud", "nbf"}) {
    if (name == reserved) return true;
  }
  return false;
}

Result<void> check_request(const TokenRequest& request) {
  if (request.owner.empty() || request.owner_claim.empty()) {
    return fail(ErrorCode::BadRequest, "token request without owner or owner claim");
  }
  bool device_claim = !request.device_id.empty() && !request.device_id_claim.empty();
  for (const std::string* claim : {&request.owner_claim, &request.device_id_claim}) {
    if (is_reserved_claim(*claim)) {
      return fail(ErrorCode::BadRequest, "claim name \"" + *claim + "\" is a registered claim");
    }
  }
  if (device_claim && request.device_id_claim == request.owner_claim) {
    return fail(ErrorCode::BadRequest, "owner and device id claims have the same name");
  }
  return {};
}

}  // namespace

void EmbeddedTokenMinter::KeyFree::operator()(evp_pkey_st* key) const noexcept {
  EVP_PKEY_free(key);
}
void EmbeddedTokenMinter::MdFree::operator()(evp_md_st* md) const noexcept { EVP_MD_free(md); }

EmbeddedTokenMinter::~EmbeddedTokenMinter() = default;

Result<std::unique_ptr<EmbeddedTokenMinter>> EmbeddedTokenMinter::load_or_create(
    std::filesystem::path data_dir, std::string issuer, std::chrono::seconds validity,
    const MinterFiles& files) {
  if (validity.count() <= 0) {
    return fail(ErrorCode::BadRequest, "token validity must be positive");
  }
  auto key = load_or_create_p256_key(data_dir / files.key_file);
  if (!key) return tl::unexpected(key.error());
  auto jwk = public_jwk(key->get());
  if (!jwk) return tl::unexpected(jwk.error());

  std::unique_ptr<EmbeddedTokenMinter> minter(new EmbeddedTokenMinter());
  minter->key_.reset(key->release());
  minter->sha256_.reset(EVP_MD_fetch(nullptr, "SHA2-256", nullptr));
  if (!minter->sha256_) return fail(ErrorCode::Internal, "SHA-256 is not available");
  minter->issuer_ = issuer.empty() ? "dps" : std::move(issuer);
  minter->validity_ = validity;
  minter->kid_ = jwk->kid;
  minter->jwks_json_ = R"({"keys":[)" + jwk->json + "]}";
  minter->encoded_header_ =
      base64url_encode(R"({"alg":"ES256","kid":")" + jwk->kid + R"(","typ":"JWT"})") + ".";

  // Rewritten at every start so it always matches the key in use.
  if (!files.jwks_file.empty()) {
    if (auto done = write_public_file(data_dir / files.jwks_file, minter->jwks_json_); !done) {
      return tl::unexpected(done.error());
    }
  }
  return minter;
}

Result<std::string> EmbeddedTokenMinter::token_for(const TokenRequest& request) {
  if (auto ok = check_request(request); !ok) return tl::unexpected(ok.error());
  std::map<std::string, std::string> claims{{request.owner_claim, request.owner}};
  if (!request.device_id.empty() && !request.device_id_claim.empty()) {
    claims[request.device_id_claim] = request.device_id;
  }
  std::vector<std::string> audience;
  if (!request.audience.empty()) audience.push_back(request.audience);
  return mint(claims, audience, request.lifetime.count() > 0 ? request.lifetime : validity_);
}

Result<std::string> EmbeddedTokenMinter::mint(const std::map<std::string, std::string>& claims,
                                              const std::vector<std::string>& audience,
                                              std::chrono::seconds validity) const {
  if (validity.count() <= 0) return fail(ErrorCode::BadRequest, "token validity must be positive");
  for (const auto& [name, value] : claims) {
    if (is_reserved_claim(name)) {
      return fail(ErrorCode::BadRequest, "claim name \"" + name + "\" is a registered claim");
    }
  }
  std::array<uint8_t, kJtiBytes> jti{};
  if (RAND_bytes(jti.data(), static_cast<int>(jti.size())) != 1) {
    return fail(ErrorCode::Internal, "RAND_bytes failed");
  }
  auto now = std::chrono::duration_cast<std::chrono::seconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  std::string payload;
  try {
    nlohmann::json body(claims);
    body["iss"] = issuer_;
    body["iat"] = now;
    body["exp"] = now + validity.count();
    body["jti"] = base64url_encode(jti);
    if (audience.size() == 1) body["aud"] = audience.front();
    if (audience.size() > 1) body["aud"] = audience;
    payload = body.dump();
  } catch (const nlohmann::json::exception& e) {
    // dump() throws on invalid UTF-8, e.g. an owner string that is not text.
    return fail(ErrorCode::BadRequest, std::string("cannot encode token claims: ") + e.what());
  }

  std::string token = encoded_header_ + base64url_encode(payload);
  auto signature = sign(token);
  if (!signature) return tl::unexpected(signature.error());
  token += '.';
  token += *signature;
  return token;
}

Result<std::string> EmbeddedTokenMinter::sign(std::string_view signing_input) const {
  pki::EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  std::array<uint8_t, kMaxDerSignature> der{};
  size_t der_len = der.size();
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, sha256_.get(), nullptr, key_.get()) != 1 ||
      EVP_DigestSign(ctx.get(), der.data(), &der_len,
                     reinterpret_cast<const uint8_t*>(signing_input.data()),
                     signing_input.size()) != 1) {
    return fail(ErrorCode::Internal, "ES256 signing failed");
  }
  // libcrypto produces DER (SEQUENCE { r, s }); JWS wants fixed-width R || S (RFC 7518 §3.4).
  auto raw = ecdsa_der_to_jose(std::span<const uint8_t>(der.data(), der_len), kCoordinateBytes);
  if (!raw) return tl::unexpected(raw.error());
  return base64url_encode(*raw);
}

}  // namespace dps::auth
