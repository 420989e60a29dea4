// TPM attestation served by a running dps (device-protocol §5), with the device's TPM in software
// (device::SoftwareTpm): a session without a client certificate attests, gets its identity
// certificate and ownership, and the identity session serves the rest; every wrong answer is
// refused with its code and, once an enrollment is named, in its owner's record only; a TPM
// device cannot renew its identity out of its TPM; other devices are unaffected throughout.
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <nlohmann/json.hpp>

#include "common/data_uri.hpp"
#include "device/checks.hpp"
#include "device/requests.hpp"
#include "device/software_tpm.hpp"
#include "provisioning/uris.hpp"
#include "support/api_fixture.hpp"
#include "tpm/constants.hpp"
#include "tpm/endorsement_key.hpp"
#include "tpm/public_key.hpp"
#include "tpm/software_keys.hpp"

namespace dps::itest {
namespace {

using coap::Code;
using device::SoftwareTpm;
using nlohmann::json;
namespace uris = provisioning::uris;

constexpr const char* kIndividualPath = "/api/v1/individual-enrollments";

std::string as_text(const tpm::Bytes& bytes) { return std::string(bytes.begin(), bytes.end()); }

std::string hex_of_sha256_of_ek(const SoftwareTpm& tpm) {
  auto hash = tpm::endorsement_key_hash(as_text(tpm.endorsement_key_tpm2b()));
  EXPECT_TRUE(hash) << hash.error().internal;
  return hash.value_or("");
}

coap::Message post(std::string_view path, const json& body) {
  return device::make_post(path, json::to_cbor(body));
}

json body_of(const coap::Message& response) {
  return json::from_cbor(response.payload, true, /*allow_exceptions=*/false);
}

// The SPKI (DER) of a PKCS#8 PEM private key: what the issued certificate must carry.
std::string spki_of(const std::string& private_key_pem) {
  BIO* bio = BIO_new_mem_buf(private_key_pem.data(), static_cast<int>(private_key_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  auto der = tpm::spki_der(key);
  EVP_PKEY_free(key);
  return der ? std::string(der->begin(), der->end()) : std::string{};
}

class TpmSessionTest : public ApiTest {
 protected:
  void configure(DpsConfigSpec& spec) override {
    ApiTest::configure(spec);
    spec.client_certificate_required = false;
  }

  void SetUp() override {
    ApiTest::SetUp();
    create(kHubsPath, hub_body(kApiHub), kOwnerA);
  }

  /// Enrolls `tpm`'s EK for `owner` (as `tpm2_createek -u` writes it, in a data: URI).
  json enroll(const SoftwareTpm& tpm, const std::string& owner, bool disabled = false) {
    const json body{
        {"name", "tpm device"},
        {"attestationMechanism",
         {{"tpm", {{"endorsementKey", encode_data_uri(as_text(tpm.endorsement_key_tpm2b()))}}}}},
        {"hubIds", {kApiHub}},
        {"disabled", disabled}};
    return create(kIndividualPath, body, owner);
  }

  /// What a device without a certificate trusts: dps's CA only.
  device::ClientTlsOptions no_certificate() const {
    device::ClientTlsOptions options;
    options.ca_pem = server_ca_pem_;
    return options;
  }

  /// One certificate-less session: `requests` in order, each built from the previous answer
  /// (null: stop), closed after. The answers, or why the session failed.
  using NextRequest =
      std::function<std::optional<coap::Message>(const std::vector<coap::Message>&)>;
  Result<std::vector<coap::Message>> session(NextRequest next) {
    auto ctx = device::ClientTls::create(no_certificate());
    if (!ctx) return tl::unexpected(ctx.error());
    device::Provisioner device(device_config(), *ctx);
    using Answers = Result<std::vector<coap::Message>>;
    return run_coro<Answers>([&]() -> awaitable<Answers> {
      auto connected = co_await device.connect(device::Step::Ownership);
      if (!connected) co_return tl::unexpected(connected.error());
      std::vector<coap::Message> answers;
      for (auto request = next(answers); request; request = next(answers)) {
        auto answer = co_await (*connected)->request(std::move(*request));
        if (!answer) break;  // the session closed after a refusal
        answers.push_back(std::move(*answer));
      }
      co_await (*connected)->close();
      co_return answers;
    });
  }

  /// A session sending `request` alone.
  Result<std::vector<coap::Message>> one(const coap::Message& request) {
    return session([&](const std::vector<coap::Message>& so_far) {
      return so_far.empty() ? std::optional(request) : std::nullopt;
    });
  }

  /// The device's whole attested session: challenge, activation (`tamper` may spoil its body),
  /// then ownership. Also hands back the activation (the identity key) when `activation` is set.
  Result<std::vector<coap::Message>> attest(const SoftwareTpm& tpm, const std::string& device_id,
                                            std::function<void(json&)> tamper = {},
                                            SoftwareTpm::Activation* activation = nullptr) {
    return session([&](const std::vector<coap::Message>& answers) -> std::optional<coap::Message> {
      if (answers.empty()) return post(uris::kTpmChallenge, tpm.challenge_request());
      if (answers.size() == 1) {
        if (answers[0].code != Code::Changed) return std::nullopt;
        auto answer = tpm.answer(body_of(answers[0]), device_id);
        EXPECT_TRUE(answer) << answer.error().internal;
        if (!answer) return std::nullopt;
        if (tamper) tamper(answer->body);
        if (activation) *activation = *answer;
        return post(uris::kTpmActivation, answer->body);
      }
      if (answers.size() == 2 && answers[1].code == Code::Changed) {
        return device::make_get(uris::kOwnership);
      }
      return std::nullopt;
    });
  }

  std::vector<json> records_of(const std::string& owner) {
    return list(kRecordsPath, token_of(owner));
  }
};

TEST_F(TpmSessionTest, AttestsThenGetsOwnershipAndTheIdentitySessionServesTheRest) {
  for (const auto kind : {SoftwareTpm::EkKind::P256, SoftwareTpm::EkKind::Rsa2048}) {
    auto tpm = SoftwareTpm::create(kind);
    ASSERT_TRUE(tpm) << tpm.error().internal;
    const json enrollment = enroll(*tpm, kOwnerA);
    const std::string device_id = pki::random_uuid_v4().to_string();
    SoftwareTpm::Activation activation;
    auto answers = attest(*tpm, device_id, {}, &activation);
    ASSERT_TRUE(answers) << answers.error().internal;
    ASSERT_EQ(answers->size(), 3u);
    EXPECT_EQ((*answers)[0].code, Code::Changed) << (*answers)[0].payload_text();
    device::CredentialExpectations expect;
    expect.device_id = device_id;
    expect.private_key_pem = activation.private_key_pem;
    expect.public_key_der = spki_of(activation.private_key_pem);
    auto issued = device::check_credentials_response((*answers)[1], expect);
    ASSERT_TRUE(issued) << issued.error().internal << ": " << (*answers)[1].payload_text();
    auto owner = device::check_ownership_response((*answers)[2]);
    ASSERT_TRUE(owner) << owner.error().internal;

    // The record: attested by this EK, under this enrollment, for owner A alone.
    const auto records = records_of(kOwnerA);
    const auto record = std::find_if(records.begin(), records.end(), [&](const json& r) {
      return r.value("deviceId", "") == device_id;
    });
    ASSERT_NE(record, records.end());
    EXPECT_EQ(record->value("individualEnrollmentId", ""), enrollment.value("id", ""));
    EXPECT_EQ((*record)["attestation"]["tpm"].value("endorsementKeySha256", ""),
              hex_of_sha256_of_ek(*tpm))
        << record->dump();
    EXPECT_FALSE((*record)["attestation"].contains("x509")) << record->dump();
    EXPECT_TRUE(records_of(kOwnerB).empty());

    // The identity session with the certificate just issued (its key the TPM's).
    auto config = device_config();
    config.device_id = device_id;
    device::ClientTlsOptions trust = no_certificate();
    const auto back = device::identity_session_blocking(config, *issued, trust, {});
    EXPECT_TRUE(back.ok) << back.error;
    EXPECT_EQ(back.hub.cis, kLocalGateway);
    // A renewal with a key of its own choosing would take the identity out of the TPM.
    device::IdentitySessionSteps renew;
    renew.cloud_configuration = false;
    renew.acls = false;
    renew.credentials = true;
    const auto renewed = device::identity_session_blocking(config, *issued, trust, renew);
    EXPECT_FALSE(renewed.ok);
    EXPECT_NE(renewed.error.find("not the key this device's TPM certified"), std::string::npos)
        << renewed.error;
  }
  expect_server_serves();
}

TEST_F(TpmSessionTest, ACertificatelessSessionReachesOnlyTheTpmResourcesAndTheTime) {
  auto answers = one(device::make_time_request());
  ASSERT_TRUE(answers) << answers.error().internal;
  ASSERT_EQ(answers->size(), 1u);
  EXPECT_TRUE(device::check_time_response((*answers)[0])) << (*answers)[0].payload_text();

  for (const auto& request :
       {device::make_get(uris::kOwnership), device::make_get(uris::kAcls),
        post(uris::kCloudConfiguration, json{{"di", pki::random_uuid_v4().to_string()}})}) {
    const std::string path = request.uri_path();
    auto refused = one(request);
    ASSERT_TRUE(refused) << path << ": " << refused.error().internal;
    ASSERT_EQ(refused->size(), 1u) << path;
    EXPECT_EQ((*refused)[0].code, Code::Unauthorized) << path;
    EXPECT_NE((*refused)[0].payload_text().find("no client certificate"), std::string::npos);
  }
  expect_server_serves();
}

TEST_F(TpmSessionTest, RefusesEveryWrongAnswerWithItsCode) {
  auto tpm = SoftwareTpm::create(SoftwareTpm::EkKind::P256);
  ASSERT_TRUE(tpm) << tpm.error().internal;
  const std::string device_id = pki::random_uuid_v4().to_string();
  const auto first_code = [&](std::function<void(json&)> tamper) {
    auto answers = attest(*tpm, device_id, std::move(tamper));
    EXPECT_TRUE(answers) << answers.error().internal;
    return answers && !answers->empty() ? (*answers)[0] : coap::Message{};
  };

  // Not enrolled: nothing to challenge, and no record anywhere.
  const auto unknown = first_code({});
  EXPECT_EQ(unknown.code, Code::Forbidden) << unknown.payload_text();
  EXPECT_NE(unknown.payload_text().find("no enrollment admits"), std::string::npos);
  EXPECT_TRUE(records_of(kOwnerA).empty());

  enroll(*tpm, kOwnerA);
  // A wrong proof: refused, and the owner's record says why.
  auto wrong = attest(*tpm, device_id, [](json& body) { body["proof"] = json::binary({1, 2, 3}); });
  ASSERT_TRUE(wrong) << wrong.error().internal;
  ASSERT_EQ(wrong->size(), 2u);
  EXPECT_EQ((*wrong)[1].code, Code::Forbidden) << (*wrong)[1].payload_text();
  EXPECT_NE((*wrong)[1].payload_text().find("proof"), std::string::npos);
  auto records = records_of(kOwnerA);
  ASSERT_EQ(records.size(), 1u);
  // The refusal was stored before the answer left (the OCF view shows attestation statuses).
  const auto refusal = list(std::string(kRecordsPath) + "?view=ocf", token_of(kOwnerA));
  ASSERT_EQ(refusal.size(), 1u);
  const json& status = refusal[0]["attestation"]["status"];
  EXPECT_NE(status.value("errorMessage", "").find("refused at TPM activation: proof"),
            std::string::npos)
      << refusal[0].dump();
  EXPECT_EQ(status.value("coapCode", 0), static_cast<int>(Code::Forbidden)) << refusal[0].dump();
  EXPECT_EQ(refusal[0]["attestation"]["tpm"].value("endorsementKeySha256", ""),
            hex_of_sha256_of_ek(*tpm));
  EXPECT_TRUE(records_of(kOwnerB).empty());

  // A truncated structure: 4.00 naming it.
  auto truncated = attest(*tpm, device_id, [](json& body) {
    auto key = body["key"].get_binary();
    key.resize(key.size() / 2);
    body["key"] = json::binary(key);
  });
  ASSERT_TRUE(truncated) << truncated.error().internal;
  ASSERT_EQ(truncated->size(), 2u);
  EXPECT_EQ(coap::code_class((*truncated)[1].code), 4);
  EXPECT_NE((*truncated)[1].payload_text().find("key"), std::string::npos);

  // An AK that is not restricted cannot vouch for anything.
  auto loose_key = tpm::PkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  auto loose =
      tpm::make_ak_public(loose_key.get(), tpm::default_ak_attributes() & ~tpm::kAttrRestricted);
  ASSERT_TRUE(loose) << loose.error().internal;
  json request = tpm->challenge_request();
  request["ak"] = json::binary(tpm::wrap_tpm2b_public(loose->bytes));
  auto unrestricted = one(post(uris::kTpmChallenge, request));
  ASSERT_TRUE(unrestricted) << unrestricted.error().internal;
  ASSERT_EQ(unrestricted->size(), 1u);
  EXPECT_EQ((*unrestricted)[0].code, Code::Forbidden);
  EXPECT_NE((*unrestricted)[0].payload_text().find("restricted"), std::string::npos)
      << (*unrestricted)[0].payload_text();

  // An activation on a session that holds no challenge (the secret belongs to another session),
  // and a second activation of one challenge.
  SoftwareTpm::Activation good;
  auto elsewhere = session([&](const std::vector<coap::Message>& answers) {
    if (answers.empty()) return std::optional(post(uris::kTpmChallenge, tpm->challenge_request()));
    if (answers.size() > 1) return std::optional<coap::Message>();
    auto answer = tpm->answer(body_of(answers[0]), device_id);
    if (answer) good = *answer;
    return std::optional<coap::Message>();  // leaves before activating
  });
  ASSERT_TRUE(elsewhere) << elsewhere.error().internal;
  auto replayed = one(post(uris::kTpmActivation, good.body));
  ASSERT_TRUE(replayed) << replayed.error().internal;
  ASSERT_EQ(replayed->size(), 1u);
  EXPECT_EQ((*replayed)[0].code, Code::Forbidden);
  EXPECT_NE((*replayed)[0].payload_text().find("no TPM challenge"), std::string::npos);

  // None of it left anything issued: the only record is the refusals'.
  for (const auto& record : records_of(kOwnerA)) {
    EXPECT_FALSE(record.contains("credential")) << record.dump();
  }
  expect_server_serves();
}

TEST_F(TpmSessionTest, AnotherOwnersEnrollmentOfTheSameEkIsRefusedAndADisabledOneRefuses) {
  auto tpm = SoftwareTpm::create(SoftwareTpm::EkKind::P256);
  ASSERT_TRUE(tpm) << tpm.error().internal;
  enroll(*tpm, kOwnerA, /*disabled=*/true);
  // Owner B cannot take the device by enrolling the same (public) EK.
  create(kHubsPath, hub_body(kApiHub), kOwnerB);
  const json body{
      {"name", "stolen"},
      {"attestationMechanism",
       {{"tpm", {{"endorsementKey", encode_data_uri(as_text(tpm->endorsement_key_tpm2b()))}}}}},
      {"hubIds", {kApiHub}}};
  const auto taken = call(Verb::post, kIndividualPath, token_of(kOwnerB), body.dump());
  EXPECT_EQ(taken.status, 409) << taken.body;

  auto answers = attest(*tpm, pki::random_uuid_v4().to_string());
  ASSERT_TRUE(answers) << answers.error().internal;
  ASSERT_EQ(answers->size(), 1u);
  EXPECT_EQ((*answers)[0].code, Code::Forbidden);
  EXPECT_NE((*answers)[0].payload_text().find("disabled"), std::string::npos);
  EXPECT_TRUE(records_of(kOwnerB).empty());
}

}  // namespace
}  // namespace dps::itest
