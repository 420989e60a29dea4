// The minter is checked against libcrypto and RFC 7515/7518/7638 directly: the JWS is verified with
// a public key rebuilt from the JWKS x/y, decoded here without the module's own helpers.
#include "auth/embedded_token_minter.hpp"

#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/sha.h>
#include <sys/stat.h>

#include <atomic>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <thread>
#include <vector>

namespace dps::auth {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

constexpr std::chrono::seconds kValidity{3600};

// base64url -> bytes with libcrypto's plain base64 decoder (independent of auth/base64url).
std::string decode(std::string_view text) {
  std::string b64(text);
  for (char& c : b64) c = c == '-' ? '+' : c == '_' ? '/' : c;
  size_t pad = (4 - b64.size() % 4) % 4;
  b64.append(pad, '=');
  std::string out(b64.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(b64.data()),
                          static_cast<int>(b64.size()));
  EXPECT_GE(n, 0) << text;
  out.resize(static_cast<size_t>(n) - pad);
  return out;
}

std::vector<std::string> split_token(const std::string& token) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t dot = token.find('.'); dot != std::string::npos; dot = token.find('.', start)) {
    parts.push_back(token.substr(start, dot - start));
    start = dot + 1;
  }
  parts.push_back(token.substr(start));
  return parts;
}

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

Pkey public_key_from_jwks(const std::string& jwks) {
  json key = json::parse(jwks).at("keys").at(0);
  std::string point =
      "\x04" + decode(key.at("x").get<std::string>()) + decode(key.at("y").get<std::string>());
  EXPECT_EQ(point.size(), 65u);
  char group[] = "prime256v1";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
      OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()),
      OSSL_PARAM_construct_end()};
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr);
  EVP_PKEY* pkey = nullptr;
  EXPECT_EQ(EVP_PKEY_fromdata_init(ctx), 1);
  EXPECT_EQ(EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params), 1);
  EVP_PKEY_CTX_free(ctx);
  return Pkey(pkey);
}

// RFC 7518 §3.4: the JWS signature is R || S; libcrypto verifies DER, so convert back.
bool verifies(EVP_PKEY* key, const std::string& token) {
  auto parts = split_token(token);
  if (parts.size() != 3) return false;
  std::string raw = decode(parts[2]);
  if (raw.size() != 64) return false;
  ECDSA_SIG* sig = ECDSA_SIG_new();
  ECDSA_SIG_set0(sig, BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), 32, nullptr),
                 BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + 32, 32, nullptr));
  unsigned char* der = nullptr;
  int der_len = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);
  std::string input = parts[0] + "." + parts[1];
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok =
      EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1 &&
      EVP_DigestVerify(ctx, der, static_cast<size_t>(der_len),
                       reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  OPENSSL_free(der);
  return ok;
}

json part(const std::string& token, size_t index) {
  return json::parse(decode(split_token(token).at(index)));
}

class EmbeddedTokenMinterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("dps-auth-test-" + std::to_string(std::random_device{}()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<EmbeddedTokenMinter> make(std::string issuer = "https://dps.example.com") {
    auto minter = EmbeddedTokenMinter::load_or_create(dir_, std::move(issuer), kValidity);
    EXPECT_TRUE(minter) << minter.error().internal;
    return minter ? std::move(*minter) : nullptr;
  }

  static TokenRequest request() {
    return TokenRequest{"1",
                        "https://plgd.dev/owner",
                        "9c6d4fa2-1d4e-4e3b-8d8b-6a2b0c1f2e3d",
                        "https://plgd.dev/deviceId",
                        "d03a1bb4-0a77-428c-b78c-1c46efe6a38e",
                        "https://hub.example.com"};
  }

  fs::path dir_;
};

TEST_F(EmbeddedTokenMinterTest, TokenVerifiesWithKeyFromJwks) {
  auto minter = make();
  auto token = minter->token_for(request());
  ASSERT_TRUE(token) << token.error().internal;
  Pkey key = public_key_from_jwks(minter->jwks_json());
  ASSERT_TRUE(key);
  EXPECT_TRUE(verifies(key.get(), *token));

  std::string tampered = *token;
  tampered[tampered.find('.') + 2] ^= 1;  // flip a payload bit
  EXPECT_FALSE(verifies(key.get(), tampered));
}

TEST_F(EmbeddedTokenMinterTest, HeaderAndClaimsHaveExactNames) {
  auto minter = make();
  auto token = minter->token_for(request());
  ASSERT_TRUE(token);
  json header = part(*token, 0);
  EXPECT_EQ(header, json({{"alg", "ES256"}, {"typ", "JWT"}, {"kid", minter->key_id()}}));

  json claims = part(*token, 1);
  EXPECT_EQ(claims.at("iss"), "https://dps.example.com");
  EXPECT_EQ(claims.at("https://plgd.dev/owner"), "1");
  EXPECT_EQ(claims.at("https://plgd.dev/deviceId"), "9c6d4fa2-1d4e-4e3b-8d8b-6a2b0c1f2e3d");
  EXPECT_EQ(claims.at("aud"), "https://hub.example.com");
  EXPECT_TRUE(claims.at("jti").is_string());
  EXPECT_FALSE(claims.contains("sub"));
  EXPECT_EQ(claims.size(), 7u) << claims.dump();
}

TEST_F(EmbeddedTokenMinterTest, ExpIsIatPlusValidity) {
  auto token = make()->token_for(request());
  ASSERT_TRUE(token);
  json claims = part(*token, 1);
  auto now = std::chrono::duration_cast<std::chrono::seconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  EXPECT_LE(std::abs(claims.at("iat").get<int64_t>() - now), 5);
  EXPECT_EQ(claims.at("exp").get<int64_t>() - claims.at("iat").get<int64_t>(), kValidity.count());
}

TEST_F(EmbeddedTokenMinterTest, OmitsDeviceClaimAndAudienceWhenNotConfigured) {
  auto minter = make();
  TokenRequest no_claim_name = request();
  no_claim_name.device_id_claim.clear();
  no_claim_name.audience.clear();
  TokenRequest no_device = request();
  no_device.device_id.clear();
  for (const auto& r : {no_claim_name, no_device}) {
    auto token = minter->token_for(r);
    ASSERT_TRUE(token);
    json claims = part(*token, 1);
    EXPECT_FALSE(claims.contains("https://plgd.dev/deviceId")) << claims.dump();
    EXPECT_EQ(claims.contains("aud"), !r.audience.empty());
  }
}

TEST_F(EmbeddedTokenMinterTest, OwnerClaimSubIsAllowed) {
  TokenRequest r = request();
  r.owner_claim = "sub";
  auto token = make()->token_for(r);
  ASSERT_TRUE(token);
  EXPECT_EQ(part(*token, 1).at("sub"), "1");
}

TEST_F(EmbeddedTokenMinterTest, RefusesMissingOwnerAndRegisteredClaimNames) {
  auto minter = make();
  TokenRequest no_owner = request();
  no_owner.owner.clear();
  TokenRequest exp_claim = request();
  exp_claim.owner_claim = "exp";
  TokenRequest same_names = request();
  same_names.device_id_claim = same_names.owner_claim;
  for (const auto& r : {no_owner, exp_claim, same_names}) {
    auto token = minter->token_for(r);
    ASSERT_FALSE(token);
    EXPECT_EQ(token.error().code, ErrorCode::BadRequest);
  }
}

TEST_F(EmbeddedTokenMinterTest, IssuerDefaultsToDps) {
  auto minter = make("");
  EXPECT_EQ(minter->issuer(), "dps");
  auto token = minter->token_for(request());
  ASSERT_TRUE(token);
  EXPECT_EQ(part(*token, 1).at("iss"), "dps");
}

TEST_F(EmbeddedTokenMinterTest, JwksHasThePublicJwkWithRfc7638Kid) {
  auto minter = make();
  json jwks = json::parse(minter->jwks_json());
  ASSERT_EQ(jwks.at("keys").size(), 1u);
  json key = jwks["keys"][0];
  EXPECT_EQ(key.at("kty"), "EC");
  EXPECT_EQ(key.at("crv"), "P-256");
  EXPECT_EQ(key.at("use"), "sig");
  EXPECT_EQ(key.at("alg"), "ES256");
  for (const char* coordinate : {"x", "y"}) {
    std::string text = key.at(coordinate);
    EXPECT_EQ(text.find('='), std::string::npos);
    EXPECT_EQ(decode(text).size(), 32u);
  }
  std::string canonical = R"({"crv":"P-256","kty":"EC","x":")" + key["x"].get<std::string>() +
                          R"(","y":")" + key["y"].get<std::string>() + R"("})";
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(canonical.data()), canonical.size(), digest);
  EXPECT_EQ(decode(key.at("kid").get<std::string>()),
            std::string(reinterpret_cast<char*>(digest), sizeof digest));

  std::ifstream file(dir_ / "jwks.json");
  std::string on_disk((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  EXPECT_EQ(on_disk, minter->jwks_json());
}

TEST_F(EmbeddedTokenMinterTest, ReusesKeyAcrossStarts) {
  std::string first_kid = make()->key_id();
  auto second = make();
  EXPECT_EQ(second->key_id(), first_kid);
  // A token of the second instance verifies with the JWKS the first one wrote.
  auto token = second->token_for(request());
  ASSERT_TRUE(token);
  std::ifstream file(dir_ / "jwks.json");
  std::string jwks((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  EXPECT_TRUE(verifies(public_key_from_jwks(jwks).get(), *token));
}

TEST_F(EmbeddedTokenMinterTest, CreatesKeyFileWithMode0600) {
  make();
  struct stat st {};
  ASSERT_EQ(::stat((dir_ / "token-signing.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(EmbeddedTokenMinterTest, RefusesKeyFileThatIsNotP256) {
  std::ofstream(dir_ / "token-signing.key") << "not a key\n";
  auto minter = EmbeddedTokenMinter::load_or_create(dir_, "", kValidity);
  ASSERT_FALSE(minter);
  EXPECT_NE(minter.error().internal.find("token-signing.key"), std::string::npos);
}

TEST_F(EmbeddedTokenMinterTest, RefusesNonPositiveValidity) {
  EXPECT_FALSE(EmbeddedTokenMinter::load_or_create(dir_, "", std::chrono::seconds{0}));
}

TEST_F(EmbeddedTokenMinterTest, ThousandTokensFromFourThreadsAllVerify) {
  auto minter = make();
  Pkey key = public_key_from_jwks(minter->jwks_json());
  constexpr int kThreads = 4;
  constexpr int kPerThread = 250;
  std::vector<std::vector<std::string>> tokens(kThreads);
  std::atomic<int> failures{0};
  {
    std::vector<std::jthread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kPerThread; ++i) {
          TokenRequest r = request();
          r.device_id = std::to_string(t) + "-" + std::to_string(i);
          auto token = minter->token_for(r);
          if (token)
            tokens[t].push_back(std::move(*token));
          else
            failures++;
        }
      });
    }
  }
  EXPECT_EQ(failures.load(), 0);
  std::set<std::string> jtis;
  for (int t = 0; t < kThreads; ++t) {
    ASSERT_EQ(tokens[t].size(), static_cast<size_t>(kPerThread));
    for (int i = 0; i < kPerThread; ++i) {
      ASSERT_TRUE(verifies(key.get(), tokens[t][i]));
      json claims = part(tokens[t][i], 1);
      EXPECT_EQ(claims.at("https://plgd.dev/deviceId"),
                std::to_string(t) + "-" + std::to_string(i));
      jtis.insert(claims.at("jti").get<std::string>());
    }
  }
  EXPECT_EQ(jtis.size(), static_cast<size_t>(kThreads * kPerThread));
}

}  // namespace
}  // namespace dps::auth
