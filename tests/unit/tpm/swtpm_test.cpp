// Against a real TPM stack: Debian's swtpm driven by tpm2-tools. Our make_credential must be
// accepted by the TPM's TPM2_ActivateCredential (RSA and ECC EKs created by tpm2_createek), and
// our TPMS_ATTEST / TPMT_SIGNATURE parsing and verification must accept TPM2_Certify's output.
#include <gtest/gtest.h>

#include "support/tpm_tools.hpp"
#include "tpm/attest.hpp"
#include "tpm/credential.hpp"
#include "tpm/public_key.hpp"
#include "tpm/signature.hpp"

namespace dps::tpm {
namespace {

using test::KeyKind;

class TpmSwtpm : public testing::TestWithParam<KeyKind> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(test::have_programs(
        {"swtpm", "tpm2_createek", "tpm2_createak", "tpm2_activatecredential", "tpm2_certify"}));
    tpm_ = std::make_unique<test::Swtpm>();
    ASSERT_TRUE(tpm_->running()) << tpm_->error();
  }

  // An EK of the parameter's kind and an AK of the same kind (RSASSA or ECDSA) under it, each
  // flushed after creation: swtpm has three transient slots and no resource manager runs here.
  void create_ek_and_ak() {
    const bool rsa = GetParam() == KeyKind::Rsa2048;
    const auto created = tpm_->tools(
        std::string("tpm2_createek -Q -c ek.ctx -G ") + (rsa ? "rsa" : "ecc") +
        " -u ek.pub && tpm2_flushcontext -t && tpm2_createak -Q -C ek.ctx -c ak.ctx -G " +
        (rsa ? "rsa -s rsassa" : "ecc -s ecdsa") +
        " -g sha256 -u ak.pub -n ak.name && tpm2_flushcontext -t");
    ASSERT_EQ(created.exit_code, 0) << created.output;
    auto ek = parse_tpm2b_public(test::read_file(tpm_->file("ek.pub")));
    ASSERT_TRUE(ek) << ek.error().internal;
    ek_ = std::move(*ek);
    auto ak = parse_tpm2b_public(test::read_file(tpm_->file("ak.pub")));
    ASSERT_TRUE(ak) << ak.error().internal;
    ak_ = std::move(*ak);
  }

  // tpm2_activatecredential with the EK's PolicySecret(endorsement) session.
  test::CommandResult activate(const MadeCredential& credential) {
    test::write_file(tpm_->file("cred.out"), test::to_tools_credential_file(credential));
    return tpm_->tools(
        "tpm2_startauthsession --policy-session -S session.ctx && "
        "tpm2_policysecret -Q -S session.ctx -c e && "
        "tpm2_activatecredential -Q -c ak.ctx -C ek.ctx -i cred.out -o secret.out "
        "-P session:session.ctx; rc=$?; tpm2_flushcontext session.ctx; exit $rc");
  }

  std::unique_ptr<test::Swtpm> tpm_;
  PublicArea ek_;
  PublicArea ak_;
};

INSTANTIATE_TEST_SUITE_P(Keys, TpmSwtpm, testing::Values(KeyKind::Rsa2048, KeyKind::P256),
                         test::ek_kind_name);

TEST_P(TpmSwtpm, ActivateCredentialRecoversOurCredential) {
  ASSERT_NO_FATAL_FAILURE(create_ek_and_ak());
  // tpm2-tools' Name of the AK is ours.
  EXPECT_EQ(ak_.name(), test::read_file(tpm_->file("ak.name")));
  EXPECT_TRUE(check_attestation_key(ak_));
  EXPECT_TRUE(ek_.restricted() && ek_.decrypt() && ek_.fixed_tpm());

  const Bytes secret = {'f', 'r', 'o', 'm', '-', 'd', 'p', 's', 0x00, 0xff};
  const auto made = make_credential(ek_, ak_.name(), secret);
  ASSERT_TRUE(made) << made.error().internal;
  const auto activated = activate(*made);
  ASSERT_EQ(activated.exit_code, 0) << activated.output;
  EXPECT_EQ(test::read_file(tpm_->file("secret.out")), secret);
}

TEST_P(TpmSwtpm, ActivateCredentialRefusesACredentialForAnotherName) {
  ASSERT_NO_FATAL_FAILURE(create_ek_and_ak());
  Bytes other = ak_.name();
  other.back() ^= 1;
  const auto made = make_credential(ek_, other, Bytes{1, 2, 3});
  ASSERT_TRUE(made);
  const auto activated = activate(*made);
  EXPECT_NE(activated.exit_code, 0);
  EXPECT_NE(activated.output.find("integrity"), std::string::npos) << activated.output;
}

TEST_P(TpmSwtpm, CertifyByTheAkParsesAndVerifies) {
  ASSERT_NO_FATAL_FAILURE(create_ek_and_ak());
  const auto certified = tpm_->tools(
      "tpm2_createprimary -Q -C o -G ecc -c key.ctx && "
      "tpm2_readpublic -Q -c key.ctx -n key.name -o key.pub && tpm2_flushcontext -t && "
      "tpm2_certify -Q -c key.ctx -C ak.ctx -g sha256 -o attest.out -s sig.out");
  ASSERT_EQ(certified.exit_code, 0) << certified.output;

  const Bytes attest_bytes = test::read_file(tpm_->file("attest.out"));
  const auto attest = parse_attest(attest_bytes);
  ASSERT_TRUE(attest) << attest.error().internal;
  const auto key = parse_tpm2b_public(test::read_file(tpm_->file("key.pub")));
  ASSERT_TRUE(key) << key.error().internal;
  EXPECT_EQ(attest->certified_name, test::read_file(tpm_->file("key.name")));
  EXPECT_EQ(attest->certified_name, key->name());
  // tpm2-tools 5.4's tpm2_certify has no option for qualifyingData and always sends 00ff55aa:
  // the nonce field is read from the right place (software-signed nonces: attest_test.cpp).
  EXPECT_EQ(to_hex(attest->extra_data), "00ff55aa");

  const auto signature = parse_signature(test::read_file(tpm_->file("sig.out")));
  ASSERT_TRUE(signature) << signature.error().internal;
  const auto ak_key = to_evp_pkey(ak_);
  ASSERT_TRUE(ak_key);
  const auto verified = verify_signature(ak_key->get(), attest_bytes, *signature);
  EXPECT_TRUE(verified) << verified.error().internal;

  Bytes flipped = attest_bytes;
  flipped[flipped.size() / 2] ^= 0x01;
  EXPECT_EQ(verify_signature(ak_key->get(), flipped, *signature).error().code,
            ErrorCode::Forbidden);
  // Verified with the EK's key (another key of the same kind): refused.
  const auto ek_key = to_evp_pkey(ek_);
  EXPECT_FALSE(verify_signature(ek_key->get(), attest_bytes, *signature));
}

}  // namespace
}  // namespace dps::tpm
