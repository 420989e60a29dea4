// The router through its real collaborators: the built-in CA and token minter in a temp dir, and
// a catalog built from a test PKI. Only the transport is absent.
#include "provisioning/router.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "auth/embedded_token_minter.hpp"
#include "pki/embedded_ca.hpp"
#include "pki/pem.hpp"
#include "pki/uuid.hpp"
#include "provisioning/catalog.hpp"
#include "provisioning/uris.hpp"
#include "support/test_pki.hpp"

namespace dps::provisioning {
namespace {

using coap::Code;
using nlohmann::json;

const std::string kGroupId = "5db6ccde-05e1-480b-a522-c1591ad7dfd2";
const std::string kHubId = "11111111-2222-3333-4444-555555555555";
const std::string kDeviceId = "9a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d";

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pki::EmbeddedCaOptions options;
    options.data_dir = dir_.path();
    ca_ = std::move(pki::EmbeddedCa::load_or_create(options).value());
    tokens_ = std::move(
        auth::EmbeddedTokenMinter::load_or_create(dir_.path(), "dps", std::chrono::hours(1))
            .value());
    router_ = std::make_unique<Router>(Services{ca_.get(), tokens_.get(), {}, nullptr, nullptr});
    manufacturer_ = test::make_root_ca("router test manufacturer");

    store::EnrollmentGroup group;
    group.id = kGroupId;
    group.owner = "1";
    group.name = "test";
    group.x509.certificate_chain = manufacturer_.chain_pem();
    group.hub_ids = {kHubId};
    store::Hub hub;
    hub.id = kHubId;
    hub.hub_id = kHubId;
    hub.owner = "1";
    hub.gateways = {"coaps+tcp://hub.example.com:5684"};
    hub.authorization.owner_claim = "https://plgd.dev/owner";
    hub.authorization.provider.name = "plgd";
    groups_ = {group};
    hubs_ = {hub};
    rebuild();

    peer_.enrollment_group_id = kGroupId;
    peer_.registration_id = "c0ffee00-0000-5000-8000-000000000001";
    peer_.common_name = "device";
    peer_.leaf_pem = "LEAF";
  }

  void rebuild() {
    std::vector<std::string> skipped;
    catalog_ = Catalog::build(groups_, hubs_, &skipped);
    ASSERT_TRUE(skipped.empty()) << skipped.front();
  }

  static coap::Message request(Code method, std::string_view path) {
    coap::Message m;
    m.code = method;
    m.token = {1, 2, 3, 4, 5, 6, 7, 8};
    m.set_uri_path(path);
    m.add_uint_option(coap::option::kAccept, coap::content_format::kOcfCbor);
    m.add_uint_option(coap::option::kOcfAcceptContentFormatVersion, 2048);
    return m;
  }

  static coap::Message post(std::string_view path, const json& body) {
    auto m = request(Code::Post, path);
    m.add_uint_option(coap::option::kContentFormat, coap::content_format::kOcfCbor);
    m.add_uint_option(coap::option::kOcfContentFormatVersion, 2048);
    m.payload = json::to_cbor(body);
    return m;
  }

  StepResult handle(const coap::Message& m, bool first = false) {
    return router_->handle(peer_, catalog_, m, first);
  }

  static json body_of(const coap::Message& response) {
    EXPECT_EQ(response.content_format(), coap::content_format::kOcfCbor);
    return json::from_cbor(response.payload);
  }

  test::TempDir dir_;
  std::unique_ptr<pki::EmbeddedCa> ca_;
  std::unique_ptr<auth::EmbeddedTokenMinter> tokens_;
  std::unique_ptr<Router> router_;
  test::TestCa manufacturer_;
  std::vector<store::EnrollmentGroup> groups_;
  std::vector<store::Hub> hubs_;
  std::shared_ptr<const Catalog> catalog_;
  PeerIdentity peer_;
};

TEST_F(RouterTest, AnswersOwnershipWithOwnerUuidAndRecordsIt) {
  auto result = handle(request(Code::Get, uris::kOwnership), /*first=*/true);
  EXPECT_EQ(result.response.code, Code::Content);
  EXPECT_EQ(result.response.token, (std::vector<uint8_t>{1, 2, 3, 4, 5, 6, 7, 8}));
  EXPECT_EQ(body_of(result.response), (json{{"devowneruuid", pki::owner_to_uuid("1")}}));
  ASSERT_TRUE(result.record);
  EXPECT_EQ(result.record->id, peer_.registration_id);
  EXPECT_EQ(result.record->enrollment_group_id, kGroupId);
  ASSERT_TRUE(result.record->ownership);
  EXPECT_EQ(result.record->ownership->status.coap_code, 69);
  ASSERT_TRUE(result.record->attestation);  // first request of the session
  EXPECT_EQ(result.record->attestation->certificate_pem, "LEAF");
  EXPECT_FALSE(result.close_after);
}

TEST_F(RouterTest, AttestationOnlyOnFirstRequest) {
  auto result = handle(request(Code::Get, uris::kPlgdTime));
  ASSERT_TRUE(result.record);
  EXPECT_FALSE(result.record->attestation);
  EXPECT_TRUE(result.record->plgd_time);
}

