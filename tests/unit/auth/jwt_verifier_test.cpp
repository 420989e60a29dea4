// JwtVerifier against tokens minted by EmbeddedTokenMinter and against hand-built bad tokens:
// each refusal must be Unauthenticated (or Unavailable) with a message naming the reason.
#include "auth/jwt_verifier.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <set>
#include <tuple>

#include "auth/base64url.hpp"
#include "auth/embedded_token_minter.hpp"
#include "auth/jwks.hpp"
#include "auth/static_key_provider.hpp"
#include "support/jwt_test_tokens.hpp"
#include "support/test_pki.hpp"

namespace dps::auth {
namespace {

using test::json;
using test::KeyType;
using test::unix_now;
using test::valid_claims;

// A static key set that counts refresh requests.
class CountingProvider final : public KeyProvider {
 public:
  explicit CountingProvider(std::shared_ptr<const KeySet> keys) : keys_(std::move(keys)) {}
  std::shared_ptr<const KeySet> current() override { return keys_; }
  void refresh_soon() override { ++refreshes; }
  std::atomic<int> refreshes{0};

 private:
  std::shared_ptr<const KeySet> keys_;
};

// Keys shared by every case: generating RSA keys per test would dominate the run time.
struct Keys {
  pki::EvpPkeyPtr ec = test::make_key(KeyType::P256);
  pki::EvpPkeyPtr ec384 = test::make_key(KeyType::P384);
  pki::EvpPkeyPtr rsa = test::make_key(KeyType::Rsa2048);
  pki::EvpPkeyPtr other_ec = test::make_key(KeyType::P256);

