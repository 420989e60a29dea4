// TPM attestation's checks (provisioning/tpm_attestation.hpp) with software TPM objects: a device
// that holds its EK and AK gets its key certified, and every answer that does not prove exactly
// that (wrong or replayed proof, late, another session's challenge, a CSR of another key, a
// certification over another nonce or key or by another AK, unfit keys, malformed bodies) is
// refused saying which.
#include "provisioning/tpm_attestation.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "device/software_tpm.hpp"
#include "pki/pem.hpp"
#include "support/test_pki.hpp"
#include "tpm/challenge_binding.hpp"
#include "tpm/constants.hpp"
#include "tpm/credential.hpp"
#include "tpm/public_key.hpp"
#include "tpm/signature.hpp"
#include "tpm/software_keys.hpp"

namespace dps::provisioning::tpm_attestation {
namespace {

using nlohmann::json;
using std::chrono::steady_clock;

constexpr const char* kDeviceId = "8a6b3e6e-6a2f-4c0e-9b0e-2f1d5c6e7a10";
constexpr std::uint32_t kIdentityKeyAttributes = tpm::kAttrFixedTpm | tpm::kAttrFixedParent |
                                                 tpm::kAttrSensitiveDataOrigin |
                                                 tpm::kAttrUserWithAuth | tpm::kAttrSign;

tpm::PkeyPtr new_key(bool rsa) {
  return tpm::PkeyPtr(rsa ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048})
                          : EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
}

json bytes(const tpm::Bytes& data) { return json::binary(data); }

// A device's TPM objects in software, each part replaceable to make one answer wrong. An ECC EK
// (RSA key generation would dominate the tests' time; the RSA EK's path runs in the first test).
struct TpmDevice {
  tpm::PkeyPtr ek = new_key(false);
  tpm::PkeyPtr ak = new_key(false);
  tpm::PublicArea ek_public = *tpm::make_ek_public(ek.get());
  tpm::PublicArea ak_public = *tpm::make_ak_public(ak.get());

  json challenge_request() const {
    return {{"ek", bytes(tpm::wrap_tpm2b_public(ek_public.bytes))},
            {"ak", bytes(tpm::wrap_tpm2b_public(ak_public.bytes))}};
  }
  tpm::Bytes recover(const json& credential) const {
    const auto& blob = credential["credentialBlob"].get_binary();
    const auto& seed = credential["encryptedSecret"].get_binary();
    auto secret = tpm::activate_credential(ek.get(), ek_public, ak_public.name(),
                                           tpm::Bytes(blob.begin(), blob.end()),
                                           tpm::Bytes(seed.begin(), seed.end()));
    EXPECT_TRUE(secret) << secret.error().internal;
    return secret ? *secret : tpm::Bytes{};
  }
};

// The parts of an activation, made right by default.
struct Answer {
  tpm::PkeyPtr key = new_key(false);
  std::uint32_t key_attributes = kIdentityKeyAttributes;
  std::optional<tpm::Bytes> nonce;             // default: certify_nonce(secret)
  EVP_PKEY* certifier = nullptr;               // default: the device's AK
  const tpm::PublicArea* certified = nullptr;  // default: the key's own public area
  EVP_PKEY* csr_key = nullptr;                 // default: the key
  std::optional<tpm::Bytes> proof_secret;      // default: the secret

  json body(const TpmDevice& device, const tpm::Bytes& secret) const {
    const tpm::PublicArea key_public = *tpm::make_ak_public(key.get(), key_attributes);
    auto signed_attest = tpm::certify_in_software(
        certifier ? certifier : device.ak.get(), device.ak_public,
        certified ? *certified : key_public, nonce ? *nonce : tpm::certify_nonce(secret));
    EXPECT_TRUE(signed_attest) << signed_attest.error().internal;
    const std::string csr =
        test::make_csr_pem(csr_key ? csr_key : key.get(), std::string("uuid:") + kDeviceId);
    return {{"key", bytes(tpm::wrap_tpm2b_public(key_public.bytes))},
            {"certifyInfo", bytes(signed_attest->attest)},
            {"signature", bytes(signed_attest->signature)},
            {"csr", csr},
            {"proof", bytes(tpm::activation_proof(proof_secret ? *proof_secret : secret, csr))}};
  }
};

class TpmAttestation : public ::testing::Test {
 protected:
  // Challenge for `device` at `now_`: the checked keys' challenge and the credential sent.
  IssuedChallenge challenge(const TpmDevice& device) {
    auto request = read_challenge_request(device.challenge_request());
    EXPECT_TRUE(request) << request.error().internal;
    auto keys = check_keys(*request);
    EXPECT_TRUE(keys) << keys.error().internal;
    auto issued = issue_challenge(std::move(*keys), now_);
    EXPECT_TRUE(issued) << issued.error().internal;
    return std::move(*issued);
  }

