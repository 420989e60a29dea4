// TPMS_ATTEST (certify) and TPMT_SIGNATURE: software-signed round trips with the nonce, and the
// refusal of every malformed structure and of any altered byte.
#include "tpm/attest.hpp"

#include <gtest/gtest.h>

#include "support/tpm_tools.hpp"
#include "tpm/constants.hpp"
#include "tpm/public_key.hpp"
#include "tpm/signature.hpp"
#include "tpm/software_keys.hpp"

namespace dps::tpm {
namespace {

using test::KeyKind;

class TpmAttest : public testing::TestWithParam<KeyKind> {
 protected:
  EVP_PKEY* ak_key() const { return test::shared_key(GetParam(), 3); }
  PublicArea ak() const { return *make_ak_public(ak_key()); }
  PublicArea certified() const { return *make_ak_public(test::shared_key(KeyKind::P256, 4)); }
  SignedAttest signed_attest() const {
    return *certify_in_software(ak_key(), ak(), certified(), kNonce);
  }
  static inline const Bytes kNonce = Bytes(32, 0x4e);
};

INSTANTIATE_TEST_SUITE_P(Keys, TpmAttest, testing::Values(KeyKind::Rsa2048, KeyKind::P256),
                         test::key_kind_name);

TEST_P(TpmAttest, SoftwareCertifyParsesWithTheNonceAndVerifies) {
  const SignedAttest out = signed_attest();
  const auto attest = parse_attest(out.attest);
  ASSERT_TRUE(attest) << attest.error().internal;
  EXPECT_EQ(attest->type, kStAttestCertify);
  EXPECT_EQ(attest->extra_data, kNonce);
  EXPECT_EQ(attest->certified_name, certified().name());
  EXPECT_EQ(attest->qualified_signer, ak().name());
  EXPECT_EQ(encode_attest(*attest), out.attest);
  const auto signature = parse_signature(out.signature);
  ASSERT_TRUE(signature) << signature.error().internal;
  EXPECT_EQ(signature->sig_alg, GetParam() == KeyKind::Rsa2048 ? kAlgRsassa : kAlgEcdsa);
  EXPECT_EQ(encode_signature(*signature), out.signature);
  const auto key = to_evp_pkey(ak());
  ASSERT_TRUE(key);
  EXPECT_TRUE(verify_signature(key->get(), out.attest, *signature));
}

TEST_P(TpmAttest, EveryFlippedByteIsRefused) {
  const SignedAttest out = signed_attest();
  const auto key = to_evp_pkey(ak());
  const auto signature = *parse_signature(out.signature);
  for (std::size_t i = 0; i < out.attest.size(); ++i) {
    Bytes altered = out.attest;
    altered[i] ^= 0x01;
    EXPECT_FALSE(verify_signature(key->get(), altered, signature)) << i;
  }
  for (std::size_t i = 0; i < out.signature.size(); ++i) {
    Bytes altered = out.signature;
    altered[i] ^= 0x01;
    const auto parsed = parse_signature(altered);
    EXPECT_FALSE(parsed && verify_signature(key->get(), out.attest, *parsed)) << i;
  }
}

TEST_P(TpmAttest, RefusesEveryTruncationAndTrailingBytes) {
  const SignedAttest out = signed_attest();
  for (std::size_t n = 0; n < out.attest.size(); ++n) {
    const auto parsed = parse_attest(ByteView(out.attest).first(n));
    ASSERT_FALSE(parsed) << n;
    EXPECT_EQ(parsed.error().internal.rfind("TPMS_ATTEST.", 0), 0u) << parsed.error().internal;
  }
  for (std::size_t n = 0; n < out.signature.size(); ++n) {
    const auto parsed = parse_signature(ByteView(out.signature).first(n));
    ASSERT_FALSE(parsed) << n;
    EXPECT_EQ(parsed.error().internal.rfind("TPMT_SIGNATURE.", 0), 0u) << parsed.error().internal;
  }
  Bytes attest = out.attest;
  attest.push_back(0);
  EXPECT_EQ(parse_attest(attest).error().internal, "TPMS_ATTEST: 1 trailing bytes");
  Bytes signature = out.signature;
  signature.push_back(0);
  EXPECT_EQ(parse_signature(signature).error().internal, "TPMT_SIGNATURE: 1 trailing bytes");
}

TEST(TpmAttestParse, RefusesWrongMagicTypeAndOversizedFields) {
  Attest a;
  a.type = kStAttestCertify;
  a.certified_name = Bytes(34, 1);
  Bytes good = encode_attest(a);
  ASSERT_TRUE(parse_attest(good));
  Bytes bad = good;
  bad[0] = 0x00;
  EXPECT_EQ(parse_attest(bad).error().internal,
            "TPMS_ATTEST.magic: 00544347 is not TPM_GENERATED_VALUE ff544347");
  bad = good;
  bad[5] = 0x18;  // TPM_ST_ATTEST_QUOTE
  EXPECT_EQ(parse_attest(bad).error().internal,
            "TPMS_ATTEST.type: 0x8018 unsupported (expected TPM_ST_ATTEST_CERTIFY 0x8017)");
  a.extra_data = Bytes(51, 2);
  EXPECT_EQ(parse_attest(encode_attest(a)).error().internal,
            "TPMS_ATTEST.extraData: size 51 above the maximum 50");
  a.extra_data.clear();
  a.qualified_signer = Bytes(300, 3);
  EXPECT_EQ(parse_attest(encode_attest(a)).error().internal,
            "TPMS_ATTEST.qualifiedSigner: size 300 above the maximum 50");
  EXPECT_FALSE(parse_attest(Bytes(2000, 0xff)));
  a.qualified_signer.clear();
  bad = encode_attest(a);
  bad[4 + 2 + 2 + 2 + 16] = 2;  // clockInfo.safe
  EXPECT_EQ(parse_attest(bad).error().internal,
            "TPMS_ATTEST.clockInfo.safe: 2 is not a TPMI_YES_NO");
}

TEST(TpmSignatureParse, RefusesUnknownAlgorithmsAndHashes) {
  EXPECT_EQ(parse_signature(Bytes{0x00, 0x10, 0x00, 0x0b}).error().internal,
            "TPMT_SIGNATURE.sigAlg: 0x0010 unsupported (expected RSASSA 0x0014, RSAPSS 0x0016 or "
            "ECDSA 0x0018)");
  EXPECT_EQ(parse_signature(Bytes{0x00, 0x18, 0x00, 0x04}).error().internal,
            "TPMT_SIGNATURE.signature.hash: 0x0004 unsupported (expected SHA-256 0x000b)");
  EXPECT_EQ(parse_signature(Bytes{0x00, 0x14, 0x00, 0x0b, 0x02, 0x01}).error().internal,
            "TPMT_SIGNATURE.signature.rsa.sig: size 513 above the maximum 512");
}

TEST(TpmSignatureVerify, RefusesAKeyOfTheWrongType) {
  EVP_PKEY* ec = test::shared_key(KeyKind::P256, 3);
  const auto ak = make_ak_public(ec);
  const auto out = certify_in_software(ec, *ak, *ak, Bytes{1});
  ASSERT_TRUE(out);
  const auto signature = parse_signature(out->signature);
  const auto rsa_key = to_evp_pkey(*make_ak_public(test::shared_key(KeyKind::Rsa2048, 3)));
  const auto verified = verify_signature(rsa_key->get(), out->attest, *signature);
  ASSERT_FALSE(verified);
  EXPECT_EQ(verified.error().code, ErrorCode::BadRequest);
}

}  // namespace
}  // namespace dps::tpm