  std::string jwks_json() const {
    return test::jwks(json::array(
        {test::public_jwk(ec.get(), "ec", "ES256"), test::public_jwk(ec384.get(), "ec384", ""),
         test::public_jwk(rsa.get(), "rsa", "RS256"), test::public_jwk(rsa.get(), "rsa-any", "")}));
  }
  std::string es256(const json& claims, const json& header = {{"kid", "ec"}}) const {
    return test::sign_token(ec.get(), "ES256", header, claims);
  }
};

const Keys& keys() {
  static const Keys instance;
  return instance;
}

// valid_claims()'s issuer: the keys of Keys belong to it.
const KeySetOptions kIssuerOptions{.issuer = "https://auth.test", .required_audience = {}};

std::shared_ptr<CountingProvider> provider() {
  auto set = KeySet::parse(keys().jwks_json(), kIssuerOptions);
  EXPECT_TRUE(set);
  return std::make_shared<CountingProvider>(*set);
}

JwtVerifier verifier(JwtVerifierOptions options = {}) { return {std::move(options), provider()}; }

json with(json claims, const std::string& name, json value) {
  if (value.is_null()) {
    claims.erase(name);
  } else {
    claims[name] = std::move(value);
  }
  return claims;
}

std::string tamper_payload(const std::string& token) {
  const size_t dot = token.find('.');
  std::string header = token.substr(0, dot);
  std::string rest = token.substr(token.find('.', dot + 1));
  return header + "." + base64url_encode(with(valid_claims(), "sub", "someone-else").dump()) + rest;
}

struct BadToken {
  std::string name;
  std::function<std::string()> token;
  ErrorCode code;
  std::string message;  // substring of Error::internal
};

class JwtVerifierRefuses : public ::testing::TestWithParam<BadToken> {};

TEST_P(JwtVerifierRefuses, WithPreciseReason) {
  JwtVerifierOptions options;
  options.audience = GetParam().name.starts_with("Aud") ? "https://dps.test" : "";
  auto result = verifier(options).verify(GetParam().token());
  ASSERT_FALSE(result) << "accepted: " << GetParam().name;
  EXPECT_EQ(result.error().code, GetParam().code) << result.error().internal;
  EXPECT_NE(result.error().internal.find(GetParam().message), std::string::npos)
      << "got: " << result.error().internal;
}

const auto& k = keys;
const std::vector<BadToken> kBadTokens = {
    {"Empty", [] { return std::string(); }, ErrorCode::Unauthenticated, "missing bearer token"},
    {"BearerWithoutToken", [] { return std::string("Bearer  "); }, ErrorCode::Unauthenticated,
     "missing bearer token"},
    {"BasicScheme", [] { return std::string("Basic dXNlcjpwYXNz"); }, ErrorCode::Unauthenticated,
     "is not Bearer"},
    {"TooLong", [] { return "Bearer " + std::string(16 * 1024 + 1, 'a'); },
     ErrorCode::Unauthenticated, "longer than 16384 bytes"},
    {"DeeplyNestedHeader",
     [] { return base64url_encode(std::string(6000, '[') + std::string(6000, ']')) + ".e30.c2ln"; },
     ErrorCode::Unauthenticated, "header is not a JSON object"},
    {"TwoParts", [] { return std::string("abc.def"); }, ErrorCode::Unauthenticated,
     "not three dot-separated parts"},
    {"FourParts", [] { return k().es256(valid_claims()) + ".x"; }, ErrorCode::Unauthenticated,
     "not three dot-separated parts"},
    {"HeaderNotBase64url", [] { return std::string("a+b.c.d"); }, ErrorCode::Unauthenticated,
     "header is not base64url"},
    {"HeaderNotJson", [] { return base64url_encode("{alg") + ".e30.c2ln"; },
     ErrorCode::Unauthenticated, "header is not a JSON object"},
    {"PayloadNotJson",
     [] {
       return test::sign_compact(k().ec.get(), "ES256", {{"kid", "ec"}}, "not json");
     },
     ErrorCode::Unauthenticated, "payload is not a JSON object"},
    {"SignatureNotBase64url", [] { return k().es256(valid_claims()) + "*"; },
     ErrorCode::Unauthenticated, "signature is not base64url"},
    {"AlgNone",
     [] {
       return base64url_encode(R"({"alg":"none"})") + "." +
              base64url_encode(valid_claims().dump()) + ".";
     },
     ErrorCode::Unauthenticated, "alg \"none\" is refused"},
    {"AlgNoneUppercaseWithSignature",
     [] {
       return base64url_encode(R"({"alg":"NONE","kid":"ec"})") + "." +
              base64url_encode(valid_claims().dump()) + ".c2ln";
     },
     ErrorCode::Unauthenticated, "alg \"none\" is refused"},
    {"Hs256KeyedWithPublicKeyPem",
     [] {
       return test::hmac_token(test::public_key_pem(k().ec.get()), "HS256", {{"kid", "ec"}},
                               valid_claims());
     },
     ErrorCode::Unauthenticated, "alg \"HS256\" is refused"},
    {"Hs512KeyedWithJwks",
     [] { return test::hmac_token(k().jwks_json(), "HS512", {}, valid_claims()); },
     ErrorCode::Unauthenticated, "alg \"HS512\" is refused"},
    {"UnsupportedAlg", [] { return test::hmac_token("x", "EdDSA", {}, valid_claims()); },
     ErrorCode::Unauthenticated, "unsupported alg \"EdDSA\""},
    {"CriticalHeader",
     [] {
       return k().es256(valid_claims(), {{"kid", "ec"}, {"crit", {"exp"}}, {"exp", 1}});
     },
     ErrorCode::Unauthenticated, "critical header"},
    {"UnknownKid",
     [] {
       return k().es256(valid_claims(), {{"kid", "rotated-away"}});
     },
     ErrorCode::Unauthenticated, "unknown key id \"rotated-away\""},
    {"RsaTokenNamingEcKey",
     [] {
       return test::sign_token(k().rsa.get(), "RS256", {{"kid", "ec"}}, valid_claims());
     },
     ErrorCode::Unauthenticated, "alg RS256 does not match the key (kid \"ec\" is ES256)"},
    {"Es384HeaderOnP256Key",
     [] {
       return test::sign_token(k().ec384.get(), "ES384", {{"kid", "ec"}}, valid_claims());
     },
     ErrorCode::Unauthenticated, "alg ES384 does not match"},
    {"Ps256OnKeyPinnedToRs256",
     [] {
       return test::sign_token(k().rsa.get(), "PS256", {{"kid", "rsa"}}, valid_claims());
     },
     ErrorCode::Unauthenticated, "alg PS256 does not match"},
    {"SignedByAnotherKey",
     [] {
       return test::sign_token(k().other_ec.get(), "ES256", {{"kid", "ec"}}, valid_claims());
     },
     ErrorCode::Unauthenticated, "signature does not verify"},
    {"TamperedPayload", [] { return tamper_payload(k().es256(valid_claims())); },
     ErrorCode::Unauthenticated, "signature does not verify"},
    {"Es256SignatureInDerForm",
     [] {
       return test::sign_token(k().ec.get(), "ES256", {{"kid", "ec"}}, valid_claims(),
                               {.der_ecdsa = true});
     },
     ErrorCode::Unauthenticated, "ES256 signature must be 64 bytes"},
    {"Expired", [] { return k().es256(with(valid_claims(), "exp", unix_now() - 61)); },
     ErrorCode::Unauthenticated, "token expired at"},
    {"NoExp", [] { return k().es256(with(valid_claims(), "exp", nullptr)); },
     ErrorCode::Unauthenticated, "token has no \"exp\""},
    {"ExpNotNumber", [] { return k().es256(with(valid_claims(), "exp", "tomorrow")); },
     ErrorCode::Unauthenticated, "\"exp\" is not a NumericDate"},
    {"NbfInFuture", [] { return k().es256(with(valid_claims(), "nbf", unix_now() + 120)); },
     ErrorCode::Unauthenticated, "token not valid before"},
    {"IatInFuture", [] { return k().es256(with(valid_claims(), "iat", unix_now() + 120)); },
     ErrorCode::Unauthenticated, "token issued in the future"},
    {"AudMissing", [] { return k().es256(valid_claims()); }, ErrorCode::Unauthenticated,
     "token audience does not include \"https://dps.test\""},
    {"AudWrongString", [] { return k().es256(with(valid_claims(), "aud", "https://hub.test")); },
     ErrorCode::Unauthenticated, "token audience does not include"},
    {"AudWrongArray",
     [] {
       return k().es256(with(valid_claims(), "aud", {"a", "https://dps.test/"}));
     },
     ErrorCode::Unauthenticated, "token audience does not include"},
    {"OwnerMissing", [] { return k().es256(with(valid_claims(), "sub", nullptr)); },
     ErrorCode::Unauthenticated, "token has no owner claim \"sub\""},
    {"OwnerEmpty", [] { return k().es256(with(valid_claims(), "sub", "")); },
     ErrorCode::Unauthenticated, "token has no owner claim \"sub\""},
    {"OwnerNotString", [] { return k().es256(with(valid_claims(), "sub", 42)); },
     ErrorCode::Unauthenticated, "token has no owner claim \"sub\""},
    // The key set belongs to https://auth.test: a token its keys signed must say so, exactly.
    {"IssMissing", [] { return k().es256(with(valid_claims(), "iss", nullptr)); },
     ErrorCode::Unauthenticated,
     "token has no \"iss\" string (the key that signed it is \"https://auth.test\"'s)"},
    {"IssNotString", [] { return k().es256(with(valid_claims(), "iss", 7)); },
     ErrorCode::Unauthenticated, "token has no \"iss\" string"},
    {"IssOfAnotherAuthority",
     [] { return k().es256(with(valid_claims(), "iss", "https://other.test")); },
     ErrorCode::Unauthenticated,
     "token issuer \"https://other.test\" is not the issuer of its signing key (the key that "
     "signed it is \"https://auth.test\"'s)"},
    {"IssWithTrailingSlash",
     [] { return k().es256(with(valid_claims(), "iss", "https://auth.test/")); },
     ErrorCode::Unauthenticated, "is not the issuer of its signing key"},
};

INSTANTIATE_TEST_SUITE_P(BadTokens, JwtVerifierRefuses, ::testing::ValuesIn(kBadTokens),
                         [](const ::testing::TestParamInfo<BadToken>& param_info) {
                           return param_info.param.name;
                         });

TEST(JwtVerifier, AcceptsTokenMintedByEmbeddedMinter) {
  test::TempDir dir;
  auto minter = EmbeddedTokenMinter::load_or_create(dir.path(), "", std::chrono::hours(1));
  ASSERT_TRUE(minter);
  auto keys = StaticKeyProvider::from_json((*minter)->jwks_json(),
                                           {.issuer = "dps", .required_audience = {}});
  ASSERT_TRUE(keys) << keys.error().internal;
  for (std::string claim : {"sub", "https://plgd.dev/owner"}) {
    auto token = (*minter)->token_for({"owner-7", claim, "", "", "hub", "https://dps.test"});
    ASSERT_TRUE(token);
    JwtVerifier verify_it({claim, "https://dps.test", std::chrono::seconds{60}}, *keys);
    for (const std::string& header : {*token, "Bearer " + *token, "bearer  " + *token + " "}) {
      auto verified = verify_it.verify(header);
      ASSERT_TRUE(verified) << claim << ": " << verified.error().internal;
      EXPECT_EQ(verified->owner, "owner-7");
      EXPECT_EQ(verified->key_id, (*minter)->key_id());
      EXPECT_EQ(verified->string_claims.at("iss"), "dps");
      EXPECT_GT(verified->expires_at, unix_now());
    }
  }
}

TEST(JwtVerifier, AcceptsEveryAlgorithmItsKeyAllows) {
  const auto& key = keys();
  const std::vector<std::string> tokens = {
      key.es256(valid_claims()),
      test::sign_token(key.ec384.get(), "ES384", {{"kid", "ec384"}}, valid_claims()),
      test::sign_token(key.rsa.get(), "RS256", {{"kid", "rsa"}}, valid_claims()),
      test::sign_token(key.rsa.get(), "RS384", {{"kid", "rsa-any"}}, valid_claims()),
      test::sign_token(key.rsa.get(), "RS512", {{"kid", "rsa-any"}}, valid_claims()),
      test::sign_token(key.rsa.get(), "PS256", {{"kid", "rsa-any"}}, valid_claims())};
  for (const auto& token : tokens) {
    auto verified = verifier().verify(token);
    ASSERT_TRUE(verified) << verified.error().internal;
    EXPECT_EQ(verified->owner, "owner-1");
  }
}

TEST(JwtVerifier, ToleratesClockSkewWithinLeeway) {
  const int64_t now = unix_now();
  json claims = with(with(valid_claims(), "exp", now - 30), "nbf", now + 30);
  EXPECT_TRUE(verifier().verify(keys().es256(with(claims, "iat", now + 30))));
  EXPECT_FALSE(verifier({"sub", "", std::chrono::seconds{0}}).verify(keys().es256(claims)));
}

TEST(JwtVerifier, ChecksTimesAgainstGivenNow) {
  const std::string token = keys().es256(with(valid_claims(), "exp", 2'000'000'000));
  EXPECT_TRUE(verifier().verify_at(token, 2'000'000'000 + 59));
  EXPECT_FALSE(verifier().verify_at(token, 2'000'000'000 + 60));
}

TEST(JwtVerifier, AcceptsAudienceInArrayAndUrlOwnerClaim) {
  json claims = with(valid_claims(), "aud", {"other", "https://dps.test"});
  claims["https://plgd.dev/owner"] = "tenant-a";
  auto verified = verifier({"https://plgd.dev/owner", "https://dps.test", std::chrono::seconds{60}})
                      .verify(keys().es256(claims));
  ASSERT_TRUE(verified) << verified.error().internal;
  EXPECT_EQ(verified->owner, "tenant-a");
}

TEST(JwtVerifier, UnknownKidAsksProviderToRefresh) {
  auto keys_provider = provider();
  JwtVerifier verify_it({}, keys_provider);
  EXPECT_FALSE(verify_it.verify(keys().es256(valid_claims(), {{"kid", "new"}})));
  EXPECT_TRUE(verify_it.verify(keys().es256(valid_claims())));
  EXPECT_EQ(keys_provider->refreshes.load(), 1);
}

TEST(JwtVerifier, KeysNotAvailableYetIsUnavailable) {
  auto empty = std::make_shared<CountingProvider>(nullptr);
  auto result = JwtVerifier({}, empty).verify(keys().es256(valid_claims()));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::Unavailable);
  EXPECT_EQ(empty->refreshes.load(), 1);
}

TEST(JwtVerifier, UnknownKidWithIncompleteKeySetIsUnavailable) {
  auto set = KeySet::parse(keys().jwks_json(), kIssuerOptions);
  ASSERT_TRUE(set);
  auto partial = std::make_shared<CountingProvider>(KeySet::merge({*set, nullptr}, false));
  JwtVerifier verify_it({}, partial);
  EXPECT_TRUE(verify_it.verify(keys().es256(valid_claims())));
  auto result = verify_it.verify(keys().es256(valid_claims(), {{"kid", "elsewhere"}}));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::Unavailable);
}

TEST(JwtVerifier, TokenWithoutKidMatchesKidlessKey) {
  auto set = KeySet::parse(test::jwks(json::array({test::public_jwk(keys().ec.get(), "", "")})),
                           kIssuerOptions);
  ASSERT_TRUE(set);
  JwtVerifier verify_it({}, std::make_shared<CountingProvider>(*set));
  EXPECT_TRUE(verify_it.verify(keys().es256(valid_claims(), json::object())));
  // A named kid falls back to the unnamed key too: the set does not name its keys.
  EXPECT_TRUE(verify_it.verify(keys().es256(valid_claims(), {{"kid", "x"}})));
}

TEST(JwtVerifier, TokenWithoutKidIsRefusedWhenSeveralKeysAreNamed) {
  auto result = verifier().verify(keys().es256(valid_claims(), json::object()));
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().internal.find("token has no kid"), std::string::npos);
}

// Keys of two authorities in one set (CompositeKeyProvider's merge): each key vouches for its own
// issuer only, whichever way the token tries it.
TEST(JwtVerifier, KeyOnlyVouchesForItsOwnIssuer) {
  auto a_key = test::make_key(KeyType::P256);
  auto b_key = test::make_key(KeyType::P256);
  auto a = KeySet::parse(test::jwks(json::array({test::public_jwk(a_key.get(), "a", "ES256")})),
                         {.issuer = "https://a.test", .required_audience = {}});
  auto b = KeySet::parse(test::jwks(json::array({test::public_jwk(b_key.get(), "b", "ES256")})),
                         {.issuer = "https://b.test", .required_audience = {}});
  ASSERT_TRUE(a && b);
  JwtVerifier verify_it({}, std::make_shared<CountingProvider>(KeySet::merge({*a, *b}, true)));
  auto token = [](EVP_PKEY* key, const std::string& kid, const std::string& iss) {
    return test::sign_token(key, "ES256", {{"kid", kid}}, with(valid_claims(), "iss", iss));
  };
  EXPECT_TRUE(verify_it.verify(token(a_key.get(), "a", "https://a.test")));
  EXPECT_TRUE(verify_it.verify(token(b_key.get(), "b", "https://b.test")));
  for (const auto& [forged, says, signer] :
       {std::tuple{token(a_key.get(), "a", "https://b.test"), "https://b.test", "https://a.test"},
        std::tuple{token(b_key.get(), "b", "https://a.test"), "https://a.test",
                   "https://b.test"}}) {
    auto refused = verify_it.verify(forged);
    ASSERT_FALSE(refused) << says;
    EXPECT_EQ(refused.error().code, ErrorCode::Unauthenticated);
    EXPECT_EQ(refused.error().internal, "token issuer \"" + std::string(says) +
                                            "\" is not the issuer of its signing key (the key "
                                            "that signed it is \"" +
                                            signer + "\"'s)");
  }
}

// A multi-tenant IdP may publish one key for several issuers: the token matches the copy held
// for the issuer it names, and still no other.
TEST(JwtVerifier, SharedKeyVerifiesForEachIssuerThatPublishesIt) {
  const std::string jwks = test::jwks(json::array({test::public_jwk(keys().ec.get(), "k", "")}));
  auto a = KeySet::parse(jwks, {.issuer = "https://a.test", .required_audience = {}});
  auto b = KeySet::parse(jwks, {.issuer = "https://b.test", .required_audience = {}});
  ASSERT_TRUE(a && b);
  JwtVerifier verify_it({}, std::make_shared<CountingProvider>(KeySet::merge({*a, *b}, true)));
  auto token = [](const std::string& iss) {
    return keys().es256(with(valid_claims(), "iss", iss), {{"kid", "k"}});
  };
  EXPECT_TRUE(verify_it.verify(token("https://a.test")));
  auto verified = verify_it.verify(token("https://b.test"));
  ASSERT_TRUE(verified) << verified.error().internal;
  EXPECT_EQ(verified->string_claims.at("iss"), "https://b.test");
  auto refused = verify_it.verify(token("https://c.test"));
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().internal.find("is not the issuer of its signing key"),
            std::string::npos);
}

class FixedRevocations final : public RevokedTokenIds {
 public:
  explicit FixedRevocations(std::set<std::string, std::less<>> ids) : ids_(std::move(ids)) {}
  bool revoked(std::string_view jti) const override { return ids_.contains(jti); }

 private:
  std::set<std::string, std::less<>> ids_;
};

TEST(JwtVerifier, RevokedJtiIsRefusedOthersAreNot) {
  JwtVerifier verify_it(
      {}, provider(),
      std::make_shared<FixedRevocations>(std::set<std::string, std::less<>>{"revoked-1"}));
  auto refused = verify_it.verify(keys().es256(with(valid_claims(), "jti", "revoked-1")));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::Unauthenticated);
  EXPECT_EQ(refused.error().internal, "token revoked (jti \"revoked-1\")");
  EXPECT_TRUE(verify_it.verify(keys().es256(with(valid_claims(), "jti", "live-2"))));
  EXPECT_TRUE(verify_it.verify(keys().es256(valid_claims())));  // no jti: nothing to match
  // Only a genuine token learns it was revoked: a forged one is refused for its signature.
  auto forged = verify_it.verify(test::sign_token(keys().other_ec.get(), "ES256", {{"kid", "ec"}},
                                                  with(valid_claims(), "jti", "revoked-1")));
  ASSERT_FALSE(forged);
  EXPECT_NE(forged.error().internal.find("signature does not verify"), std::string::npos);
}

}  // namespace
}  // namespace dps::auth
