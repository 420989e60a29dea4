#include "auth/jwks.hpp"

#include <gtest/gtest.h>

#include "auth/base64url.hpp"
#include "auth/static_key_provider.hpp"
#include "support/jwt_test_tokens.hpp"
#include "support/test_pki.hpp"

namespace dps::auth {
namespace {

using test::json;
using test::KeyType;

const KeySetOptions kOptions{.issuer = "https://auth.test", .required_audience = {}};

std::shared_ptr<const KeySet> parse(const json& keys, const KeySetOptions& options = kOptions) {
  auto set = KeySet::parse(test::jwks(keys), options);
  EXPECT_TRUE(set) << set.error().internal;
  return set ? *set : nullptr;
}

TEST(KeySet, ParsesEcAndRsaKeysWithTheirAlgorithms) {
  auto p256 = test::make_key(KeyType::P256);
  auto p384 = test::make_key(KeyType::P384);
  auto rsa = test::make_key(KeyType::Rsa2048);
  auto set = parse(json::array(
      {test::public_jwk(p256.get(), "a", "ES256"), test::public_jwk(p384.get(), "b", ""),
       test::public_jwk(rsa.get(), "c", "RS384"), test::public_jwk(rsa.get(), "d", "")}));
  ASSERT_EQ(set->size(), 4u);
  EXPECT_TRUE(set->skipped().empty());
  auto only = [&](const char* kid) {
    auto found = set->candidates(std::string(kid));
    EXPECT_EQ(found.size(), 1u) << kid;
    return found.at(0);
  };
  EXPECT_TRUE(only("a")->accepts(JwsAlg::ES256));
  EXPECT_FALSE(only("a")->accepts(JwsAlg::ES384));
  EXPECT_TRUE(only("b")->accepts(JwsAlg::ES384));  // implied by the curve
  EXPECT_FALSE(only("b")->accepts(JwsAlg::ES256));
  EXPECT_TRUE(only("c")->accepts(JwsAlg::RS384));
  EXPECT_FALSE(only("c")->accepts(JwsAlg::RS256));
  for (JwsAlg alg : {JwsAlg::RS256, JwsAlg::RS512, JwsAlg::PS256}) {
    EXPECT_TRUE(only("d")->accepts(alg));
  }
  EXPECT_FALSE(only("d")->accepts(JwsAlg::ES256));
}

TEST(KeySet, SkipsKeysItCannotUseAndSaysWhy) {
  auto p256 = test::make_key(KeyType::P256);
  json off_curve = test::public_jwk(p256.get(), "off-curve", "");
  off_curve["y"] = base64url_encode(std::string(32, '\x01'));
  json short_x = test::public_jwk(p256.get(), "short-x", "");
  short_x["x"] = base64url_encode(std::string(31, '\x01'));
  json encryption = test::public_jwk(p256.get(), "enc", "");
  encryption["use"] = "enc";
  json no_verify = test::public_jwk(p256.get(), "ops", "");
  no_verify["key_ops"] = {"sign"};
  json wrong_alg = test::public_jwk(p256.get(), "alg", "ES384");
  pki::EvpPkeyPtr small_rsa(EVP_RSA_gen(1024));
  auto rsa = test::make_key(KeyType::Rsa2048);
  json huge_exponent = test::public_jwk(rsa.get(), "huge-e", "");
  huge_exponent["e"] = base64url_encode(std::string(9, '\x01'));
  auto set = parse(json::array({
      {{"kty", "oct"}, {"kid", "hmac"}, {"k", "c2VjcmV0"}},
      {{"kty", "OKP"}, {"kid", "ed"}, {"crv", "Ed25519"}, {"x", "AAAA"}},
      off_curve,
      short_x,
      encryption,
      no_verify,
      wrong_alg,
      test::public_jwk(small_rsa.get(), "rsa1024", "RS256"),
      huge_exponent,
      test::public_jwk(p256.get(), "good", ""),
  }));
  EXPECT_EQ(set->size(), 1u);
  const std::vector<std::string> reasons = {"unsupported kty \"oct\"",
                                            "unsupported kty \"OKP\"",
                                            "is not a point on P-256",
                                            "32-byte base64url coordinates",
                                            "use is not \"sig\"",
                                            "key_ops does not include \"verify\"",
                                            "alg ES384 does not fit kty EC",
                                            "1024 bits is outside 2048..8192",
                                            "exponent longer than 64 bits"};
  ASSERT_EQ(set->skipped().size(), reasons.size());
  for (size_t i = 0; i < reasons.size(); ++i) {
    EXPECT_NE(set->skipped()[i].find(reasons[i]), std::string::npos) << set->skipped()[i];
  }
}

TEST(KeySet, RefusesTextThatIsNoKeySet) {
  for (const char* text : {"", "not json", "[]", R"({"keys":{}})", R"({"other":[]})"}) {
    auto set = KeySet::parse(text, kOptions);
    ASSERT_FALSE(set) << text;
    EXPECT_EQ(set.error().code, ErrorCode::BadRequest);
  }
}

TEST(KeySet, CandidatesFollowKidRules) {
  auto a = test::make_key(KeyType::P256);
  auto b = test::make_key(KeyType::P256);
  auto named =
      parse(json::array({test::public_jwk(a.get(), "a", ""), test::public_jwk(b.get(), "b", "")}));
  EXPECT_EQ(named->candidates(std::string("b")).size(), 1u);
  EXPECT_TRUE(named->candidates(std::string("c")).empty());
  EXPECT_TRUE(named->candidates(std::nullopt).empty());  // two keys: no guessing

  auto one = parse(json::array({test::public_jwk(a.get(), "a", "")}));
  EXPECT_EQ(one->candidates(std::nullopt).size(), 1u);
  EXPECT_TRUE(one->candidates(std::string("b")).empty());

  auto mixed =
      parse(json::array({test::public_jwk(a.get(), "a", ""), test::public_jwk(b.get(), "", "")}));
  EXPECT_EQ(mixed->candidates(std::string("a")).at(0)->kid, "a");
  EXPECT_EQ(mixed->candidates(std::string("z")).at(0)->kid, "");
  EXPECT_EQ(mixed->candidates(std::nullopt).at(0)->kid, "");
}

TEST(KeySet, RefusesKeysWithoutAnIssuer) {
  auto key = test::make_key(KeyType::P256);
  auto set = KeySet::parse(test::jwks(json::array({test::public_jwk(key.get(), "k", "")})),
                           KeySetOptions{});
  ASSERT_FALSE(set);
  EXPECT_EQ(set.error().code, ErrorCode::BadRequest);
  EXPECT_NE(set.error().internal.find("without the issuer"), std::string::npos);
}

TEST(KeySet, MergeKeepsKeysTheirIssuersAndCompleteness) {
  auto a = test::make_key(KeyType::P256);
  auto one = parse(json::array({test::public_jwk(a.get(), "a", "")}));
  auto two = parse(json::array({test::public_jwk(a.get(), "b", "")}),
                   {.issuer = "https://other.test", .required_audience = {}});
  auto merged = KeySet::merge({one, two}, true);
  EXPECT_EQ(merged->size(), 2u);
  EXPECT_EQ(merged->candidates(std::string("a")).at(0)->issuer, "https://auth.test");
  EXPECT_EQ(merged->candidates(std::string("b")).at(0)->issuer, "https://other.test");
  EXPECT_TRUE(merged->complete());
  EXPECT_FALSE(KeySet::merge({one, nullptr}, false)->complete());
}

TEST(StaticKeyProvider, RefusesKeySetWithoutUsableKey) {
  auto provider =
      StaticKeyProvider::from_json(R"({"keys":[{"kty":"oct","k":"c2VjcmV0"}]})", kOptions);
  ASSERT_FALSE(provider);
  EXPECT_NE(provider.error().internal.find("no usable verification key"), std::string::npos);
  EXPECT_NE(provider.error().internal.find("oct"), std::string::npos);
}

TEST(StaticKeyProvider, FromFileNamesTheFile) {
  test::TempDir dir;
  auto missing = StaticKeyProvider::from_file(dir.path() / "nope.json", kOptions);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().internal.find("nope.json"), std::string::npos);
  auto key = test::make_key(KeyType::P256);
  auto ok = StaticKeyProvider::from_file(
      dir.write("jwks.json", test::jwks(json::array({test::public_jwk(key.get(), "k", "")}))),
      kOptions);
  ASSERT_TRUE(ok);
  EXPECT_EQ((*ok)->current()->size(), 1u);
}

}  // namespace
}  // namespace dps::auth
