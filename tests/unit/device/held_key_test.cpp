// make_held_ec_key: libssl-facing EC keys whose signing runs elsewhere (a TPM in production; a
// software key standing in for it here). Each signature is one call to the holder, the result
// verifies with the public key, a holder's failure fails the signature, and only EC keys can be
// held.
#include "device/held_key.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <memory>
#include <string>
#include <vector>

namespace dps::device {
namespace {

using PkeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)>;

PkeyPtr generate(const char* type) {
  return PkeyPtr(std::string(type) == "RSA"
                     ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048})
                     : EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"),
                 &EVP_PKEY_free);
}

// What the holder does with a digest: the raw ECDSA signature of the key it keeps.
Result<std::vector<uint8_t>> sign_with(EVP_PKEY* key, std::span<const uint8_t> digest) {
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new(key, nullptr), &EVP_PKEY_CTX_free);
  size_t length = 0;
  if (!ctx || EVP_PKEY_sign_init(ctx.get()) != 1 ||
      EVP_PKEY_sign(ctx.get(), nullptr, &length, digest.data(), digest.size()) != 1) {
    return fail(ErrorCode::Internal, "sign");
  }
  std::vector<uint8_t> signature(length);
  if (EVP_PKEY_sign(ctx.get(), signature.data(), &length, digest.data(), digest.size()) != 1) {
    return fail(ErrorCode::Internal, "sign");
  }
  signature.resize(length);
  return signature;
}

// EVP_DigestSign with `key` over `message` (SHA-256), as libssl signs a CertificateVerify.
std::vector<uint8_t> digest_sign(EVP_PKEY* key, const std::string& message) {
  MdCtxPtr ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  size_t length = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &length,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1) {
    return {};
  }
  std::vector<uint8_t> signature(length);
  if (EVP_DigestSign(ctx.get(), signature.data(), &length,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1) {
    return {};
  }
  signature.resize(length);
  return signature;
}

bool verifies(EVP_PKEY* key, const std::string& message, const std::vector<uint8_t>& signature) {
  MdCtxPtr ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  return ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) == 1 &&
         EVP_DigestVerify(ctx.get(), signature.data(), signature.size(),
                          reinterpret_cast<const unsigned char*>(message.data()),
                          message.size()) == 1;
}

TEST(HeldKey, SignsThroughTheHolderOncePerSignatureAndVerifiesWithThePublicKey) {
  const auto secret = generate("EC");
  ASSERT_TRUE(secret);
  auto calls = std::make_shared<int>(0);
  EVP_PKEY* holder_key = secret.get();
  auto held = make_held_ec_key(secret.get(), [calls, holder_key](std::span<const uint8_t> digest) {
    ++*calls;
    EXPECT_EQ(digest.size(), 32u);  // SHA-256, as asked
    return sign_with(holder_key, digest);
  });
  ASSERT_TRUE(held) << held.error().internal;
  EXPECT_EQ(EVP_PKEY_eq(held->get(), secret.get()), 1) << "the same public key";

  const std::string message = "TLS 1.3, client CertificateVerify";
  const auto signature = digest_sign(held->get(), message);
  ASSERT_FALSE(signature.empty());
  EXPECT_EQ(*calls, 1);
  EXPECT_TRUE(verifies(secret.get(), message, signature));
  EXPECT_FALSE(verifies(secret.get(), message + ".", signature));
}

TEST(HeldKey, AHolderThatFailsFailsTheSignature) {
  const auto secret = generate("EC");
  ASSERT_TRUE(secret);
  auto held = make_held_ec_key(secret.get(), [](std::span<const uint8_t>) {
    return Result<std::vector<uint8_t>>(fail(ErrorCode::Unavailable, "TPM gone"));
  });
  ASSERT_TRUE(held) << held.error().internal;
  EXPECT_TRUE(digest_sign(held->get(), "anything").empty());
}

TEST(HeldKey, OnlyEcKeysCanBeHeld) {
  const auto rsa = generate("RSA");
  ASSERT_TRUE(rsa);
  auto held = make_held_ec_key(rsa.get(), [](std::span<const uint8_t>) {
    return Result<std::vector<uint8_t>>(std::vector<uint8_t>{});
  });
  ASSERT_FALSE(held);
  EXPECT_EQ(held.error().code, ErrorCode::BadRequest);
  EXPECT_NE(held.error().internal.find("RSA"), std::string::npos) << held.error().internal;
}

}  // namespace
}  // namespace dps::device
