// OidcKeyProvider against a real local authority (TestAuthority): discovery, caching, rotation
// through refresh_soon, its rate limit, failures, TLS checks. No sleeps: every wait is on a
// condition with a deadline.
#include "auth/oidc_key_provider.hpp"

#include <gtest/gtest.h>

#include "auth/composite_key_provider.hpp"
#include "auth/jwks.hpp"
#include "auth/jwt_verifier.hpp"
#include "auth/static_key_provider.hpp"
#include "support/jwt_test_tokens.hpp"
#include "support/test_pki.hpp"
#include "test_authority.hpp"

namespace dps::auth {
namespace {

using namespace std::chrono_literals;
using test::json;
using test::KeyType;
using test::TestAuthority;

constexpr auto kWait = 10s;

struct SigningKey {
  std::string kid;
  std::string issuer;  // `iss` of its tokens: its authority's
  pki::EvpPkeyPtr key = test::make_key(KeyType::P256);

  json jwk() const { return test::public_jwk(key.get(), kid, "ES256"); }
  std::string token(const std::string& owner = "owner-1") const {
    return token_claiming(issuer, owner);
  }
  /// A token with `iss` = `claimed_issuer`, or without iss when it is empty.
  std::string token_claiming(const std::string& claimed_issuer,
                             const std::string& owner = "owner-1") const {
    json claims = test::valid_claims(owner);
    claims.erase("iss");
    if (!claimed_issuer.empty()) claims["iss"] = claimed_issuer;
    return test::sign_token(key.get(), "ES256", {{"kid", kid}}, claims);
  }
};

std::shared_ptr<OidcKeyProvider> start(const std::string& authority,
                                       OidcKeyProviderOptions options = {}) {
  options.authority = authority;
  auto provider = OidcKeyProvider::start(std::move(options));
  EXPECT_TRUE(provider) << provider.error().internal;
  return provider ? *provider : nullptr;
}

// Waits, attempt by attempt, until the provider holds keys.
bool wait_for_keys(const OidcKeyProvider& provider) {
  const auto deadline = std::chrono::steady_clock::now() + kWait;
  while (!provider.status().has_keys && std::chrono::steady_clock::now() < deadline) {
    provider.wait_for_attempts(provider.status().attempts + 1, kWait);
  }
  return provider.status().has_keys;
}

class OidcKeyProviderTest : public ::testing::Test {
 protected:
  void SetUp() override { authority_.set_jwks(test::jwks(json::array({first_.jwk()}))); }

  TestAuthority authority_;
  SigningKey first_{"first", authority_.url()};
  SigningKey second_{"second", authority_.url()};
  SigningKey third_{"third", authority_.url()};
};

TEST_F(OidcKeyProviderTest, FetchesKeysOnceForManyVerifications) {
  auto provider = start(authority_.url());
  ASSERT_TRUE(provider->wait_for_attempts(1, kWait));
  JwtVerifier verifier({}, provider);
  const std::string token = first_.token();
  for (int i = 0; i < 500; ++i) {
    auto verified = verifier.verify(token);
    ASSERT_TRUE(verified) << verified.error().internal;
  }
  EXPECT_EQ(authority_.discovery_requests(), 1);
  EXPECT_EQ(authority_.jwks_requests(), 1);
  EXPECT_EQ(provider->status().attempts, 1u);
  EXPECT_TRUE(provider->status().has_keys);
}

TEST_F(OidcKeyProviderTest, PicksUpRotatedKeyAfterUnknownKid) {
  auto provider = start(authority_.url());
  ASSERT_TRUE(provider->wait_for_attempts(1, kWait));
  JwtVerifier verifier({}, provider);
  authority_.set_jwks(test::jwks(json::array({first_.jwk(), second_.jwk()})));

  auto refused = verifier.verify(second_.token());
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::Unauthenticated);
  EXPECT_NE(refused.error().internal.find("unknown key id \"second\""), std::string::npos);

