// KDFa and KDFe against vectors computed by an independent implementation: OpenSSL 3.0's
// KBKDF (SP 800-108 counter mode, HMAC) and SSKDF (SP 800-56C one-step, hash) through the
// `openssl kdf` command line, whose label/context/L encoding is the TPM's:
//   openssl kdf -keylen 16 -kdfopt digest:SHA256 -kdfopt mac:HMAC -kdfopt hexkey:000102..1f
//     -kdfopt salt:STORAGE -kdfopt hexinfo:000b0102..20 KBKDF
//   openssl kdf -keylen 48 ... -kdfopt salt:INTEGRITY KBKDF
//   openssl kdf -keylen 48 -kdfopt digest:SHA256 -kdfopt hexkey:a0a1..bf
//     -kdfopt hexinfo:4944454e5449545900 || 11*32 || 22*32 SSKDF
#include "tpm/kdf.hpp"

#include <gtest/gtest.h>

#include "tpm/constants.hpp"

namespace dps::tpm {
namespace {

Bytes hex(std::string_view text) { return *from_hex(text); }

Bytes counting(std::uint8_t first, std::size_t n) {
  Bytes out(n);
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::uint8_t>(first + i);
  return out;
}

TEST(TpmKdfa, MatchesOpensslKbkdfWithAContext) {
  const Bytes key = counting(0x00, 32);
  Bytes context{0x00, 0x0b};
  const Bytes tail = counting(0x01, 32);
  context.insert(context.end(), tail.begin(), tail.end());
  const auto out = kdfa(kAlgSha256, key, "STORAGE", context, {}, 128);
  ASSERT_TRUE(out) << out.error().internal;
  EXPECT_EQ(to_hex(*out), "183572815254b6d9b4854251cf94ccf5");
}

TEST(TpmKdfa, MatchesOpensslKbkdfOverSeveralBlocks) {
  const auto out = kdfa(kAlgSha256, counting(0x00, 32), "INTEGRITY", {}, {}, 384);
  ASSERT_TRUE(out) << out.error().internal;
  EXPECT_EQ(to_hex(*out),
            "062b7f39dfd0e1c6b000f9a037b29cf44a3cbbd2316607e04f9761a91fad5a53"
            "da3f0f498aaf86d674a9bfb727aaf060");
}

TEST(TpmKdfe, MatchesOpensslSskdf) {
  const auto out =
      kdfe(kAlgSha256, counting(0xa0, 32), "IDENTITY", Bytes(32, 0x11), Bytes(32, 0x22), 384);
  ASSERT_TRUE(out) << out.error().internal;
  EXPECT_EQ(to_hex(*out),
            "3d4d90164ab3757fca9eec1b8cf428e4345d9f44288038b1fddf4b8a3872ad58"
            "2c7c001269b4f12748d976a0df70a762");
}

TEST(TpmKdf, RefusesSha1AndBadLengths) {
  const Bytes key(32, 1);
  EXPECT_NE(kdfa(kAlgSha1, key, "X", {}, {}, 128).error().internal.find("SHA-1"),
            std::string::npos);
  EXPECT_FALSE(kdfa(kAlgSha256, key, "X", {}, {}, 0));
  EXPECT_FALSE(kdfa(kAlgSha256, key, "X", {}, {}, 12));
  EXPECT_FALSE(kdfe(kAlgSha256, key, "X", {}, {}, 1 << 20));
  EXPECT_EQ(hex("00"), Bytes{0});
}

}  // namespace
}  // namespace dps::tpm
