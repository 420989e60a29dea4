// Bearer tokens at the management API over real HTTPS (management-api.md "Authorization and
// tenancy"): every token dps must not accept is answered 401 with the gRPC error object
// {"code":16,"message":...,"details":[]} on every route, and changes nothing. Tokens are signed
// by hand (support/jwt_test_tokens.hpp), with dps's own key where the point is that only one
// property is wrong.
#include <functional>

#include "auth/admin_token.hpp"
#include "auth/base64url.hpp"
#include "support/api_fixture.hpp"
#include "support/jwt_test_tokens.hpp"

namespace dps::itest {
namespace {

using nlohmann::json;

/// What a bad-token case may use to build its Authorization header.
struct TokenKit {
  const DpsSigningKey& dps_key;
  std::string published_jwks;  // GET /.well-known/jwks.json

  json header() const { return {{"kid", dps_key.kid}, {"typ", "JWT"}}; }
  /// What dps's admin token holds: sub = owner, the admin audience, valid for an hour.
  static json claims() {
    json claims = test::valid_claims(kOwnerA);
    claims["aud"] = {std::string(auth::kAdminTokenAudience)};
    claims["iss"] = std::string(auth::kAdminTokenIssuer);  // the issuer dps's API key vouches for
    return claims;
  }
  std::string signed_by_dps(const json& claims) const {
    return test::sign_token(dps_key.key.get(), "ES256", header(), claims);
  }
};

struct BadToken {
  std::string name;
  /// The Authorization header value; nullopt sends none.
  std::function<std::optional<std::string>(const TokenKit&)> authorization;
  std::string message_part;  // what the 401 message must say
};

std::string bearer(const std::string& token) { return "Bearer " + token; }

json without(json claims, const char* name) {
  claims.erase(name);
  return claims;
}

json with(json claims, const char* name, json value) {
  claims[name] = std::move(value);
  return claims;
}

std::string b64(const std::string& text) { return auth::base64url_encode(text); }

const std::vector<BadToken>& bad_tokens() {
  static const std::vector<BadToken> cases{
      {"MissingHeader", [](const TokenKit&) { return std::nullopt; }, "missing bearer token"},
      {"BearerWithoutToken", [](const TokenKit&) { return "Bearer "; }, "missing bearer token"},
      {"BasicScheme", [](const TokenKit&) { return "Basic ZHBzOmRwcw=="; },
       "authorization scheme \"Basic\" is not Bearer"},
      {"NotAJwt", [](const TokenKit&) { return "Bearer not-a-jwt"; },
       "not three dot-separated parts"},
      {"PartsNotBase64Json", [](const TokenKit&) { return "Bearer a.b.c"; }, "malformed token"},
      {"HeaderWithoutAlg", [](const TokenKit&) { return "Bearer e30.e30.c2ln"; },
       "malformed token: header has no \"alg\""},
      {"Expired",
       [](const TokenKit& kit) {
         const int64_t now = test::unix_now();
         json claims = with(TokenKit::claims(), "exp", now - 3600);
         return bearer(kit.signed_by_dps(with(claims, "iat", now - 7200)));
       },
       "token expired at"},
      {"NotYetValid",
       [](const TokenKit& kit) {
         return bearer(kit.signed_by_dps(with(TokenKit::claims(), "nbf", test::unix_now() + 3600)));
       },
       "token not valid before"},
      {"SignedByAnUnknownKey",
       [](const TokenKit&) {
         auto stranger = test::make_key();
         return bearer(
             test::sign_token(stranger.get(), "ES256", {{"kid", "stranger"}}, TokenKit::claims()));
       },
       "unknown key id \"stranger\""},
      {"SignedByAnotherKeyUnderDpsKid",
       [](const TokenKit& kit) {
         auto stranger = test::make_key();
         return bearer(test::sign_token(stranger.get(), "ES256", kit.header(), TokenKit::claims()));
       },
       "token signature does not verify"},
      {"AlgNone",
       [](const TokenKit& kit) {
         json header = kit.header();
         header["alg"] = "none";
         return bearer(b64(header.dump()) + "." + b64(TokenKit::claims().dump()) + ".");
       },
       "alg \"none\" is refused"},
      {"AlgNoneWithASignature",
       [](const TokenKit& kit) {
         json header = kit.header();
         header["alg"] = "none";
         return bearer(b64(header.dump()) + "." + b64(TokenKit::claims().dump()) + "." +
                       b64("signature"));
       },
       "alg \"none\" is refused"},
      // The classic confusion: the public key (anyone can fetch it) used as an HMAC secret.
      {"Hs256KeyedWithDpsPublicKeyPem",
       [](const TokenKit& kit) {
         return bearer(test::hmac_token(test::public_key_pem(kit.dps_key.key.get()), "HS256",
                                        kit.header(), TokenKit::claims()));
       },
       "alg \"HS256\" is refused"},
      {"Hs256KeyedWithThePublishedJwks",
       [](const TokenKit& kit) {
         return bearer(
             test::hmac_token(kit.published_jwks, "HS256", kit.header(), TokenKit::claims()));
       },
       "alg \"HS256\" is refused"},
      {"Hs256KeyedWithThePublishedJwk",
       [](const TokenKit& kit) {
         const json jwk = json::parse(kit.published_jwks)["keys"][0];
         return bearer(test::hmac_token(jwk.dump(), "HS256", kit.header(), TokenKit::claims()));
       },
       "alg \"HS256\" is refused"},
      {"WithoutOwnerClaim",
       [](const TokenKit& kit) {
         return bearer(kit.signed_by_dps(without(TokenKit::claims(), "sub")));
       },
       "token has no owner claim \"sub\""},
      {"EmptyOwnerClaim",
       [](const TokenKit& kit) {
         return bearer(kit.signed_by_dps(with(TokenKit::claims(), "sub", "")));
       },
       "token has no owner claim \"sub\""},
      {"OwnerClaimNotAString",
       [](const TokenKit& kit) {
         return bearer(kit.signed_by_dps(with(TokenKit::claims(), "sub", 42)));
       },
       "token has no owner claim \"sub\""},
      {"WithoutExp",
       [](const TokenKit& kit) {
         return bearer(kit.signed_by_dps(without(TokenKit::claims(), "exp")));
       },
       "token has no \"exp\""},
      // Signed by dps's key, as every hub token dps hands to devices, but not for the API.
      {"WithoutTheAdminAudience",
       [](const TokenKit& kit) {
         return bearer(kit.signed_by_dps(without(TokenKit::claims(), "aud")));
       },
       "token audience does not include \"urn:dps:management-api\""},
      {"WithAHubAudience",
       [](const TokenKit& kit) {
         return bearer(
             kit.signed_by_dps(with(TokenKit::claims(), "aud", "https://hub.example.com")));
       },
       "token audience does not include \"urn:dps:management-api\""},
      {"TamperedOwner",
       [](const TokenKit& kit) {
         // A genuine admin token of owner A with its payload swapped for owner B's.
         const std::string token = kit.signed_by_dps(TokenKit::claims());
         const size_t first = token.find('.');
         const size_t second = token.find('.', first + 1);
         const std::string payload = b64(with(TokenKit::claims(), "sub", kOwnerB).dump());
         return bearer(token.substr(0, first + 1) + payload + token.substr(second));
       },
       "token signature does not verify"},
  };
  return cases;
}

class ApiAuth : public ApiTest {
 protected:
  void SetUp() override {
    ApiTest::SetUp();
    if (HasFatalFailure()) return;
    dps_key_ = load_dps_signing_key(spec_.data_dir);
    const auto jwks = call(Verb::get, "/.well-known/jwks.json", "");
    ASSERT_EQ(jwks.status, 200u) << jwks.body;
    published_jwks_ = jwks.body;
  }