  Result<std::string> activate(Challenge& challenge, const json& body,
                               steady_clock::time_point at) {
    auto request = read_activation_request(body);
    if (!request) return tl::unexpected(request.error());
    return check_activation(&challenge, *request, at);
  }

  // The refusal of an activation built by `answer`, as the device would see it.
  std::string refusal(const Answer& answer) {
    auto issued = challenge(device_);
    const tpm::Bytes secret = device_.recover(issued.response);
    auto result = activate(issued.challenge, answer.body(device_, secret), now_);
    EXPECT_FALSE(result) << "accepted";
    return result ? std::string() : result.error().internal;
  }

  steady_clock::time_point now_ = steady_clock::now();
  TpmDevice device_;
};

TEST_F(TpmAttestation, ASoftwareTpmWithEitherEkGetsItsKeyCertifiedForItsCsr) {
  for (const auto kind :
       {device::SoftwareTpm::EkKind::Rsa2048, device::SoftwareTpm::EkKind::P256}) {
    auto tpm = device::SoftwareTpm::create(kind);
    ASSERT_TRUE(tpm) << tpm.error().internal;
    auto request = read_challenge_request(tpm->challenge_request());
    ASSERT_TRUE(request) << request.error().internal;
    auto keys = check_keys(*request);
    ASSERT_TRUE(keys) << keys.error().internal;
    auto ek = tpm::parse_tpm2b_public(tpm->endorsement_key_tpm2b());
    ASSERT_TRUE(ek);
    EXPECT_EQ(keys->ek_sha256, *tpm::key_hash(*ek)) << "what enrollments index the EK by";

    auto issued = issue_challenge(std::move(*keys), now_);
    ASSERT_TRUE(issued) << issued.error().internal;
    // Only byte strings go back: the secret stays in the session.
    EXPECT_EQ(issued->response.size(), 2u);
    auto activation = tpm->answer(issued->response, kDeviceId);
    ASSERT_TRUE(activation) << activation.error().internal;
    auto certified = activate(issued->challenge, activation->body, now_ + std::chrono::seconds(5));
    ASSERT_TRUE(certified) << certified.error().internal;
    auto key = pki::parse_private_key_pem(activation->private_key_pem);
    ASSERT_TRUE(key);
    EXPECT_EQ(*certified, *tpm::spki_sha256_hex(key->get()))
        << "the CSR's key is the certified one";
  }
}

TEST_F(TpmAttestation, AChallengeIsAnsweredOnceEvenWhenTheFirstAnswerIsWrong) {
  auto issued = challenge(device_);
  const tpm::Bytes secret = device_.recover(issued.response);
  Answer wrong;
  wrong.proof_secret = tpm::Bytes(secret.size(), 0);
  EXPECT_FALSE(activate(issued.challenge, wrong.body(device_, secret), now_));
  auto replayed = activate(issued.challenge, Answer().body(device_, secret), now_);
  ASSERT_FALSE(replayed);
  EXPECT_EQ(replayed.error().code, ErrorCode::Forbidden);
  EXPECT_NE(replayed.error().internal.find("no TPM challenge outstanding"), std::string::npos);
}

TEST_F(TpmAttestation, ALateAnswerIsRefused) {
  auto issued = challenge(device_);
  const json body = Answer().body(device_, device_.recover(issued.response));
  auto late = activate(issued.challenge, body, now_ + kChallengeLifetime + std::chrono::seconds(1));
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().internal, "TPM challenge expired: ask for a new one");
}

TEST_F(TpmAttestation, AnAnswerToAnotherSessionsChallengeIsRefused) {
  auto first = challenge(device_);
  auto second = challenge(device_);  // the same TPM, another session
  const json body = Answer().body(device_, device_.recover(first.response));
  auto crossed = activate(second.challenge, body, now_);
  ASSERT_FALSE(crossed);
  EXPECT_EQ(crossed.error().internal, "proof: not made with this challenge's secret over this CSR");
}

TEST_F(TpmAttestation, ACredentialOnlyTheEnrolledTpmRecovers) {
  auto issued = challenge(device_);
  TpmDevice other;  // another TPM, holding the same AK would not help: the EK differs
  other.ak = std::move(device_.ak);
  other.ak_public = device_.ak_public;
  const auto& blob = issued.response["credentialBlob"].get_binary();
  const auto& seed = issued.response["encryptedSecret"].get_binary();
  auto stolen = tpm::activate_credential(other.ek.get(), other.ek_public, other.ak_public.name(),
                                         tpm::Bytes(blob.begin(), blob.end()),
                                         tpm::Bytes(seed.begin(), seed.end()));
  EXPECT_FALSE(stolen);
}