  ASSERT_TRUE(provider->wait_for_attempts(2, kWait));
  auto verified = verifier.verify(second_.token());
  ASSERT_TRUE(verified) << verified.error().internal;
  EXPECT_TRUE(verifier.verify(first_.token()));
  EXPECT_EQ(authority_.jwks_requests(), 2);
}

TEST_F(OidcKeyProviderTest, CoalescesOnDemandRefreshesWithinRateLimit) {
  OidcKeyProviderOptions options;
  options.on_demand_interval = 1s;
  auto provider = start(authority_.url(), options);
  ASSERT_TRUE(provider->wait_for_attempts(1, kWait));
  JwtVerifier verifier({}, provider);

  // The first unknown kid is fetched at once ...
  authority_.set_jwks(test::jwks(json::array({second_.jwk()})));
  EXPECT_FALSE(verifier.verify(second_.token()));
  ASSERT_TRUE(provider->wait_for_attempts(2, kWait));
  ASSERT_TRUE(verifier.verify(second_.token()));

  // ... a burst right after waits out the window and becomes one fetch.
  authority_.set_jwks(test::jwks(json::array({third_.jwk()})));
  for (int i = 0; i < 100; ++i) {
    EXPECT_FALSE(verifier.verify(third_.token()));
  }
  ASSERT_TRUE(provider->wait_for_attempts(3, kWait));
  EXPECT_TRUE(verifier.verify(third_.token()));
  EXPECT_EQ(authority_.jwks_requests(), 3);
  const auto times = authority_.jwks_request_times();
  ASSERT_EQ(times.size(), 3u);
  // 1 s after the start of the previous on-demand fetch, which began before its request.
  EXPECT_GE(times[2] - times[1], 900ms);
}

TEST_F(OidcKeyProviderTest, UnreachableAuthorityIsUnavailable) {
  auto provider = start("http://127.0.0.1:" + std::to_string(test::unused_port()));
  ASSERT_TRUE(provider->wait_for_attempts(1, kWait));
  EXPECT_EQ(provider->current(), nullptr);
  const auto status = provider->status();
  EXPECT_GE(status.failures, 1u);  // GE: retries run on their own schedule
  EXPECT_FALSE(status.has_keys);
  EXPECT_NE(status.last_error.find("connect"), std::string::npos) << status.last_error;
  auto result = JwtVerifier({}, provider).verify(first_.token());
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::Unavailable);
  // A request without keys also asks for an early retry.
  EXPECT_TRUE(provider->wait_for_attempts(2, kWait));
}

TEST_F(OidcKeyProviderTest, RecoversWhenAuthorityComesBack) {
  authority_.set_mode(TestAuthority::Mode::Fail500);
  auto provider = start(authority_.url());
  ASSERT_TRUE(provider->wait_for_attempts(1, kWait));
  EXPECT_NE(provider->status().last_error.find("HTTP 500"), std::string::npos);
  JwtVerifier verifier({}, provider);
  EXPECT_EQ(verifier.verify(first_.token()).error().code, ErrorCode::Unavailable);

  authority_.set_mode(TestAuthority::Mode::Serve);
  ASSERT_TRUE(wait_for_keys(*provider));  // the next retry (1 s) or the early one verify asked for
  EXPECT_TRUE(verifier.verify(first_.token()));
}

TEST_F(OidcKeyProviderTest, KeepsLastKeysWhileAuthorityFails) {
  auto provider = start(authority_.url());
  ASSERT_TRUE(provider->wait_for_attempts(1, kWait));
  authority_.set_mode(TestAuthority::Mode::Fail500);
  provider->refresh_soon();
  ASSERT_TRUE(provider->wait_for_attempts(2, kWait));
  EXPECT_EQ(provider->status().failures, 1u);
  EXPECT_TRUE(JwtVerifier({}, provider).verify(first_.token()));
}

TEST_F(OidcKeyProviderTest, SilentAuthorityTimesOut) {
  authority_.set_mode(TestAuthority::Mode::Silent);
  OidcKeyProviderOptions options;
  options.timeout = 300ms;
  auto provider = start(authority_.url(), options);
  ASSERT_TRUE(provider->wait_for_attempts(1, kWait));
  EXPECT_NE(provider->status().last_error.find("no answer within 300 ms"), std::string::npos)
      << provider->status().last_error;
}

