// Enrollment templates through the router (issue 14): the ACEs they add, the lifetimes they set,
// the pre-configuration resource (GET with each device's values, POST reports checked against what
// was sent) and the identity session's limits. Real CA, minter and catalog; no transport.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "auth/base64url.hpp"
#include "auth/embedded_token_minter.hpp"
#include "pki/embedded_ca.hpp"
#include "pki/pem.hpp"
#include "pki/uuid.hpp"
#include "pki/x509_util.hpp"
#include "provisioning/catalog.hpp"
#include "provisioning/router.hpp"
#include "provisioning/uris.hpp"
#include "support/test_pki.hpp"

// Its own namespace: the unity build batches this file with router_test.cpp's constants.
namespace dps::provisioning::template_steps {
namespace {

using coap::Code;
using nlohmann::json;

const std::string kGroupId = "5db6ccde-05e1-480b-a522-c1591ad7dfd2";
const std::string kHubId = "11111111-2222-3333-4444-555555555555";
const std::string kTemplateId = "7e3c3a56-8a57-4f7e-9b4b-1d2c3e4f5a6b";
const std::string kDeviceId = "9a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d";

class TemplateSteps : public ::testing::Test {
 protected:
  void SetUp() override {
    pki::EmbeddedCaOptions options;
    options.data_dir = dir_.path();
    ca_ = std::move(pki::EmbeddedCa::load_or_create(options).value());
    tokens_ = std::move(
        auth::EmbeddedTokenMinter::load_or_create(dir_.path(), "dps", std::chrono::hours(1))
            .value());
    router_ = std::make_unique<Router>(Services{ca_.get(), tokens_.get(), {}, nullptr, nullptr});
    group_.id = kGroupId;
    group_.owner = "alice";
    group_.name = "line";
    group_.x509.certificate_chain = manufacturer_.chain_pem();
    group_.hub_ids = {kHubId};
    group_.template_id = kTemplateId;
    hub_.id = kHubId;
    hub_.hub_id = kHubId;
    hub_.owner = "alice";
    hub_.gateways = {"coaps+tcp://hub.example.com:5684"};
    hub_.authorization.owner_claim = "https://plgd.dev/owner";
    template_.id = kTemplateId;
    template_.owner = "alice";
    template_.name = "line template";
    template_.access_control_list_json =
        json::array({{{"subject", {{"conntype", "auth-crypt"}}},
                      {"resources", json::array({{{"href", "/light/1"}}})},
                      {"permission", 6}},
                     // The owner ACE every device gets already: not sent twice.
                     {{"subject", {{"conntype", "anon-clear"}}},
                      {"resources", json::array({{{"href", "/oic/d"}},
                                                 {{"href", "/oic/p"}},
                                                 {{"href", "/oic/res"}},
                                                 {{"href", "/oic/sec/sdi"}},
                                                 {{"href", "/oic/sec/doxm"}}})},
                      {"permission", 2}}})
            .dump();
    template_.token_lifetime_seconds = 600;
    template_.identity_certificate_validity_seconds = 7200;
    template_.pre_configuration = {
        {"/oc/con", R"({"n":"plant {{deviceId}}","owner":"{{owner}}","hub":"{{hubId}}"})"},
        {"/x.vendor/mode", R"({"mode":2})"}};
    rebuild();
    peer_.enrollment_group_id = kGroupId;
    peer_.registration_id = "c0ffee00-0000-5000-8000-000000000001";
  }

  void rebuild() { catalog_ = Catalog::build({group_}, {hub_}, nullptr, nullptr, {template_}); }

  static coap::Message request(Code method, std::string_view path) {
    coap::Message m;
    m.code = method;
    m.token = {1, 2, 3, 4, 5, 6, 7, 8};
    m.set_uri_path(path);
    m.add_uint_option(coap::option::kAccept, coap::content_format::kCbor);
    return m;
  }
  static coap::Message post(std::string_view path, const json& body) {
    auto m = request(Code::Post, path);
    m.add_uint_option(coap::option::kContentFormat, coap::content_format::kCbor);
    m.payload = json::to_cbor(body);
    return m;
  }
  static coap::Message get_pre_configuration(const std::string& di) {
    auto m = request(Code::Get, uris::kPreConfiguration);
    m.add_string_option(coap::option::kUriQuery, "di=" + di);
    return m;
  }
  StepResult handle(const coap::Message& m) { return router_->handle(peer_, catalog_, m, false); }
  static json body_of(const coap::Message& response) { return json::from_cbor(response.payload); }

