// tss::TpmDevice on a real TPM stack (Debian's swtpm through tpm2-tss): its EK is the one
// tpm2_createek makes, dps's checks accept its answers for RSA and ECC EKs and find the CSR's key
// to be the TPM-certified one; a credential for another AK fails in the TPM itself; a challenge
// is answered once; and nothing stays loaded in the TPM.
#include "tss/tpm_device.hpp"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "provisioning/tpm_attestation.hpp"
#include "support/tpm_tools.hpp"
#include "tpm/credential.hpp"
#include "tpm/public_key.hpp"
#include "tpm/software_keys.hpp"

namespace dps::tss {
namespace {

namespace attestation = provisioning::tpm_attestation;
using nlohmann::json;
using std::chrono::steady_clock;

constexpr const char* kDeviceId = "8a6b3e6e-6a2f-4c0e-9b0e-2f1d5c6e7a10";

std::string csr_key_hash(const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), -1), &BIO_free);
  std::unique_ptr<X509_REQ, decltype(&X509_REQ_free)> req(
      PEM_read_bio_X509_REQ(bio.get(), nullptr, nullptr, nullptr), &X509_REQ_free);
  if (!req) return "no CSR";
  auto hash = tpm::spki_sha256_hex(X509_REQ_get0_pubkey(req.get()));
  return hash ? *hash : "no key";
}

// One swtpm for the suite: a TPM's seeds and EKs persist, and starting it costs.
class TpmDeviceOnSwtpm : public testing::TestWithParam<EkKind> {
 protected:
  static void SetUpTestSuite() { tpm_ = new tpm::test::Swtpm(); }
  static void TearDownTestSuite() {
    delete tpm_;
    tpm_ = nullptr;
  }
  void SetUp() override {
    ASSERT_TRUE(tpm::test::have_programs({"swtpm", "tpm2_createek", "tpm2_getcap"}));
    ASSERT_TRUE(tpm_->running()) << tpm_->error();
  }
  // No transient object or session is left in the TPM (swtpm has no resource manager: what a
  // client does not flush stays until the TPM restarts). Only with no TpmDevice open: swtpm
  // serves one connection at a time.
  static void expect_nothing_loaded() {
    for (const char* kind : {"handles-transient", "handles-loaded-session"}) {
      const auto listed = tpm_->tools(std::string("tpm2_getcap ") + kind);
      EXPECT_EQ(listed.exit_code, 0) << listed.output;
      EXPECT_EQ(listed.output.find("0x"), std::string::npos) << kind << ":\n" << listed.output;
    }
  }
  static Result<TpmDevice> open(EkKind kind) { return TpmDevice::open(tpm_->tcti(), kind); }

  static attestation::IssuedChallenge challenge(const TpmDevice& device) {
    auto request = attestation::read_challenge_request(device.challenge_request());
    EXPECT_TRUE(request) << request.error().internal;
    auto keys = attestation::check_keys(*request);
    EXPECT_TRUE(keys) << keys.error().internal;
    auto issued = attestation::issue_challenge(std::move(*keys), steady_clock::now());
    EXPECT_TRUE(issued) << issued.error().internal;
    return std::move(*issued);
  }
  static Result<std::string> activate(attestation::Challenge& challenge, const json& body) {
    auto request = attestation::read_activation_request(body);
    if (!request) return tl::unexpected(request.error());
    return attestation::check_activation(&challenge, *request, steady_clock::now());
  }

  static tpm::test::Swtpm* tpm_;
};
tpm::test::Swtpm* TpmDeviceOnSwtpm::tpm_ = nullptr;

INSTANTIATE_TEST_SUITE_P(Eks, TpmDeviceOnSwtpm, testing::Values(EkKind::Rsa2048, EkKind::P256),
                         [](const testing::TestParamInfo<EkKind>& kind) {
                           return kind.param == EkKind::Rsa2048 ? "RsaEk" : "EccEk";
                         });

TEST_P(TpmDeviceOnSwtpm, ItsEkIsTheOneTpm2CreateekMakes) {
  const auto made = tpm_->tools(std::string("tpm2_createek -Q -c ek.ctx -G ") +
                                (GetParam() == EkKind::Rsa2048 ? "rsa" : "ecc") +
                                " -u ek.pub && tpm2_flushcontext -t");
  ASSERT_EQ(made.exit_code, 0) << made.output;
  {
    auto device = open(GetParam());
    ASSERT_TRUE(device) << device.error().internal;
    EXPECT_EQ(device->endorsement_key_tpm2b(), tpm::test::read_file(tpm_->file("ek.pub")))
        << "the TCG template: what an operator enrolled with tpm2-tools";
  }
  expect_nothing_loaded();
}