TEST_F(RouterTest, UnknownPathIsNotFoundAndCloses) {
  auto result = handle(request(Code::Get, "/nope"));
  EXPECT_EQ(result.response.code, Code::NotFound);
  EXPECT_FALSE(result.response.content_format());
  EXPECT_TRUE(result.close_after);
  EXPECT_FALSE(result.record);
}

TEST_F(RouterTest, WrongMethodIsMethodNotAllowed) {
  auto result = handle(post(uris::kOwnership, json::object()));
  EXPECT_EQ(result.response.code, Code::MethodNotAllowed);
}

TEST_F(RouterTest, UnknownCriticalOptionIsBadOption) {
  auto m = request(Code::Get, uris::kOwnership);
  m.add_uint_option(9, 1);
  EXPECT_EQ(handle(m).response.code, Code::BadOption);
}

TEST_F(RouterTest, AnswersJsonWhenAcceptIs50AndRefusesOtherFormats) {
  auto with_accept = [](uint32_t format) {
    coap::Message m;
    m.code = Code::Get;
    m.token = {9};
    m.set_uri_path(uris::kOwnership);
    m.add_uint_option(coap::option::kAccept, format);
    return m;
  };
  auto result = handle(with_accept(coap::content_format::kJson));
  EXPECT_EQ(result.response.content_format(), coap::content_format::kJson);
  EXPECT_EQ(json::parse(result.response.payload_text())["devowneruuid"], pki::owner_to_uuid("1"));
  EXPECT_EQ(handle(with_accept(coap::content_format::kCbor)).response.content_format(),
            coap::content_format::kCbor);
  EXPECT_EQ(handle(with_accept(41)).response.code, Code::NotAcceptable);
}

TEST_F(RouterTest, SessionWithoutGroupIsForbidden) {
  peer_.enrollment_group_id.clear();
  auto result = handle(request(Code::Get, uris::kOwnership));
  EXPECT_EQ(result.response.code, Code::Forbidden);
  EXPECT_TRUE(result.close_after);
}

TEST_F(RouterTest, DisabledGroupIsForbiddenForOpenSessions) {
  groups_[0].disabled = true;
  rebuild();
  EXPECT_EQ(handle(request(Code::Get, uris::kOwnership)).response.code, Code::Forbidden);
}

TEST_F(RouterTest, CloudConfigurationNamesHubAndMintsToken) {
  auto result = handle(post(uris::kCloudConfiguration, {{"di", kDeviceId}}));
  ASSERT_EQ(result.response.code, Code::Changed) << result.response.payload_text();
  auto body = body_of(result.response);
  EXPECT_EQ(body["apn"], "plgd");
  EXPECT_EQ(body["cis"], "coaps+tcp://hub.example.com:5684");
  EXPECT_EQ(body["sid"], kHubId);
  const std::string token = body["at"];
  EXPECT_EQ(std::count(token.begin(), token.end(), '.'), 2);  // header.claims.signature
  ASSERT_TRUE(result.record && result.record->cloud);
  EXPECT_EQ(result.record->device_id, kDeviceId);
  EXPECT_EQ(result.record->cloud->status.coap_code, 68);
  EXPECT_EQ(result.record->cloud->selected_gateway->id, kHubId);
}

TEST_F(RouterTest, CloudConfigurationRefusesBadInput) {
  const std::vector<coap::Message> bad = {
      post(uris::kCloudConfiguration, {{"di", "not-a-uuid"}}),
      post(uris::kCloudConfiguration, json::object()),
      [] {
        auto m = post(uris::kCloudConfiguration, json::object());
        m.payload.clear();
        return m;
      }(),
      [] {
        auto m = post(uris::kCloudConfiguration, json::object());
        m.payload = {0xff, 0x00, 0x13};
        return m;
      }(),
  };
  for (const auto& m : bad) {
    auto result = handle(m);
    EXPECT_EQ(result.response.code, Code::BadRequest) << result.response.payload_text();
    EXPECT_TRUE(result.close_after);
    ASSERT_TRUE(result.record && result.record->cloud);
    EXPECT_EQ(result.record->cloud->status.coap_code, 0);
    EXPECT_FALSE(result.record->cloud->status.error_message.empty());
  }
}

TEST_F(RouterTest, CloudConfigurationRefusesGroupWhoseHubIsMissing) {
  hubs_.clear();
  rebuild();
  auto result = handle(post(uris::kCloudConfiguration, {{"di", kDeviceId}}));
  EXPECT_EQ(result.response.code, Code::BadRequest);
  EXPECT_NE(result.response.payload_text().find(kHubId), std::string_view::npos);
}