TEST_F(OidcKeyProviderTest, RefusesPlainHttpBeyondLoopback) {
  OidcKeyProviderOptions options;
  options.authority = "http://auth.example.com";
  auto remote = OidcKeyProvider::start(options);
  ASSERT_FALSE(remote);
  EXPECT_EQ(remote.error().code, ErrorCode::BadRequest);

  authority_.set_discovery(
      json{{"issuer", authority_.url()}, {"jwks_uri", "http://keys.example.com/keys"}}.dump());
  auto provider = start(authority_.url());
  ASSERT_TRUE(provider->wait_for_attempts(1, kWait));
  EXPECT_NE(provider->status().last_error.find("must be https"), std::string::npos);
  EXPECT_EQ(authority_.jwks_requests(), 0);
}

TEST_F(OidcKeyProviderTest, CompositeAcceptsBothAuthoritiesAndKnowsWhatIsMissing) {
  SigningKey local{"local", "https://dps.local"};
  auto local_keys = StaticKeyProvider::from_json(test::jwks(json::array({local.jwk()})),
                                                 {.issuer = local.issuer, .required_audience = {}});
  ASSERT_TRUE(local_keys);
  auto down = start("http://127.0.0.1:" + std::to_string(test::unused_port()));
  auto up = start(authority_.url());
  ASSERT_TRUE(up->wait_for_attempts(1, kWait));
  ASSERT_TRUE(down->wait_for_attempts(1, kWait));

  auto composite = std::make_shared<CompositeKeyProvider>(
      std::vector<std::shared_ptr<KeyProvider>>{*local_keys, up, down});
  JwtVerifier verifier({}, composite);
  EXPECT_TRUE(verifier.verify(local.token()));
  EXPECT_TRUE(verifier.verify(first_.token()));
  EXPECT_EQ(composite->current(), composite->current());  // merged once, not per request
  // An unknown kid may belong to the authority that is down: retry later, not "bad token".
  EXPECT_EQ(verifier.verify(second_.token()).error().code, ErrorCode::Unavailable);
}

// Two real authorities behind one verifier (issue 12): each key is remembered with the authority
// it came from, so neither authority can mint tokens in the other's name.
TEST_F(OidcKeyProviderTest, AuthoritysKeyCannotSignForAnotherIssuer) {
  TestAuthority other;
  SigningKey b_key{"b-key", other.url()};
  other.set_jwks(test::jwks(json::array({b_key.jwk()})));
  auto a = start(authority_.url());
  auto b = start(other.url());
  ASSERT_TRUE(wait_for_keys(*a));
  ASSERT_TRUE(wait_for_keys(*b));
  JwtVerifier verifier(
      {}, std::make_shared<CompositeKeyProvider>(std::vector<std::shared_ptr<KeyProvider>>{a, b}));
  ASSERT_TRUE(verifier.verify(first_.token()));
  ASSERT_TRUE(verifier.verify(b_key.token()));

  struct Case {
    std::string token;
    std::string reason;
  };
  const auto key_of = [](const std::string& url) {
    return "(the key that signed it is \"" + url + "\"'s)";
  };
  const std::vector<Case> cases{
      {first_.token_claiming(other.url()), "token issuer \"" + other.url() +
                                               "\" is not the issuer of its signing key " +
                                               key_of(authority_.url())},
      {b_key.token_claiming(authority_.url()), "token issuer \"" + authority_.url() +
                                                   "\" is not the issuer of its signing key " +
                                                   key_of(other.url())},
      {first_.token_claiming(""), "token has no \"iss\" string " + key_of(authority_.url())},
      {b_key.token_claiming(""), "token has no \"iss\" string " + key_of(other.url())},
  };
  for (const Case& c : cases) {
    auto refused = verifier.verify(c.token);
    ASSERT_FALSE(refused) << c.reason;
    EXPECT_EQ(refused.error().code, ErrorCode::Unauthenticated);
    EXPECT_EQ(refused.error().internal, c.reason);
  }
}