TEST_P(TpmDeviceOnSwtpm, DpsAcceptsItsAnswerAndTheCsrKeyIsTheCertifiedTpmKey) {
  {
    auto device = open(GetParam());
    ASSERT_TRUE(device) << device.error().internal;
    auto issued = challenge(*device);
    auto ek = tpm::parse_tpm2b_public(device->endorsement_key_tpm2b());
    ASSERT_TRUE(ek) << ek.error().internal;
    EXPECT_EQ(issued.challenge.keys.ek_sha256, *tpm::key_hash(*ek));

    auto activation = device->answer(issued.response, kDeviceId);
    ASSERT_TRUE(activation) << activation.error().internal;
    auto certified = activate(issued.challenge, activation->body);
    ASSERT_TRUE(certified) << certified.error().internal;
    auto key = tpm::parse_tpm2b_public(activation->key_public);
    ASSERT_TRUE(key) << key.error().internal;
    EXPECT_EQ(*certified, *tpm::key_hash(*key)) << "the certified key is the TPM's";
    EXPECT_EQ(*certified, csr_key_hash(activation->csr_pem)) << "the CSR carries that key";
    EXPECT_EQ(activation->body["csr"], activation->csr_pem);
    EXPECT_FALSE(activation->key_private.empty());
  }
  expect_nothing_loaded();
}

TEST_F(TpmDeviceOnSwtpm, ACredentialForAnotherAkFailsInTheTpm) {
  {
    auto device = open(EkKind::P256);
    ASSERT_TRUE(device) << device.error().internal;
    auto ek = tpm::parse_tpm2b_public(device->endorsement_key_tpm2b());
    ASSERT_TRUE(ek);
    // Made for this TPM's EK, but for the Name of an AK it does not hold.
    auto other_ak = tpm::make_ak_public(tpm::test::shared_key(tpm::test::KeyKind::P256));
    ASSERT_TRUE(other_ak);
    auto credential = tpm::make_credential(*ek, other_ak->name(), tpm::Bytes(32, 0x42));
    ASSERT_TRUE(credential) << credential.error().internal;
    auto refused = device->answer({{"credentialBlob", json::binary(credential->id_object)},
                                   {"encryptedSecret", json::binary(credential->encrypted_secret)}},
                                  kDeviceId);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, ErrorCode::Forbidden);
    EXPECT_NE(refused.error().internal.find("TPM2_ActivateCredential: "), std::string::npos)
        << refused.error().internal;
    EXPECT_NE(refused.error().internal.find("integrity"), std::string::npos)
        << refused.error().internal;

    auto malformed =
        device->answer({{"credentialBlob", json::binary(tpm::Bytes{0x00, 0x05, 1})},
                        {"encryptedSecret", json::binary(credential->encrypted_secret)}},
                       kDeviceId);
    ASSERT_FALSE(malformed);
    EXPECT_EQ(malformed.error().internal, "credentialBlob: not a TPM2B of its type");
  }
  expect_nothing_loaded();  // the failed command's session and AK were flushed too
}

TEST_F(TpmDeviceOnSwtpm, AChallengeIsAnsweredOnce) {
  {
    auto device = open(EkKind::P256);
    ASSERT_TRUE(device) << device.error().internal;
    auto issued = challenge(*device);
    auto first = device->answer(issued.response, kDeviceId);
    ASSERT_TRUE(first) << first.error().internal;
    ASSERT_TRUE(activate(issued.challenge, first->body));
    // The TPM answers the same credential again (a new key, a new certification)...
    auto second = device->answer(issued.response, kDeviceId);
    ASSERT_TRUE(second) << second.error().internal;
    // ... but dps's challenge is used up.
    auto replayed = activate(issued.challenge, second->body);
    ASSERT_FALSE(replayed);
    EXPECT_EQ(replayed.error().code, ErrorCode::Forbidden);
    EXPECT_NE(replayed.error().internal.find("no TPM challenge outstanding"), std::string::npos)
        << replayed.error().internal;
  }
  expect_nothing_loaded();
}

}  // namespace
}  // namespace dps::tss
