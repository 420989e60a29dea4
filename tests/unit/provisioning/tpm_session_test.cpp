// The certificate-less session's state machine (provisioning/tpm_session.hpp) without a network:
// what it serves before and after attestation, the store lookup it asks for, the expiry of a
// challenge and the record entries of refusals. The running-server side is
// tests/integration/tpm_session_test.cpp.
#include "provisioning/tpm_session.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/data_uri.hpp"
#include "device/requests.hpp"
#include "device/software_tpm.hpp"
#include "provisioning/catalog.hpp"
#include "provisioning/uris.hpp"
#include "support/test_pki.hpp"
#include "tpm/endorsement_key.hpp"
#include "tpm/public_key.hpp"

namespace dps::provisioning {
namespace {

using device::SoftwareTpm;
using nlohmann::json;
using std::chrono::seconds;
using std::chrono::steady_clock;
using std::chrono::system_clock;

constexpr const char* kDeviceId = "2f6b3e6e-6a2f-4c0e-9b0e-2f1d5c6e7a10";

coap::Message post(std::string_view path, const json& body) {
  return device::make_post(path, json::to_cbor(body));
}

class TpmSessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto created = SoftwareTpm::create(SoftwareTpm::EkKind::P256);
    ASSERT_TRUE(created) << created.error().internal;
    tpm_.emplace(std::move(*created));
    const auto ek = tpm_->endorsement_key_tpm2b();
    enrollment_.id = "e1";
    enrollment_.owner = "owner-a";
    enrollment_.tpm_endorsement_key = encode_data_uri(std::string(ek.begin(), ek.end()));
    enrollment_.public_key_sha256 =
        tpm::endorsement_key_hash(std::string(ek.begin(), ek.end())).value();
  }

  /// Sends the challenge (`body`, default the TPM's) and answers the lookup with `found`; the
  /// challenge's answer.
  StepResult challenge(std::optional<store::IndividualEnrollment> found, json body = {}) {
    if (body.is_null()) body = tpm_->challenge_request();
    auto next = session_.begin(post(uris::kTpmChallenge, body), now_, steady_now_);
    auto* lookup = std::get_if<TpmSession::LookUp>(&next);
    EXPECT_NE(lookup, nullptr);
    if (lookup) {
      EXPECT_EQ(lookup->ek_sha256, enrollment_.public_key_sha256);
    }
    return session_.finish_challenge(post(uris::kTpmChallenge, body),
                                     Result<std::optional<store::IndividualEnrollment>>(found),
                                     *catalog_, now_, steady_now_);
  }

  /// The challenge request with an EK certificate `ca` issued for this TPM's EK, and a catalog
  /// holding `group`, a TPM group of `ca` (owner "owner-b").
  json with_tpm_group(const test::TestCa& ca, bool disabled = false) {
    store::EnrollmentGroup group;
    group.id = "g1";
    group.owner = "owner-b";
    group.name = "vendor";
    group.tpm.vendor_certificate_chain = ca.chain_pem();
    group.hub_ids = {"h1"};
    group.disabled = disabled;
    catalog_ = Catalog::build({group}, {});
    const auto ek_bytes = tpm_->endorsement_key_tpm2b();
    auto ek = tpm::parse_tpm2b_public(ek_bytes);
    auto ek_key = tpm::to_evp_pkey(*ek);
    auto certificate = test::make_ek_certificate(ca, ek_key->get());
    json body = tpm_->challenge_request();
    body["ekCertificate"] = json::binary(test::to_der(certificate.get()));
    return body;
  }

  json activation_body(const StepResult& challenged) {
    auto answer = tpm_->answer(
        json::from_cbor(challenged.response.payload, true, /*allow_exceptions=*/false), kDeviceId);
    EXPECT_TRUE(answer) << answer.error().internal;
    return answer ? answer->body : json();
  }

  std::optional<SoftwareTpm> tpm_;
  store::IndividualEnrollment enrollment_;
  std::shared_ptr<const Catalog> catalog_ = Catalog::build({}, {});
  TpmSession session_;
  system_clock::time_point now_ = system_clock::now();
  steady_clock::time_point steady_now_ = steady_clock::now();
};

