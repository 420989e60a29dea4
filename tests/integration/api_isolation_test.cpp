// Tenancy over real HTTPS (management-api.md "Authorization and tenancy"): every read and write
// is scoped to the caller's owner. Another owner's hubs and records are invisible to every
// filter, a PUT or DELETE of them is 404 (records: a count of 0) and leaves them exactly as they
// were; hub ids are per owner, so a group only ever reaches hubs of its own owner. (Groups:
// ApiHttp.AnotherOwnerCannotSeeChangeOrDeleteAGroup.)
#include "support/api_fixture.hpp"

namespace dps::itest {
namespace {

using nlohmann::json;

constexpr const char* kGatewayOfB = "coaps+tcp://owner-b.example.com:5684";

class ApiIsolation : public ApiTest {};

TEST_F(ApiIsolation, AnotherOwnerCannotSeeChangeOrDeleteAHub) {
  const json group = enroll_api_mfg(kOwnerA);
  const auto hubs_of_a = list(kHubsPath, token_of(kOwnerA));
  ASSERT_EQ(hubs_of_a.size(), 1u);
  const std::string id = hubs_of_a[0]["id"];
  const std::string token_b = token_of(kOwnerB);

  for (const std::string& query :
       {std::string(), "?idFilter=" + id, std::string("?hubIdFilter=") + kApiHub}) {
    EXPECT_TRUE(list(kHubsPath + query, token_b).empty()) << query;
  }
  const auto put = call(Verb::put, std::string(kHubsPath) + "/" + id, token_b,
                        hub_body(kApiHub, kGatewayOfB).dump());
  EXPECT_TRUE(is_api_error(put, 404, 5, "hub \"" + id + "\" not found"));
  const auto erased = call(Verb::delete_, std::string(kHubsPath) + "?idFilter=" + id, token_b);
  EXPECT_TRUE(is_api_error(erased, 404, 5, "no hub matches the idFilter"));
  // Mixed with an id of its own, B's DELETE takes only its own hub.
  const std::string own = create(kHubsPath, hub_body(kApiHub2), kOwnerB)["id"];
  const auto mixed =
      call(Verb::delete_, std::string(kHubsPath) + "?idFilter=" + id + "&idFilter=" + own, token_b);
  EXPECT_EQ(mixed.body, R"({"count":"1"})") << mixed.status;
  EXPECT_TRUE(list(kHubsPath, token_b).empty());

  EXPECT_EQ(list(kHubsPath, token_of(kOwnerA)), hubs_of_a) << "owner A's hub was modified";
  const auto device = provision(api_mfg_tls());
  ASSERT_TRUE(device.ok) << device.error;
  EXPECT_EQ(device.hub.cis, kLocalGateway) << "the device got another gateway";
}

TEST_F(ApiIsolation, AnotherOwnerCannotSeeOrDeleteRecords) {
  const json group = enroll_api_mfg(kOwnerA);
  const auto device = provision(api_mfg_tls());
  ASSERT_TRUE(device.ok) << device.error;
  const auto records_of_a = list(kRecordsPath, token_of(kOwnerA));
  ASSERT_EQ(records_of_a.size(), 1u);
  const std::string id = records_of_a[0]["id"];
  const std::string token_b = token_of(kOwnerB);

  const std::vector<std::string> queries{
      "", "?idFilter=" + id, "?deviceIdFilter=" + device.device_id,
      "?enrollmentGroupIdFilter=" + group["id"].get<std::string>()};
  for (const auto& query : queries) {
    EXPECT_TRUE(list(kRecordsPath + query, token_b).empty()) << query;
    // The other view of records is scoped the same way.
    const std::string ocf = kRecordsPath + (query.empty() ? "?" : query + "&") + "view=ocf";
    EXPECT_TRUE(list(ocf, token_b).empty()) << ocf;
    const auto erased = call(Verb::delete_, kRecordsPath + query, token_b);
    EXPECT_EQ(erased.status, 200u) << query;
    EXPECT_EQ(erased.body, R"({"count":"0"})") << query;
  }
  EXPECT_EQ(list(kRecordsPath, token_of(kOwnerA)), records_of_a) << "owner A's record changed";
}

TEST_F(ApiIsolation, AnotherOwnersGroupsAreInvisibleToEveryFilter) {
  const json group = enroll_api_mfg(kOwnerA);
  const std::string token_b = token_of(kOwnerB);
  const std::string id = group["id"];
  // Each filter finds owner A's group for owner A, and nothing for owner B.
  for (const std::string& query :
       {"?idFilter=" + id,
        std::string("?attestationMechanismX509CertificateNames=") + "itest+api+mfg+intermediate",
        std::string("?hubIdFilter=") + kApiHub}) {
    EXPECT_TRUE(list(kGroupsPath + query, token_b).empty()) << query;
    const auto of_a = list(kGroupsPath + query, token_of(kOwnerA));
    ASSERT_EQ(of_a.size(), 1u) << query;
    EXPECT_EQ(of_a[0]["id"], id) << query;
  }
  EXPECT_TRUE(list(std::string(kGroupsPath) + "?idFilter=" + kGroupId, token_b).empty());
  // The group of the config file belongs to owner "1": visible to that owner only.
  EXPECT_EQ(list(kGroupsPath, token_of(kOwnerA)).size(), 1u);
  const auto owner_one = list(kGroupsPath, token_of("1"));
  ASSERT_EQ(owner_one.size(), 1u);
  EXPECT_EQ(owner_one[0]["id"], kGroupId);
}

TEST_F(ApiIsolation, HubIdsArePerOwnerAndGroupsReachOnlyTheirOwnersHubs) {
  enroll_api_mfg(kOwnerA);  // owner A: hub kApiHub at kLocalGateway
  const auto mfg_b = make_manufacturer("itest owner b mfg");
  const auto device_b = [&] { return provision(tls_for(mfg_b.device, &mfg_b.intermediate)); };

  // Owner B's group naming kApiHub, which only owner A has, is refused: to B it names no hub
  // (and B's devices must not get A's hub).
  EXPECT_TRUE(is_api_error(
      call(Verb::post, kGroupsPath, token_of(kOwnerB), group_body(mfg_b, {kApiHub}).dump()), 400, 3,
      "no hub with hubId"));
  const auto without_hub = device_b();
  EXPECT_FALSE(without_hub.ok) << "provisioned with another owner's hub: " << without_hub.hub.cis;
  EXPECT_NE(without_hub.hub.cis, kLocalGateway);

  // The same hubId is free for owner B (409 is only within one owner).
  const json hub_b = create(kHubsPath, hub_body(kApiHub, kGatewayOfB), kOwnerB);
  EXPECT_EQ(hub_b["hubId"], kApiHub);
  create(kGroupsPath, group_body(mfg_b, {kApiHub}), kOwnerB);
  const auto with_hub = device_b();
  ASSERT_TRUE(with_hub.ok) << with_hub.error;
  EXPECT_EQ(with_hub.hub.cis, kGatewayOfB);
  EXPECT_EQ(with_hub.hub.sid, kApiHub);

  const auto device_a = provision(api_mfg_tls());
  ASSERT_TRUE(device_a.ok) << device_a.error;
  EXPECT_EQ(device_a.hub.cis, kLocalGateway) << "owner A's device got owner B's hub";
  EXPECT_EQ(list(kHubsPath, token_of(kOwnerA)).size(), 1u);
  EXPECT_EQ(list(kRecordsPath, token_of(kOwnerA)).size(), 1u);
  EXPECT_EQ(list(kRecordsPath, token_of(kOwnerB)).size(), 1u);
}

}  // namespace
}  // namespace dps::itest