  TokenKit kit() const { return {dps_key_, published_jwks_}; }

  /// GET, POST and DELETE (the last under plgd's prefix) with `authorization`: each 401 with
  /// `message_part`; then nothing exists for the owner.
  void expect_refused_everywhere(const std::optional<std::string>& authorization,
                                 const std::string& message_part) {
    const std::vector<HttpRequest> requests{
        {Verb::get, kGroupsPath, authorization, "", false},
        {Verb::post, kHubsPath, authorization, hub_body(kApiHub).dump(), false},
        {Verb::post, kGroupsPath, authorization, group_body(kApiHub).dump(), false},
        {Verb::delete_, std::string(kPlgdPrefix) + kRecordsPath, authorization, "", false},
    };
    for (const auto& request : requests) {
      SCOPED_TRACE(std::string(boost::beast::http::to_string(request.method)) + " " +
                   request.target);
      EXPECT_TRUE(is_api_error(api().send(request), 401, 16, message_part));
    }
    EXPECT_TRUE(list(kHubsPath, token_of(kOwnerA)).empty());
    EXPECT_TRUE(list(kGroupsPath, token_of(kOwnerA)).empty());
  }

  DpsSigningKey dps_key_;
  std::string published_jwks_;
};

TEST_F(ApiAuth, TokenBuiltLikeTheBadOnesButValidIsAccepted) {
  // The control for ApiBadToken: the same builder, nothing wrong.
  const std::string token = kit().signed_by_dps(TokenKit::claims());
  const auto created = call(Verb::post, kHubsPath, token, hub_body(kApiHub).dump());
  ASSERT_EQ(created.status, 200u) << created.body;
  EXPECT_EQ(created.object()["owner"], kOwnerA);
  // The scheme is case-insensitive (RFC 7235 §2.1).
  const auto listed = api().send({Verb::get, kHubsPath, "bEaReR " + token, "", false});
  EXPECT_EQ(listed.status, 200u) << listed.body;
  EXPECT_EQ(listed.lines().size(), 1u);
}

class ApiBadToken : public ApiAuth, public ::testing::WithParamInterface<BadToken> {};

TEST_P(ApiBadToken, IsRefusedWith401OnEveryRouteAndChangesNothing) {
  expect_refused_everywhere(GetParam().authorization(kit()), GetParam().message_part);
}

INSTANTIATE_TEST_SUITE_P(Tokens, ApiBadToken, ::testing::ValuesIn(bad_tokens()),
                         [](const ::testing::TestParamInfo<BadToken>& param) {
                           return param.param.name;
                         });

TEST_F(ApiAuth, HubTokenDpsGaveADeviceIsNoApiCredential) {
  // A hub whose tokens carry the very claim the API reads the owner from ("sub").
  json hub = hub_body(kApiHub);
  hub["authorization"]["ownerClaim"] = "sub";
  create(kHubsPath, hub, kOwnerA);
  create(kGroupsPath, group_body(kApiHub), kOwnerA);
  const auto device = provision(api_mfg_tls());
  ASSERT_TRUE(device.ok) << device.error;
  ASSERT_FALSE(device.hub.at.empty()) << "the device got no hub token";

  const std::string& token = device.hub.at;
  const size_t first = token.find('.');
  const auto claims = auth::base64url_decode(token.substr(first + 1, token.rfind('.') - first - 1));
  const auto payload = json::parse(claims.value_or(""), nullptr, false);
  ASSERT_EQ(payload.value("sub", ""), kOwnerA) << payload.dump();

  // Signed with the hub tokens' key, which the API does not hold at all.
  const auto answer = call(Verb::get, kGroupsPath, token);
  EXPECT_TRUE(is_api_error(answer, 401, 16, "unknown key id"));
  const auto erased = call(Verb::delete_, kRecordsPath, token);
  EXPECT_TRUE(is_api_error(erased, 401, 16, "unknown key id"));
  EXPECT_EQ(list(kRecordsPath, token_of(kOwnerA)).size(), 1u) << "the record is still there";
}

TEST_F(ApiAuth, TokenSignedWithTheDeviceTokenKeyIsRefusedWhateverItsClaims) {
  // Everything an admin token carries (owner, the API's audience, a live exp), signed by the key
  // that signs the hub tokens devices get: the two kinds never share a key.
  const DpsSigningKey device_key = load_dps_signing_key(spec_.data_dir, auth::kDeviceTokenFiles);
  ASSERT_NE(device_key.kid, dps_key_.kid);
  const std::string forged = test::sign_token(
      device_key.key.get(), "ES256", {{"kid", device_key.kid}, {"typ", "JWT"}}, TokenKit::claims());
  expect_refused_everywhere(bearer(forged), "unknown key id");
}

TEST_F(ApiAuth, HubsCannotAskForTokensThatReadLikeApiTokens) {
  const auto token = token_of(kOwnerA);
  struct Case {
    const char* field;
    json value;
    const char* message;
  };
  const std::vector<Case> cases{
      {"/authorization/provider/audience", std::string(auth::kAdminTokenAudience),
       "authorization.provider.audience: \"urn:dps:management-api\" is the management API's "
       "audience"},
      {"/authorization/deviceIdClaim", "sub",
       "authorization.deviceIdClaim: \"sub\" is a registered claim"},
      {"/authorization/ownerClaim", "iss",
       "authorization.ownerClaim: \"iss\" is a registered claim"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.field);
    json hub = hub_body(kApiHub);
    hub[json::json_pointer(c.field)] = c.value;
    EXPECT_TRUE(is_api_error(call(Verb::post, kHubsPath, token, hub.dump()), 400, 3, c.message));
  }
  EXPECT_TRUE(list(kHubsPath, token).empty());
}

}  // namespace
}  // namespace dps::itest
