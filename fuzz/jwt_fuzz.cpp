// libFuzzer target for the management API's bearer tokens, the first thing the API parses from an
// unauthenticated client (auth::JwtVerifier: Authorization header, JWS compact form, base64url,
// header and claims JSON, signature, times, audience, owner claim), and for the JWKS documents
// that verify them (auth::KeySet via StaticKeyProvider; an OIDC authority's jwks_uri serves the
// same format).
//
// Input: byte 0 selects the verifier options (bit 0: owner claim "https://plgd.dev/owner" instead
// of "sub"; bit 1: audience "https://api.example.com" required); the rest is a JWKS, "\n~~~\n",
// then the Authorization header value. Verification time is fixed, so the seeds (whose tokens are
// signed by their own JWKS) stay valid.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "auth/jwt_verifier.hpp"
#include "auth/static_key_provider.hpp"
#include "fuzz_support.hpp"

namespace {

using dps::ErrorCode;
namespace auth = dps::auth;

// 2026-12-01T00:00:00Z, as in pki_fuzz.cpp and make_seeds.cpp.
constexpr int64_t kNow = 1796083200;
constexpr std::string_view kSeparator = "\n~~~\n";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t options_byte = data[0];
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  const size_t separator = input.find(kSeparator);
  const std::string_view jwks = input.substr(0, separator);
  const std::string_view authorization = separator == std::string_view::npos
                                             ? std::string_view{}
                                             : input.substr(separator + kSeparator.size());

  // The seeds' tokens (make_seeds.cpp) claim this issuer; keys are valid for one issuer only.
  auto keys = auth::StaticKeyProvider::from_json(
      jwks, {.issuer = "https://auth.test", .required_audience = {}});
  if (!keys) {
    dps::fuzz::note("JWKS refused: " + keys.error().internal);
    FUZZ_REQUIRE(keys.error().code == ErrorCode::BadRequest);
    return 0;
  }
  FUZZ_REQUIRE((*keys)->current() && (*keys)->current()->size() > 0);

  auth::JwtVerifierOptions options;
  if (options_byte & 1) options.owner_claim = "https://plgd.dev/owner";
  if (options_byte & 2) options.audience = "https://api.example.com";
  const auth::JwtVerifier verifier(options, *keys);
  auto token = verifier.verify_at(authorization, kNow);
  if (!token) {
    dps::fuzz::note("token refused: " + token.error().internal);
    // A static key set is always complete: never "keys not available yet".
    FUZZ_REQUIRE(token.error().code == ErrorCode::Unauthenticated);
    FUZZ_REQUIRE(!token.error().internal.empty());
    return 0;
  }
  dps::fuzz::note("token accepted for owner " + token->owner);
  FUZZ_REQUIRE(!token->owner.empty());
  FUZZ_REQUIRE(token->expires_at > kNow - options.leeway.count());
  const auto owner = token->string_claims.find(options.owner_claim);
  FUZZ_REQUIRE(owner != token->string_claims.end() && owner->second == token->owner);
  // The same header value verifies the same way a second time (no hidden state).
  auto again = verifier.verify_at(authorization, kNow);
  FUZZ_REQUIRE(again && again->owner == token->owner && again->expires_at == token->expires_at);
  return 0;
}