TEST_F(OidcKeyProviderTest, DiscoveryDocumentOfAnotherIssuerGivesNoKeys) {
  for (const std::string& issuer : {std::string("https://attacker.example"),
                                    authority_.url() + "/realms/other", std::string()}) {
    TestAuthority impostor;
    impostor.set_jwks(test::jwks(json::array({first_.jwk()})));
    json doc{{"jwks_uri", impostor.url() + "/keys"}};
    if (!issuer.empty()) doc["issuer"] = issuer;
    impostor.set_discovery(doc.dump());
    auto provider = start(impostor.url());
    ASSERT_TRUE(provider->wait_for_attempts(1, kWait));
    EXPECT_EQ(provider->current(), nullptr) << issuer;
    const std::string error = provider->status().last_error;
    if (issuer.empty()) {
      EXPECT_NE(error.find("discovery document has no \"issuer\" string"), std::string::npos)
          << error;
    } else {
      EXPECT_NE(error.find("discovery document issuer \"" + issuer +
                           "\" is not the configured authority \"" + impostor.url() + "\""),
                std::string::npos)
          << error;
    }
    EXPECT_EQ(impostor.jwks_requests(), 0) << "keys fetched for a foreign issuer";
    EXPECT_EQ(JwtVerifier({}, provider).verify(first_.token()).error().code,
              ErrorCode::Unavailable);
  }
}

// Discovery §4.1 drops a trailing '/' of the issuer before appending the well-known path, so
// both spellings name one document; tokens must then carry the document's spelling exactly.
TEST_F(OidcKeyProviderTest, TrailingSlashOfIssuerIsToleratedOnlyAgainstTheConfiguration) {
  authority_.set_discovery(
      json{{"issuer", authority_.url() + "/"}, {"jwks_uri", authority_.url() + "/keys"}}.dump());
  auto provider = start(authority_.url());
  ASSERT_TRUE(wait_for_keys(*provider)) << provider->status().last_error;
  JwtVerifier verifier({}, provider);
  EXPECT_TRUE(verifier.verify(first_.token_claiming(authority_.url() + "/")));
  auto refused = verifier.verify(first_.token_claiming(authority_.url()));
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().internal.find("is not the issuer of its signing key"),
            std::string::npos);

  // The configuration may spell it with the slash while the document does not.
  TestAuthority plain;
  plain.set_jwks(test::jwks(json::array({first_.jwk()})));
  auto slashed = start(plain.url() + "/");
  ASSERT_TRUE(wait_for_keys(*slashed)) << slashed->status().last_error;
  EXPECT_TRUE(JwtVerifier({}, slashed).verify(first_.token_claiming(plain.url())));
}

struct TlsAuthority {
  test::TestCa ca = test::make_root_ca("Test IdP CA");
  test::TestCert leaf = test::make_leaf(ca, {.common_name = "localhost"});
  TestAuthority authority{TestAuthority::Tls{leaf.cert_pem(), leaf.key_pem()}};
};

TEST(OidcKeyProviderTls, VerifiesAuthorityCertificateAgainstConfiguredCa) {
  TlsAuthority tls;
  SigningKey key{"tls", tls.authority.url()};
  tls.authority.set_jwks(test::jwks(json::array({key.jwk()})));
  OidcKeyProviderOptions options;
  options.ca_pem = tls.ca.cert_pem();
  auto provider = start(tls.authority.url(), options);
  ASSERT_TRUE(provider->wait_for_attempts(1, kWait));
  EXPECT_TRUE(JwtVerifier({}, provider).verify(key.token())) << provider->status().last_error;
}

TEST(OidcKeyProviderTls, RefusesCertificateOfAnotherCaOrName) {
  TlsAuthority tls;
  OidcKeyProviderOptions other_ca;
  other_ca.ca_pem = test::make_root_ca("Someone else").cert_pem();
  auto untrusted = start(tls.authority.url(), other_ca);

  OidcKeyProviderOptions right_ca;
  right_ca.ca_pem = tls.ca.cert_pem();
  // The certificate names "localhost", not the address.
  auto wrong_name = start("https://127.0.0.1:" + std::to_string(tls.authority.port()), right_ca);
  for (const auto& provider : {untrusted, wrong_name}) {
    ASSERT_TRUE(provider->wait_for_attempts(1, kWait));
    EXPECT_NE(provider->status().last_error.find("TLS handshake"), std::string::npos)
        << provider->status().last_error;
    EXPECT_EQ(provider->current(), nullptr);
  }
  EXPECT_EQ(tls.authority.discovery_requests(), 0);
}

}  // namespace
}  // namespace dps::auth
