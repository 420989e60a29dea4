#include "pki/csr.hpp"

#include <gtest/gtest.h>

#include <string>

#include "support/test_pki.hpp"

namespace dps::pki {
namespace {

constexpr std::string_view kDeviceId = "9a4c1b7e-2f3d-4e5a-8b6c-7d8e9f0a1b2c";
const std::string kCn = "uuid:" + std::string(kDeviceId);

class CsrAcceptsCurve : public testing::TestWithParam<test::KeyType> {};

TEST_P(CsrAcceptsCurve, ReturnsRequestAndDeviceId) {
  const auto key = test::make_key(GetParam());
  auto csr = validate_csr(test::make_csr_pem(key.get(), kCn), kDeviceId);
  ASSERT_TRUE(csr) << csr.error().internal;
  EXPECT_EQ(csr->device_id, kDeviceId);
  ASSERT_TRUE(csr->request);
  EXPECT_EQ(EVP_PKEY_eq(X509_REQ_get0_pubkey(csr->request.get()), key.get()), 1);
}

INSTANTIATE_TEST_SUITE_P(DeviceCurves, CsrAcceptsCurve,
                         testing::Values(test::KeyType::P256, test::KeyType::P384));

TEST(ValidateCsr, WithoutExpectedDeviceIdTakesItFromTheCommonName) {
  const auto key = test::make_key();
  auto csr = validate_csr(test::make_csr_pem(key.get(), kCn), std::nullopt);
  ASSERT_TRUE(csr) << csr.error().internal;
  EXPECT_EQ(csr->device_id, kDeviceId);
}

TEST(ValidateCsr, ComparesDeviceIdsAsUuidsAndReturnsLowercase) {
  const auto key = test::make_key();
  const std::string upper = "9A4C1B7E-2F3D-4E5A-8B6C-7D8E9F0A1B2C";
  auto csr = validate_csr(test::make_csr_pem(key.get(), "uuid:" + upper), kDeviceId);
  ASSERT_TRUE(csr) << csr.error().internal;
  EXPECT_EQ(csr->device_id, kDeviceId);
  EXPECT_TRUE(validate_csr(test::make_csr_pem(key.get(), kCn), upper));
}

TEST(ValidateCsr, AcceptsSha384Signature) {
  const auto key = test::make_key(test::KeyType::P384);
  EXPECT_TRUE(validate_csr(test::make_csr_pem(key.get(), kCn, {EVP_sha384()}), kDeviceId));
}

struct RefusedKey {
  test::KeyType type;
  std::string message;
};

class CsrRefusesKey : public testing::TestWithParam<RefusedKey> {};

TEST_P(CsrRefusesKey, WithTheKeyNamed) {
  const auto key = test::make_key(GetParam().type);
  const EVP_MD* digest = GetParam().type == test::KeyType::Ed25519 ? nullptr : EVP_sha256();
  auto csr = validate_csr(test::make_csr_pem(key.get(), kCn, {digest}), kDeviceId);
  ASSERT_FALSE(csr);
  EXPECT_EQ(csr.error().code, ErrorCode::BadRequest);
  EXPECT_EQ(csr.error().internal, GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    KeyPolicy, CsrRefusesKey,
    testing::Values(
        RefusedKey{test::KeyType::Rsa2048, "CSR key must be EC P-256 or P-384, got RSA-2048"},
        RefusedKey{test::KeyType::Secp256k1, "CSR key must be EC P-256 or P-384, got EC secp256k1"},
        RefusedKey{test::KeyType::Ed25519, "CSR key must be EC P-256 or P-384, got ED25519"}));

TEST(ValidateCsr, RefusesBadSignature) {
  const auto key = test::make_key();
  auto csr = validate_csr(test::make_csr_pem_with_bad_signature(key.get(), kCn), kDeviceId);
  ASSERT_FALSE(csr);
  EXPECT_EQ(csr.error().code, ErrorCode::BadRequest);
  EXPECT_EQ(csr.error().internal, "CSR signature does not verify");
}

TEST(ValidateCsr, RefusesSha1Signature) {
  const auto key = test::make_key();
  auto csr = validate_csr(test::make_csr_pem(key.get(), kCn, {EVP_sha1()}), kDeviceId);
  ASSERT_FALSE(csr);
  EXPECT_EQ(csr.error().internal,
            "CSR signature algorithm ecdsa-with-SHA1 is too weak: use SHA-256");
}

class CsrRefusesCommonName : public testing::TestWithParam<std::string> {};

TEST_P(CsrRefusesCommonName, NotOfTheUuidForm) {
  const auto key = test::make_key();
  auto csr = validate_csr(test::make_csr_pem(key.get(), GetParam()), std::nullopt);
  ASSERT_FALSE(csr);
  EXPECT_EQ(csr.error().code, ErrorCode::BadRequest);
  EXPECT_EQ(csr.error().internal, "CSR common name \"" + GetParam() + "\" is not uuid:<UUID>");
}

INSTANTIATE_TEST_SUITE_P(Forms, CsrRefusesCommonName,
                         testing::Values("foo", "uuid:", "uuid:not-a-uuid",
                                         "UUID:9a4c1b7e-2f3d-4e5a-8b6c-7d8e9f0a1b2c",
                                         "9a4c1b7e-2f3d-4e5a-8b6c-7d8e9f0a1b2c",
                                         "uuid:00000000-0000-0000-0000-000000000000",
                                         "uuid:{9a4c1b7e-2f3d-4e5a-8b6c-7d8e9f0a1b2c}"));

TEST(ValidateCsr, RefusesCommonNameThatDoesNotMatchDi) {
  const auto key = test::make_key();
  const std::string other = "11111111-2222-4333-8444-555555555555";
  auto csr = validate_csr(test::make_csr_pem(key.get(), kCn), other);
  ASSERT_FALSE(csr);
  EXPECT_EQ(csr.error().code, ErrorCode::BadRequest);
  EXPECT_EQ(csr.error().internal, "CSR common name uuid:" + std::string(kDeviceId) +
                                      " does not match di \"" + other + "\"");
}

TEST(ValidateCsr, RefusesDiThatIsNotAUuid) {
  const auto key = test::make_key();
  auto csr = validate_csr(test::make_csr_pem(key.get(), kCn), "device-1");
  ASSERT_FALSE(csr);
  EXPECT_EQ(csr.error().internal,
            "CSR common name uuid:" + std::string(kDeviceId) + " does not match di \"device-1\"");
}

TEST(ValidateCsr, DiWithInvalidUtf8IsQuotedAsValidText) {
  // The message becomes a CoAP diagnostic payload, which must be UTF-8 (RFC 7252 §5.5.2).
  const auto key = test::make_key();
  const std::string di = "\xe2\x82" + std::string(100, 'x');  // a cut euro sign, then 100 bytes
  auto csr = validate_csr(test::make_csr_pem(key.get(), kCn), di);
  ASSERT_FALSE(csr);
  EXPECT_EQ(csr.error().internal, "CSR common name uuid:" + std::string(kDeviceId) +
                                      " does not match di \"??" + std::string(62, 'x') + "...\"");
}

TEST(ValidateCsr, RefusesTextThatIsNotAPemRequest) {
  for (const std::string input : {"", "hello",
                                  "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n"
                                  "-----END CERTIFICATE REQUEST-----\n"}) {
    auto csr = validate_csr(input, std::nullopt);
    ASSERT_FALSE(csr) << input;
    EXPECT_EQ(csr.error().code, ErrorCode::BadRequest);
    EXPECT_EQ(csr.error().peer_message(), "CSR is not a PEM certificate request");
  }
}

TEST(ValidateCsr, RefusesACertificateInsteadOfARequest) {
  const auto root = test::make_root_ca("Not A CSR");
  auto csr = validate_csr(root.cert_pem(), std::nullopt);
  ASSERT_FALSE(csr);
  EXPECT_EQ(csr.error().code, ErrorCode::BadRequest);
}

}  // namespace
}  // namespace dps::pki