TEST_F(RouterTest, CredentialsSignsCsrWithPskFirst) {
  groups_[0].pre_shared_key = "0123456789abcdef-extra";
  rebuild();
  auto key = test::make_key();
  auto csr = test::make_csr_pem(key.get(), "uuid:" + kDeviceId);
  auto result = handle(
      post(uris::kCredentials,
           {{"di", kDeviceId}, {"csr", {{"data", csr}, {"encoding", "oic.sec.encoding.pem"}}}}));
  ASSERT_EQ(result.response.code, Code::Changed) << result.response.payload_text();
  auto creds = body_of(result.response)["creds"];
  ASSERT_EQ(creds.size(), 3u);
  EXPECT_EQ(creds[0]["credtype"], 1);
  const std::vector<uint8_t>& psk = creds[0]["privatedata"]["data"].get_binary();
  EXPECT_EQ(psk, std::vector<uint8_t>(groups_[0].pre_shared_key.begin(),
                                      groups_[0].pre_shared_key.begin() + 16));
  EXPECT_EQ(creds[1]["subjectuuid"], kDeviceId);
  auto chain = pki::parse_certificates_pem(creds[1]["publicdata"]["data"].get<std::string>());
  ASSERT_TRUE(chain);
  EXPECT_EQ(EVP_PKEY_eq(X509_get0_pubkey((*chain)[0].get()), key.get()), 1);
  EXPECT_EQ(creds[2]["publicdata"]["data"], ca_->root_pem());
  ASSERT_TRUE(result.record && result.record->credential);
  EXPECT_EQ(result.record->credential->pre_shared_key, "0123456789abcdef");
  EXPECT_EQ(result.record->credential->credentials_json.find("privatedata"), std::string::npos);
}

TEST_F(RouterTest, CredentialsAndCloudConfigurationRefuseHubAndServerIdsAndNeedDi) {
  const std::string server_id = "5e5e5e5e-0000-4000-8000-00000000005e";
  router_ =
      std::make_unique<Router>(Services{ca_.get(), tokens_.get(), server_id, nullptr, nullptr});
  auto key = test::make_key();
  const auto credentials = [&](const json& di) {
    json body{{"csr",
               {{"data", test::make_csr_pem(key.get(), "uuid:" + di.get<std::string>())},
                {"encoding", "oic.sec.encoding.pem"}}}};
    body["di"] = di;
    return handle(post(uris::kCredentials, body));
  };
  // An identity certificate for a hub's id would let its holder pose as that hub to devices;
  // for the server's id, as dps itself.
  for (const std::string& taken : {kHubId, server_id}) {
    auto issued = credentials(taken);
    EXPECT_EQ(issued.response.code, Code::Forbidden) << taken;
    EXPECT_EQ(issued.response.payload_text().find(taken), std::string_view::npos)
        << "the refusal does not confirm whose id it is";
    auto configured = handle(post(uris::kCloudConfiguration, {{"di", taken}}));
    EXPECT_EQ(configured.response.code, Code::Forbidden) << taken;
  }
  auto without_di = handle(
      post(uris::kCredentials, {{"csr",
                                 {{"data", test::make_csr_pem(key.get(), "uuid:" + kDeviceId)},
                                  {"encoding", "oic.sec.encoding.pem"}}}}));
  EXPECT_EQ(without_di.response.code, Code::BadRequest);
  EXPECT_NE(without_di.response.payload_text().find("missing \"di\""), std::string_view::npos);
  EXPECT_EQ(credentials(json(kDeviceId)).response.code, Code::Changed) << "its own id is fine";
}

TEST_F(RouterTest, CredentialsRefusesBadCsrs) {
  auto key = test::make_key();
  auto rsa = test::make_key(test::KeyType::Rsa2048);
  const std::vector<std::string> csrs = {
      test::make_csr_pem_with_bad_signature(key.get(), "uuid:" + kDeviceId),
      test::make_csr_pem(key.get(), "uuid:0a0b0c0d-0000-4000-8000-000000000000"),  // != di
      test::make_csr_pem(key.get(), "device"),
      test::make_csr_pem(rsa.get(), "uuid:" + kDeviceId),
      "not a csr",
  };
  for (const auto& csr : csrs) {
    auto result = handle(
        post(uris::kCredentials,
             {{"di", kDeviceId}, {"csr", {{"data", csr}, {"encoding", "oic.sec.encoding.pem"}}}}));
    EXPECT_EQ(result.response.code, Code::BadRequest) << csr.substr(0, 40);
  }
  auto wrong_encoding = handle(
      post(uris::kCredentials, {{"di", kDeviceId},
                                {"csr",
                                 {{"data", test::make_csr_pem(key.get(), "uuid:" + kDeviceId)},
                                  {"encoding", "oic.sec.encoding.der"}}}}));
  EXPECT_EQ(wrong_encoding.response.code, Code::BadRequest);
}

TEST_F(RouterTest, AclsListOwnerAnonymousAndHub) {
  auto result = handle(request(Code::Get, uris::kAcls));
  ASSERT_EQ(result.response.code, Code::Content);
  auto aces = body_of(result.response)["aclist2"];
  ASSERT_EQ(aces.size(), 3u);
  EXPECT_EQ(aces[2]["subject"]["uuid"], kHubId);
  ASSERT_TRUE(result.record && result.record->acl);
  EXPECT_EQ(json::parse(result.record->acl->access_control_list_json), aces);
}

}  // namespace
}  // namespace dps::provisioning
