// MakeCredential / ActivateCredential in software: the round trip, the binding to the EK and to
// the object's Name, integrity before decryption, and bounds on every input.
#include "tpm/credential.hpp"

#include <gtest/gtest.h>

#include "support/tpm_tools.hpp"
#include "tpm/constants.hpp"
#include "tpm/software_keys.hpp"

namespace dps::tpm {
namespace {

using test::KeyKind;

class TpmCredential : public testing::TestWithParam<KeyKind> {
 protected:
  EVP_PKEY* ek_key() const { return test::shared_key(GetParam()); }
  PublicArea ek() const { return *make_ek_public(ek_key()); }
  Bytes ak_name() const { return make_ak_public(test::shared_key(KeyKind::P256, 1))->name(); }
  Result<Bytes> activate(const MadeCredential& made) const {
    return activate_credential(ek_key(), ek(), ak_name(), made.id_object, made.encrypted_secret);
  }
};

INSTANTIATE_TEST_SUITE_P(Keys, TpmCredential, testing::Values(KeyKind::Rsa2048, KeyKind::P256),
                         test::key_kind_name);

const Bytes kSecret = {'d', 'p', 's', '-', 's', 'e', 'c', 'r', 'e', 't'};

TEST_P(TpmCredential, ActivateRecoversWhatMakeWrapped) {
  const auto made = make_credential(ek(), ak_name(), kSecret);
  ASSERT_TRUE(made) << made.error().internal;
  // id_object: size, integrityHMAC (2 + 32), encIdentity (2 + 10).
  EXPECT_EQ(made->id_object.size(), 2u + 34 + 12);
  EXPECT_EQ(made->encrypted_secret.size(), GetParam() == KeyKind::Rsa2048 ? 2u + 256 : 2u + 68);
  const auto recovered = activate(*made);
  ASSERT_TRUE(recovered) << recovered.error().internal;
  EXPECT_EQ(*recovered, kSecret);
  // A full digest-size credential too.
  const Bytes longest(32, 0x5a);
  const auto made32 = make_credential(ek(), ak_name(), longest);
  ASSERT_TRUE(made32);
  EXPECT_EQ(*activate(*made32), longest);
}

TEST_P(TpmCredential, EachCredentialUsesAFreshSeed) {
  const auto a = make_credential(ek(), ak_name(), kSecret);
  const auto b = make_credential(ek(), ak_name(), kSecret);
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->encrypted_secret, b->encrypted_secret);
  EXPECT_NE(a->id_object, b->id_object);
}

TEST_P(TpmCredential, RefusesAnotherObjectNameWithAnIntegrityError) {
  const auto made = make_credential(ek(), ak_name(), kSecret);
  ASSERT_TRUE(made);
  Bytes other = ak_name();
  other.back() ^= 1;
  const auto out =
      activate_credential(ek_key(), ek(), other, made->id_object, made->encrypted_secret);
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().code, ErrorCode::Forbidden);
  EXPECT_EQ(out.error().internal.rfind("TPM2B_ID_OBJECT.integrityHMAC: mismatch", 0), 0u);
}

TEST_P(TpmCredential, RefusesAnotherEk) {
  const auto made = make_credential(ek(), ak_name(), kSecret);
  ASSERT_TRUE(made);
  EVP_PKEY* other_key = test::shared_key(GetParam(), 2);
  const auto out = activate_credential(other_key, *make_ek_public(other_key), ak_name(),
                                       made->id_object, made->encrypted_secret);
  EXPECT_FALSE(out);
}

TEST_P(TpmCredential, RefusesEveryFlippedByteOfTheBlob) {
  const auto made = make_credential(ek(), ak_name(), kSecret);
  ASSERT_TRUE(made);
  for (std::size_t i = 0; i < made->id_object.size(); ++i) {
    MadeCredential altered = *made;
    altered.id_object[i] ^= 0x01;
    EXPECT_FALSE(activate(altered)) << "byte " << i;
  }
  MadeCredential altered = *made;
  altered.encrypted_secret.back() ^= 0x01;
  EXPECT_FALSE(activate(altered));
}

TEST_P(TpmCredential, RefusesTruncatedAndTrailingInput) {
  const auto made = make_credential(ek(), ak_name(), kSecret);
  ASSERT_TRUE(made);
  for (std::size_t n = 0; n < made->id_object.size(); ++n) {
    const auto out = activate_credential(
        ek_key(), ek(), ak_name(), ByteView(made->id_object).first(n), made->encrypted_secret);
    ASSERT_FALSE(out);
    EXPECT_EQ(out.error().code, ErrorCode::BadRequest) << n << out.error().internal;
  }
  Bytes trailing = made->id_object;
  trailing.push_back(0);
  EXPECT_EQ(activate_credential(ek_key(), ek(), ak_name(), trailing, made->encrypted_secret)
                .error()
                .internal,
            "TPM2B_ID_OBJECT: 1 trailing bytes");
  for (std::size_t n = 0; n < made->encrypted_secret.size(); ++n) {
    EXPECT_FALSE(activate_credential(ek_key(), ek(), ak_name(), made->id_object,
                                     ByteView(made->encrypted_secret).first(n)))
        << n;
  }
  const Bytes huge{0xff, 0xff};
  EXPECT_EQ(
      activate_credential(ek_key(), ek(), ak_name(), huge, made->encrypted_secret).error().internal,
      "TPM2B_ID_OBJECT: size 65535 above the maximum 100");
}

TEST_P(TpmCredential, RefusesUnfitArguments) {
  const Bytes too_long(33, 1);
  EXPECT_EQ(make_credential(ek(), ak_name(), too_long).error().internal,
            "credential: 33 bytes; must be 1 to 32");
  EXPECT_FALSE(make_credential(ek(), ak_name(), {}));
  const Bytes short_name{0x00, 0x0b, 0x01};
  EXPECT_EQ(make_credential(ek(), short_name, kSecret).error().internal,
            "objectName: digest of 1 bytes, expected 32");
  const Bytes sha1_name(22, 0x04);
  EXPECT_FALSE(make_credential(ek(), sha1_name, kSecret));
  // An AK (a signing key) cannot protect a credential.
  const auto ak = make_ak_public(ek_key());
  EXPECT_EQ(make_credential(*ak, ak_name(), kSecret).error().internal,
            "EK: not a restricted decryption (storage) key");
}

}  // namespace
}  // namespace dps::tpm