TEST_F(TpmAttestation, EveryPartThatIsNotTheCertifiedKeyIsRefusedSayingWhich) {
  Answer other_csr_key;  // the TPM's answer, but a CSR of a key outside it
  auto outside = new_key(false);
  other_csr_key.csr_key = outside.get();
  EXPECT_EQ(refusal(other_csr_key), "csr: signed by another key than the certified one");

  Answer other_nonce;
  other_nonce.nonce = tpm::Bytes(32, 0x5a);
  EXPECT_EQ(refusal(other_nonce),
            "certifyInfo: certifies over another nonce than this challenge's");

  Answer other_signer;
  auto rogue_ak = new_key(false);
  other_signer.certifier = rogue_ak.get();
  EXPECT_EQ(refusal(other_signer),
            "certifyInfo: not signed by the attestation key of the challenge");

  Answer other_key;
  auto unrelated = new_key(false);
  const tpm::PublicArea unrelated_public =
      *tpm::make_ak_public(unrelated.get(), kIdentityKeyAttributes);
  other_key.certified = &unrelated_public;
  EXPECT_EQ(refusal(other_key), "certifyInfo: certifies another key than the one sent");

  Answer exportable;
  exportable.key_attributes = kIdentityKeyAttributes & ~tpm::kAttrFixedTpm;
  EXPECT_EQ(refusal(exportable), "key: fixedTPM is not set");
  Answer restricted;
  restricted.key_attributes = kIdentityKeyAttributes | tpm::kAttrRestricted;
  EXPECT_EQ(refusal(restricted), "key: restricted is set (it must sign handshakes)");

  Answer rsa_key;
  rsa_key.key = new_key(true);
  EXPECT_EQ(refusal(rsa_key), "key: not an ECC NIST P-256 key");
}

TEST_F(TpmAttestation, KeysUnfitForTheirRoleAreRefusedNamingTheAttribute) {
  const auto refused_keys = [](const TpmDevice& device) {
    auto request = read_challenge_request(device.challenge_request());
    EXPECT_TRUE(request);
    auto keys = check_keys(*request);
    EXPECT_FALSE(keys);
    return keys ? std::string() : keys.error().internal;
  };
  TpmDevice loose_ak;
  loose_ak.ak_public =
      *tpm::make_ak_public(loose_ak.ak.get(), tpm::default_ak_attributes() & ~tpm::kAttrRestricted);
  EXPECT_EQ(refused_keys(loose_ak).rfind("AK: restricted is not set", 0), 0u);
  TpmDevice movable_ak;
  movable_ak.ak_public =
      *tpm::make_ak_public(movable_ak.ak.get(), tpm::default_ak_attributes() & ~tpm::kAttrFixedTpm);
  EXPECT_EQ(refused_keys(movable_ak).rfind("AK: fixedTPM is not set", 0), 0u);
  TpmDevice signing_ek;
  signing_ek.ek_public = *tpm::make_ak_public(signing_ek.ek.get());
  EXPECT_EQ(refused_keys(signing_ek), "EK: decrypt is not set");
}

TEST_F(TpmAttestation, MalformedBodiesAreBadRequestsNamingTheMember) {
  const auto challenge_error = [](const json& body) {
    auto request = read_challenge_request(body);
    EXPECT_FALSE(request);
    return request ? std::string() : request.error().internal;
  };
  json body = device_.challenge_request();
  body.erase("ak");
  EXPECT_EQ(challenge_error(body), "ak: required");
  body = device_.challenge_request();
  body["ek"] = "a text, not bytes";
  EXPECT_EQ(challenge_error(body), "ek: not a byte string");
  body = device_.challenge_request();
  body["ekCertificate"] = json::binary(tpm::Bytes(4097, 0x30));
  EXPECT_EQ(challenge_error(body), "ekCertificate: 4097 bytes, at most 4096");
  body = device_.challenge_request();
  body["eek"] = json::binary(tpm::Bytes(1, 0));
  EXPECT_EQ(challenge_error(body), "unknown member \"eek\"");
  EXPECT_EQ(challenge_error(json::array()), "body: not a map");

  // A truncated EK reaches the parser, which names the field where it ran out.
  body = device_.challenge_request();
  tpm::Bytes ek = tpm::wrap_tpm2b_public(device_.ek_public.bytes);
  ek.resize(ek.size() - 3);
  body["ek"] = json::binary(ek);
  auto request = read_challenge_request(body);
  ASSERT_TRUE(request);
  auto keys = check_keys(*request);
  ASSERT_FALSE(keys);
  EXPECT_EQ(keys.error().code, ErrorCode::BadRequest);
  EXPECT_EQ(keys.error().internal.rfind("ek: ", 0), 0u) << keys.error().internal;

  auto issued = challenge(device_);
  json activation = Answer().body(device_, device_.recover(issued.response));
  activation["proof"] = json::binary(tpm::Bytes(33, 1));
  auto read = read_activation_request(activation);
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error().internal, "proof: 33 bytes, at most 32");
  activation.erase("proof");
  activation["csr"] = json::binary(tpm::Bytes(3, 1));
  read = read_activation_request(activation);
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error().internal, "proof: required");
}

}  // namespace
}  // namespace dps::provisioning::tpm_attestation