TEST_F(TpmSessionTest, BeforeAttestationOnlyTheTimeAndTheTpmResourcesAreServed) {
  auto ownership = session_.begin(device::make_get(uris::kOwnership), now_, steady_now_);
  ASSERT_TRUE(std::holds_alternative<StepResult>(ownership));
  EXPECT_EQ(std::get<StepResult>(ownership).response.code, coap::Code::Unauthorized);
  auto time = session_.begin(device::make_get(uris::kPlgdTime), now_, steady_now_);
  ASSERT_TRUE(std::holds_alternative<StepResult>(time));
  EXPECT_EQ(std::get<StepResult>(time).response.code, coap::Code::Content);
  EXPECT_FALSE(std::get<StepResult>(time).record) << "no owner yet: nothing to record";
  auto get_challenge = session_.begin(device::make_get(uris::kTpmChallenge), now_, steady_now_);
  ASSERT_TRUE(std::holds_alternative<StepResult>(get_challenge));
  EXPECT_EQ(std::get<StepResult>(get_challenge).response.code, coap::Code::MethodNotAllowed);
}

TEST_F(TpmSessionTest, AnActivationIsRoutedAsTheCredentialsOfTheCertifiedCsr) {
  const StepResult challenged = challenge(enrollment_);
  ASSERT_EQ(challenged.response.code, coap::Code::Changed) << challenged.response.payload_text();
  EXPECT_FALSE(session_.attested());
  auto next = session_.begin(post(uris::kTpmActivation, activation_body(challenged)), now_,
                             steady_now_ + seconds(5));
  auto* route = std::get_if<TpmSession::Route>(&next);
  ASSERT_NE(route, nullptr);
  EXPECT_TRUE(route->first);
  EXPECT_EQ(route->request.uri_path(), uris::kCredentials);
  const json body = json::from_cbor(route->request.payload);
  EXPECT_EQ(body.value("di", ""), kDeviceId);
  EXPECT_TRUE(session_.attested());
  EXPECT_EQ(session_.peer().tpm_endorsement_key_sha256, enrollment_.public_key_sha256);
  EXPECT_FALSE(session_.peer().certified_key_sha256.empty());
  ASSERT_TRUE(session_.peer().individual);
  EXPECT_EQ(session_.peer().individual->owner, "owner-a");

  // Attested: ownership is routed; the identity session's steps are not served here.
  auto ownership = session_.begin(device::make_get(uris::kOwnership), now_, steady_now_);
  EXPECT_TRUE(std::holds_alternative<TpmSession::Route>(ownership));
  auto acls = session_.begin(device::make_get(uris::kAcls), now_, steady_now_);
  ASSERT_TRUE(std::holds_alternative<StepResult>(acls));
  EXPECT_EQ(std::get<StepResult>(acls).response.code, coap::Code::Forbidden);
}

TEST_F(TpmSessionTest, ALateActivationIsRefusedAndTheOwnersRecordSaysSo) {
  const StepResult challenged = challenge(enrollment_);
  ASSERT_EQ(challenged.response.code, coap::Code::Changed);
  auto next = session_.begin(post(uris::kTpmActivation, activation_body(challenged)), now_,
                             steady_now_ + tpm_attestation::kChallengeLifetime + seconds(1));
  ASSERT_TRUE(std::holds_alternative<StepResult>(next));
  const auto& refused = std::get<StepResult>(next);
  EXPECT_EQ(refused.response.code, coap::Code::Forbidden);
  EXPECT_TRUE(refused.close_after);
  ASSERT_TRUE(refused.record);
  EXPECT_EQ(refused.record->owner, "owner-a");
  EXPECT_EQ(refused.record->individual_enrollment_id, "e1");
  ASSERT_TRUE(refused.record->attestation);
  EXPECT_NE(refused.record->attestation->status.error_message.find("expired"), std::string::npos);
  EXPECT_EQ(refused.record->attestation->status.coap_code,
            static_cast<uint8_t>(coap::Code::Forbidden));
  EXPECT_EQ(refused.record->attestation->tpm_endorsement_key_sha256, enrollment_.public_key_sha256);
  EXPECT_FALSE(session_.attested());
}

TEST_F(TpmSessionTest, OneChallengePerSessionAndNoneForACertificateEnrollment) {
  store::IndividualEnrollment certificate_device = enrollment_;
  certificate_device.tpm_endorsement_key.clear();  // same key hash, but not a TPM enrollment
  const StepResult refused = challenge(certificate_device);
  EXPECT_EQ(refused.response.code, coap::Code::Forbidden);
  EXPECT_FALSE(refused.record) << "no TPM enrollment: no owner to tell";
  auto again =
      session_.begin(post(uris::kTpmChallenge, tpm_->challenge_request()), now_, steady_now_);
  ASSERT_TRUE(std::holds_alternative<StepResult>(again));
  EXPECT_EQ(std::get<StepResult>(again).response.code, coap::Code::Forbidden);
}