  test::TempDir dir_;
  std::unique_ptr<pki::EmbeddedCa> ca_;
  std::unique_ptr<auth::EmbeddedTokenMinter> tokens_;
  std::unique_ptr<Router> router_;
  test::TestCa manufacturer_ = test::make_root_ca("template steps manufacturer");
  store::EnrollmentGroup group_;
  store::Hub hub_;
  store::EnrollmentTemplate template_;
  std::shared_ptr<const Catalog> catalog_;
  PeerIdentity peer_;
};

TEST_F(TemplateSteps, TheTemplatesAcesFollowTheUsualOnesWithoutDuplicates) {
  const auto result = handle(request(Code::Get, uris::kAcls));
  ASSERT_EQ(result.response.code, Code::Content);
  const json list = body_of(result.response)["aclist2"];
  ASSERT_EQ(list.size(), 4u) << list.dump();  // owner, anonymous, hub, the template's new one
  const json& added = list.back();
  EXPECT_EQ(added["subject"], (json{{"conntype", "auth-crypt"}}));
  EXPECT_EQ(added["permission"], 6);
  EXPECT_EQ(added["resources"], json::array({{{"href", "/light/1"}, {"if", {"*"}}}}));
  EXPECT_EQ(added["tag"], list.front()["tag"]);
}

TEST_F(TemplateSteps, ATemplateOfAnotherOwnerAddsNothing) {
  template_.owner = "mallory";
  rebuild();
  EXPECT_EQ(body_of(handle(request(Code::Get, uris::kAcls)).response)["aclist2"].size(), 3u);
  const auto pre = handle(get_pre_configuration(kDeviceId));
  ASSERT_EQ(pre.response.code, Code::Content);
  EXPECT_EQ(body_of(pre.response), (json{{"updates", json::array()}}));
}

TEST_F(TemplateSteps, PreConfigurationCarriesTheDevicesOwnValues) {
  const auto result = handle(get_pre_configuration(kDeviceId));
  ASSERT_EQ(result.response.code, Code::Content) << result.response.payload_text();
  const json updates = body_of(result.response)["updates"];
  ASSERT_EQ(updates.size(), 2u);
  EXPECT_EQ(updates[0]["href"], "/oc/con");
  EXPECT_EQ(
      updates[0]["rep"],
      (json{{"n", "plant " + kDeviceId}, {"owner", pki::owner_to_uuid("alice")}, {"hub", kHubId}}));
  EXPECT_EQ(updates[1]["rep"], (json{{"mode", 2}}));
  ASSERT_TRUE(result.record && result.record->pre_configuration);
  EXPECT_EQ(result.record->device_id, kDeviceId);
  EXPECT_NE(result.record->pre_configuration->updates_json.find("plant " + kDeviceId),
            std::string::npos);
  EXPECT_EQ(result.record->pre_configuration->status.coap_code,
            static_cast<uint8_t>(Code::Content));
}

TEST_F(TemplateSteps, PreConfigurationNeedsTheDeviceId) {
  EXPECT_EQ(handle(request(Code::Get, uris::kPreConfiguration)).response.code, Code::BadRequest);
  EXPECT_EQ(handle(get_pre_configuration("not-a-uuid")).response.code, Code::BadRequest);
}

TEST_F(TemplateSteps, AReportIsRecordedAndMayNameOnlyWhatWasSent) {
  const json report{
      {"di", kDeviceId},
      {"results", json::array({{{"href", "/oc/con"}, {"ok", true}},
                               {{"href", "/x.vendor/mode"}, {"ok", false}, {"error", "4.05"}}})}};
  const auto done = handle(post(uris::kPreConfiguration, report));
  ASSERT_EQ(done.response.code, Code::Changed) << done.response.payload_text();
  ASSERT_TRUE(done.record && done.record->pre_configuration);
  const json results = json::parse(done.record->pre_configuration->results_json);
  EXPECT_EQ(results[1], (json{{"href", "/x.vendor/mode"}, {"ok", false}, {"error", "4.05"}}));

  json unsent = report;
  unsent["results"][0]["href"] = "/oic/sec/pstat";
  const auto refused = handle(post(uris::kPreConfiguration, unsent));
  EXPECT_EQ(refused.response.code, Code::BadRequest);
  EXPECT_NE(refused.response.payload_text().find("not sent"), std::string::npos);
  json twice = report;
  twice["results"][1]["href"] = "/oc/con";
  EXPECT_EQ(handle(post(uris::kPreConfiguration, twice)).response.code, Code::BadRequest);
}

TEST_F(TemplateSteps, TheTemplateSetsTheTokenLifetimeAndTheCertificateValidity) {
  const auto cloud = handle(post(uris::kCloudConfiguration, {{"di", kDeviceId}}));
  ASSERT_EQ(cloud.response.code, Code::Changed) << cloud.response.payload_text();
  const std::string token = body_of(cloud.response)["at"];
  const auto first_dot = token.find('.');
  const auto claims =
      json::parse(auth::base64url_decode(
                      token.substr(first_dot + 1, token.find('.', first_dot + 1) - first_dot - 1))
                      .value());
  EXPECT_EQ(claims["exp"].get<int64_t>() - claims["iat"].get<int64_t>(), 600);

  auto key = test::make_key(test::KeyType::P256);
  const auto creds = handle(
      post(uris::kCredentials, {{"di", kDeviceId},
                                {"csr",
                                 {{"encoding", "oic.sec.encoding.pem"},
                                  {"data", test::make_csr_pem(key.get(), "uuid:" + kDeviceId)}}}}));
  ASSERT_EQ(creds.response.code, Code::Changed) << creds.response.payload_text();
  const std::string chain = body_of(creds.response)["creds"][0]["publicdata"]["data"];
  auto certs = pki::parse_certificates_pem(chain);
  ASSERT_TRUE(certs);
  const auto not_after = pki::to_time_point(X509_get0_notAfter(certs->front().get())).value();
  const auto left = not_after - std::chrono::system_clock::now();
  EXPECT_GT(left, std::chrono::minutes(115));
  EXPECT_LT(left, std::chrono::minutes(125));
}

TEST_F(TemplateSteps, AnIdentitySessionServesItsOwnDeviceAndNeverOwnership) {
  peer_.identity_device_id = kDeviceId;
  EXPECT_EQ(handle(request(Code::Get, uris::kOwnership)).response.code, Code::Forbidden);
  EXPECT_EQ(handle(get_pre_configuration("0a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d")).response.code,
            Code::Forbidden);
  const auto own = handle(get_pre_configuration(kDeviceId));
  EXPECT_EQ(own.response.code, Code::Content);
}

}  // namespace
}  // namespace dps::provisioning::template_steps
