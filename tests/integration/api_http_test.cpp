// The management API over real HTTPS (management-api.md): dps started with apis.http enabled,
// driven by the shared ApiClient (support/api_client.hpp) that trusts <dataDirectory>/ca.pem,
// with admin tokens the test mints from dps's own signing key. Changes made through the API
// reach the next device handshake. Themes in their own files: api_crud_test (CRUD and the wire
// form of answers), api_filter_test (query filters), api_auth_test (bearer tokens),
// api_validation_test (bad bodies, queries, 413), api_isolation_test (owners),
// api_revocation_test (revocation through the API), api_load_test (bad requests while devices
// provision).
#include "support/api_fixture.hpp"

namespace dps::itest {
namespace {

using nlohmann::json;

class ApiHttp : public ApiTest {};

TEST_F(ApiHttp, HealthAndDiscoveryAreOpenButTheApiNeedsAToken) {
  const auto health = call(Verb::get, "/healthz", "");
  EXPECT_EQ(health.status, 200u) << health.body;

  const auto discovery = call(Verb::get, "/.well-known/openid-configuration", "");
  ASSERT_EQ(discovery.status, 200u) << discovery.body;
  const auto doc = discovery.object();
  ASSERT_TRUE(doc.is_object()) << discovery.body;
  EXPECT_TRUE(doc.contains("jwks_uri") && doc["jwks_uri"].is_string()) << discovery.body;

  const auto anonymous = call(Verb::get, kGroupsPath, "");
  EXPECT_EQ(anonymous.status, 401u) << anonymous.body;
  const auto error = anonymous.object();
  ASSERT_TRUE(error.is_object()) << anonymous.body;
  EXPECT_EQ(error.value("code", -1), 16) << anonymous.body;
  EXPECT_TRUE(error.contains("message")) << anonymous.body;
}

TEST_F(ApiHttp, GroupCreatedThroughTheApiProvisionsTheNextDevice) {
  std::string why;
  EXPECT_TRUE(handshake_refused(api_mfg_tls(), &why)) << "not enrolled yet, yet: " << why;

  const auto group = enroll_api_mfg(kOwnerA);
  ASSERT_TRUE(group.is_object() && group.contains("id")) << group.dump();

  const auto result = provision(api_mfg_tls());
  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_EQ(result.hub.sid, kApiHub);
  EXPECT_EQ(result.hub.cis, kLocalGateway);

  const auto records = call(Verb::get, kRecordsPath, token_of(kOwnerA)).lines();
  ASSERT_EQ(records.size(), 1u);
  ASSERT_TRUE(records[0].contains("result")) << records[0].dump();
  EXPECT_EQ(records[0]["result"].value("deviceId", ""), result.device_id) << records[0].dump();
  EXPECT_EQ(records[0]["result"].value("enrollmentGroupId", ""), group["id"].get<std::string>());
}

TEST_F(ApiHttp, AnotherOwnerCannotSeeChangeOrDeleteAGroup) {
  const auto group = enroll_api_mfg(kOwnerA);
  ASSERT_TRUE(group.is_object() && group.contains("id")) << group.dump();
  const std::string id = group["id"];
  const std::string token_a = token_of(kOwnerA);
  const std::string token_b = token_of(kOwnerB);
  const auto before = call(Verb::get, kGroupsPath, token_a).lines();
  ASSERT_EQ(before.size(), 1u);

  const auto listed = call(Verb::get, kGroupsPath, token_b);
  EXPECT_EQ(listed.status, 200u) << listed.body;
  EXPECT_TRUE(listed.lines().empty()) << listed.body;

  auto changed = group_body(kApiHub);
  changed["disabled"] = true;
  const auto put = call(Verb::put, std::string(kGroupsPath) + "/" + id, token_b, changed.dump());
  EXPECT_EQ(put.status, 404u) << put.body;
  const auto erased = call(Verb::delete_, std::string(kGroupsPath) + "?idFilter=" + id, token_b);
  EXPECT_EQ(erased.status, 404u) << erased.body;

  const auto after = call(Verb::get, kGroupsPath, token_a).lines();
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0], before[0]);
  EXPECT_TRUE(provision(api_mfg_tls()).ok) << "owner A's group still provisions";
}

TEST_F(ApiHttp, GroupDisabledThroughTheApiRefusesDevicesUntilReenabled) {
  const auto group = enroll_api_mfg(kOwnerA);
  ASSERT_TRUE(group.is_object() && group.contains("id")) << group.dump();
  const std::string path = std::string(kGroupsPath) + "/" + group["id"].get<std::string>();
  const auto first = provision(api_mfg_tls());
  ASSERT_TRUE(first.ok) << first.error;

  auto disabled = group_body(kApiHub);
  disabled["disabled"] = true;
  const auto put = call(Verb::put, path, token_of(kOwnerA), disabled.dump());
  ASSERT_EQ(put.status, 200u) << put.body;
  EXPECT_EQ(put.object().value("disabled", false), true) << put.body;

  std::string why;
  EXPECT_TRUE(handshake_refused(api_mfg_tls(), &why)) << "disabled group, yet: " << why;
  expect_server_serves();  // the config group of mfg_ is untouched

  // A PUT that omits `disabled` keeps it (json_codec.hpp): the group stays disabled.
  const auto kept = call(Verb::put, path, token_of(kOwnerA), group_body(kApiHub).dump());
  ASSERT_EQ(kept.status, 200u) << kept.body;
  EXPECT_EQ(kept.object().value("disabled", false), true) << kept.body;
  EXPECT_TRUE(handshake_refused(api_mfg_tls(), &why)) << "still disabled, yet: " << why;

  auto enabled = group_body(kApiHub);
  enabled["disabled"] = false;
  const auto reenabled = call(Verb::put, path, token_of(kOwnerA), enabled.dump());
  ASSERT_EQ(reenabled.status, 200u) << reenabled.body;
  EXPECT_EQ(reenabled.object().value("disabled", true), false) << reenabled.body;
  const auto again = provision(api_mfg_tls());
  EXPECT_TRUE(again.ok) << "re-enabled group, yet: " << again.error;
}

}  // namespace
}  // namespace dps::itest