TEST_F(TpmSessionTest, AStoreFailureIsRetriableOnTheSameSession) {
  auto next =
      session_.begin(post(uris::kTpmChallenge, tpm_->challenge_request()), now_, steady_now_);
  ASSERT_TRUE(std::holds_alternative<TpmSession::LookUp>(next));
  const StepResult unavailable = session_.finish_challenge(
      post(uris::kTpmChallenge, tpm_->challenge_request()),
      Result<std::optional<store::IndividualEnrollment>>(
          tl::unexpected(Error{ErrorCode::Unavailable, "database down", {}})),
      *catalog_, now_, steady_now_);
  EXPECT_EQ(unavailable.response.code, coap::Code::ServiceUnavailable);
  EXPECT_FALSE(unavailable.close_after);
  EXPECT_EQ(challenge(enrollment_).response.code, coap::Code::Changed);
}

TEST_F(TpmSessionTest, ATpmGroupAdmitsByTheEkCertificateItsCaIssued) {
  const test::TestCa vendor = test::make_root_ca("TPM Vendor Root");
  const StepResult challenged = challenge(std::nullopt, with_tpm_group(vendor));
  ASSERT_EQ(challenged.response.code, coap::Code::Changed) << challenged.response.payload_text();
  EXPECT_EQ(session_.peer().enrollment_group_id, "g1");
  EXPECT_FALSE(session_.peer().individual);
}

TEST_F(TpmSessionTest, AnotherOwnersEnrollmentOfTheEkNeitherTakesNorDeniesATpmItsGroupAdmits) {
  // As for certificate devices: owner B's TPM group admits the TPM its CA certified; owner A's
  // individual enrollment of that (public) EK does not take it, disabled or not.
  const test::TestCa vendor = test::make_root_ca("TPM Vendor Root");
  const json body = with_tpm_group(vendor);  // owner B's group
  store::IndividualEnrollment disabled = enrollment_;
  disabled.disabled = true;
  const StepResult challenged = challenge(disabled, body);
  ASSERT_EQ(challenged.response.code, coap::Code::Changed) << challenged.response.payload_text();
  EXPECT_EQ(session_.peer().enrollment_group_id, "g1");
  EXPECT_FALSE(session_.peer().individual);
}

TEST_F(TpmSessionTest, TheGroupOwnersOwnIndividualEnrollmentWinsOverItsGroup) {
  const test::TestCa vendor = test::make_root_ca("TPM Vendor Root");
  const json body = with_tpm_group(vendor);
  store::IndividualEnrollment own = enrollment_;
  own.owner = "owner-b";  // the group's owner
  const StepResult challenged = challenge(own, body);
  ASSERT_EQ(challenged.response.code, coap::Code::Changed);
  ASSERT_TRUE(session_.peer().individual);
  EXPECT_EQ(session_.peer().individual->owner, "owner-b");
  EXPECT_TRUE(session_.peer().enrollment_group_id.empty());
}

TEST_F(TpmSessionTest, ADisabledTpmGroupRefusesAndOnlyItsOwnerHearsOfIt) {
  const test::TestCa vendor = test::make_root_ca("TPM Vendor Root");
  const StepResult refused = challenge(std::nullopt, with_tpm_group(vendor, /*disabled=*/true));
  EXPECT_EQ(refused.response.code, coap::Code::Forbidden);
  ASSERT_TRUE(refused.record);
  EXPECT_EQ(refused.record->owner, "owner-b");
  EXPECT_EQ(refused.record->enrollment_group_id, "g1");
  // Another CA's certificate names no group: refused, and no owner is told.
  const test::TestCa other = test::make_root_ca("TPM Vendor Root");
  TpmSession fresh;
  const json body = with_tpm_group(vendor);
  json forged = body;
  auto ek = tpm::parse_tpm2b_public(tpm_->endorsement_key_tpm2b());
  auto ek_key = tpm::to_evp_pkey(*ek);
  forged["ekCertificate"] =
      json::binary(test::to_der(test::make_ek_certificate(other, ek_key->get()).get()));
  auto next = fresh.begin(post(uris::kTpmChallenge, forged), now_, steady_now_);
  ASSERT_TRUE(std::holds_alternative<TpmSession::LookUp>(next));
  const StepResult unknown =
      fresh.finish_challenge(post(uris::kTpmChallenge, forged),
                             Result<std::optional<store::IndividualEnrollment>>(std::nullopt),
                             *catalog_, now_, steady_now_);
  EXPECT_EQ(unknown.response.code, coap::Code::Forbidden);
  EXPECT_NE(unknown.response.payload_text().find("does not chain"), std::string::npos)
      << unknown.response.payload_text();
  EXPECT_FALSE(unknown.record);
}

}  // namespace
}  // namespace dps::provisioning
