// The device key hash an individual enrollment stores: the same value whichever way the operator
// names the device, and the value the handshake computes from the leaf (spki_sha256_hex).
#include "pki/device_key.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <string>

#include "pki/x509_util.hpp"
#include "support/jwt_test_tokens.hpp"
#include "support/test_pki.hpp"

namespace dps::pki {
namespace {

const test::TestCa& issuer() {
  static const test::TestCa ca = test::make_root_ca("Device Key Root");
  return ca;
}

TEST(DeviceKeyHash, OfACertificateEqualsOfItsPublicKeyAndTheHandshakesHash) {
  for (const auto type : {test::KeyType::P256, test::KeyType::P384}) {
    const auto leaf = test::make_leaf(issuer(), {.key_type = type});
    const auto by_cert = device_key_hash_of_certificate(leaf.cert_pem());
    ASSERT_TRUE(by_cert) << by_cert.error().internal;
    const auto by_key = device_key_hash_of_public_key(test::public_key_pem(leaf.key.get()));
    ASSERT_TRUE(by_key) << by_key.error().internal;
    EXPECT_EQ(*by_cert, *by_key);
    EXPECT_EQ(*by_cert, spki_sha256_hex(leaf.get()));
    EXPECT_EQ(by_cert->size(), 64u);
  }
}

TEST(DeviceKeyHash, OfACertificateChainIsTheFirstCertificatesKey) {
  const auto leaf = test::make_leaf(issuer());
  const auto hash = device_key_hash_of_certificate(leaf.cert_pem() + issuer().cert_pem());
  ASSERT_TRUE(hash) << hash.error().internal;
  EXPECT_EQ(*hash, spki_sha256_hex(leaf.get()));
}

TEST(DeviceKeyHash, KeysNoDeviceHoldsAreRefusedAndNamed) {
  for (const auto type :
       {test::KeyType::Rsa2048, test::KeyType::Secp256k1, test::KeyType::Ed25519}) {
    const auto leaf = test::make_leaf(issuer(), {.key_type = type});
    const auto by_cert = device_key_hash_of_certificate(leaf.cert_pem());
    ASSERT_FALSE(by_cert);
    EXPECT_EQ(by_cert.error().code, ErrorCode::BadRequest);
    EXPECT_NE(by_cert.error().internal.find(describe_key(leaf.key.get())), std::string::npos)
        << by_cert.error().internal;
    const auto by_key = device_key_hash_of_public_key(test::public_key_pem(leaf.key.get()));
    ASSERT_FALSE(by_key);
    EXPECT_EQ(by_key.error().code, ErrorCode::BadRequest);
    EXPECT_NE(by_key.error().internal.find("P-256 or P-384"), std::string::npos);
  }
}

TEST(DeviceKeyHash, NonPemInputIsBadRequest) {
  const auto leaf = test::make_leaf(issuer());
  EXPECT_EQ(device_key_hash_of_certificate("not a certificate").error().code,
            ErrorCode::BadRequest);
  // A certificate is not a public key PEM, nor a private key.
  EXPECT_EQ(device_key_hash_of_public_key(leaf.cert_pem()).error().code, ErrorCode::BadRequest);
  EXPECT_EQ(device_key_hash_of_public_key(leaf.key_pem()).error().code, ErrorCode::BadRequest);
  EXPECT_EQ(device_key_hash_of_public_key("").error().code, ErrorCode::BadRequest);
}

TEST(ParseDeviceKeyHash, NormalisesUppercaseHex) {
  const auto leaf = test::make_leaf(issuer());
  const std::string lower = spki_sha256_hex(leaf.get());
  std::string upper = lower;
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  ASSERT_NE(upper, lower);
  const auto parsed = parse_device_key_hash(upper);
  ASSERT_TRUE(parsed) << parsed.error().internal;
  EXPECT_EQ(*parsed, lower);
  EXPECT_EQ(parse_device_key_hash(lower).value_or(""), lower);
}

TEST(ParseDeviceKeyHash, RefusesAnythingButSixtyFourHexDigits) {
  const std::string good(64, 'a');
  ASSERT_TRUE(parse_device_key_hash(good));
  for (const std::string& bad :
       {std::string(63, 'a'), std::string(65, 'a'), std::string(63, 'a') + "g",
        std::string(63, 'a') + " ", " " + std::string(63, 'a'),
        std::string(32, 'a') + ":" + std::string(31, 'a'),
        std::string(63, 'a') + std::string(1, '\0'), std::string{}}) {
    const auto parsed = parse_device_key_hash(bad);
    ASSERT_FALSE(parsed) << bad;
    EXPECT_EQ(parsed.error().code, ErrorCode::BadRequest);
    EXPECT_NE(parsed.error().internal.find("64 hex digits"), std::string::npos);
  }
}

}  // namespace
}  // namespace dps::pki
