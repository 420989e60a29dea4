// /api/v1/hubs end to end on SQLite: CRUD, hubId uniqueness per owner, filters, counts.
#include <gtest/gtest.h>

#include <algorithm>

#include "api_fixture.hpp"

namespace dps::api::testing {
namespace {

using Ids = std::vector<std::string>;

class Hubs : public ApiTest {};

TEST_F(Hubs, PostWithoutHubIdUsesTheGeneratedIdForBoth) {
  const json created = create("hubs", hub_body(""));
  EXPECT_EQ(created["hubId"], created["id"]);
  EXPECT_EQ(created["name"], created["id"]);
  EXPECT_EQ(created["owner"], kAlice);
  EXPECT_EQ(created["gateways"], json({"coaps+tcp://hub.example.com:5684"}));
  EXPECT_EQ(changes_, 1);
  const auto listed = list("/api/v1/hubs");
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0], created);
}

TEST_F(Hubs, PostWithAHubIdKeepsItAndGeneratesTheRecordId) {
  const json created = create("hubs", hub_body(kHubA));
  EXPECT_EQ(created["hubId"], kHubA);
  EXPECT_NE(created["id"], kHubA);
}

TEST_F(Hubs, HubIdIsUniquePerOwner) {
  const std::string first = create("hubs", hub_body(kHubA))["id"];
  ApiResponse again = call("POST", "/api/v1/hubs", hub_body(kHubA));
  EXPECT_EQ(again.status, 409u);
  EXPECT_EQ(error_message(again, 6),
            "hubId \"" + std::string(kHubA) + "\" is already used by hub \"" + first + "\"");
  EXPECT_EQ(call("POST", "/api/v1/hubs", hub_body(kHubA), kBob).status, 200u);  // other owner

  const std::string second = create("hubs", hub_body(kHubB))["id"];
  EXPECT_EQ(call("PUT", "/api/v1/hubs/" + second, hub_body(kHubA)).status, 409u);
  EXPECT_EQ(call("PUT", "/api/v1/hubs/" + first, hub_body(kHubA)).status, 200u);  // its own
  EXPECT_EQ(changes_, 4);  // alice a, bob a, alice b, PUT of first
  EXPECT_EQ(list("/api/v1/hubs?hubIdFilter=" + std::string(kHubA)).size(), 1u);
}

TEST_F(Hubs, IdOfAProvisionedDeviceOfAnyOwnerIsNoHubId) {
  // Bob's device got an identity certificate for kHubB before any hub had that id.
  store::ProvisioningRecord record{.id = "r-bob",
                                   .device_id = kHubB,
                                   .enrollment_group_id = "g-bob",
                                   .owner = kBob,
                                   .creation_date = 1700000000000000000};
  record.ownership = store::OwnershipSection{{1700000000000000001, 68, ""}, kBob};
  auto outcomes = store_->apply_record_updates(std::span(&record, 1));
  ASSERT_TRUE(outcomes && outcomes->size() == 1 && outcomes->front());

  ApiResponse created = call("POST", "/api/v1/hubs", hub_body(kHubB));
  EXPECT_EQ(created.status, 409u);
  EXPECT_NE(error_message(created, 6).find("identity of a provisioned device"), std::string::npos);
  const json hub = create("hubs", hub_body(kHubA));
  ApiResponse renamed =
      call("PUT", "/api/v1/hubs/" + hub["id"].get<std::string>(), hub_body(kHubB));
  EXPECT_EQ(renamed.status, 409u) << renamed.body;
}

TEST_F(Hubs, PutReplacesTheWholeHub) {
  json body = hub_body(kHubA);
  body["authorization"]["provider"] = {{"name", "plgd"},
                                       {"authority", "https://auth.example.com"},
                                       {"clientId", "dps"},
                                       {"clientSecret", "s3cret"}};
  const std::string id = create("hubs", body)["id"];
  json update = hub_body(kHubB);
  update["name"] = "moved";
  update["gateways"] = {"coap+tcp://other:5683"};
  ApiResponse response = call("PUT", "/api/v1/hubs/" + id, update);
  ASSERT_EQ(response.status, 200u) << response.body;
  const json updated = json::parse(response.body);
  EXPECT_EQ(updated, (json{{"id", id},
                           {"hubId", kHubB},
                           {"owner", kAlice},
                           {"name", "moved"},
                           {"gateways", {"coap+tcp://other:5683"}},
                           {"authorization", {{"ownerClaim", "https://plgd.dev/owner"}}}}));
  EXPECT_EQ(list("/api/v1/hubs").at(0), updated);
  EXPECT_EQ(changes_, 2);
}

TEST_F(Hubs, PutOfAnUnknownIdIs404AndBadBodyIs400) {
  const std::string id = create("hubs", hub_body())["id"];
  EXPECT_EQ(call("PUT", "/api/v1/hubs/" + std::string(kHubB), hub_body()).status, 404u);
  json bad = hub_body();
  bad["gateways"] = {"http://x:80"};
  ApiResponse response = call("PUT", "/api/v1/hubs/" + id, bad);
  EXPECT_EQ(response.status, 400u);
  EXPECT_EQ(error_message(response, 3),
            "gateways[0]: \"http://x:80\" is not a CoAP URI (coaps+tcp://host:port)");
  EXPECT_EQ(changes_, 1);
}

TEST_F(Hubs, FiltersSelectAndOr) {
  const std::string a = create("hubs", hub_body(kHubA))["id"];
  const std::string b = create("hubs", hub_body(kHubB))["id"];
  Ids both{a, b};
  std::sort(both.begin(), both.end());
  EXPECT_EQ(ids_of(list("/api/v1/hubs")), both);
  EXPECT_EQ(ids_of(list("/api/v1/hubs?idFilter=" + a)), Ids{a});
  EXPECT_EQ(ids_of(list("/api/v1/hubs?hubIdFilter=" + std::string(kHubB))), Ids{b});
  EXPECT_EQ(ids_of(list("/api/v1/hubs?idFilter=" + a + "&hub_id_filter=" + std::string(kHubB))),
            both);
  ApiResponse unknown = call("GET", "/api/v1/hubs?attestationMechanismX509CertificateNames=x");
  EXPECT_EQ(unknown.status, 400u);
  EXPECT_EQ(error_message(unknown, 3),
            "unknown query parameter \"attestationMechanismX509CertificateNames\" (accepted: "
            "idFilter, hubIdFilter)");
}

TEST_F(Hubs, DeleteCountsAndRefusesMissingOrUnmatchedIdFilter) {
  const std::string a = create("hubs", hub_body(kHubA))["id"];
  const std::string b = create("hubs", hub_body(kHubB))["id"];
  EXPECT_EQ(call("DELETE", "/api/v1/hubs").status, 400u);
  EXPECT_EQ(call("DELETE", "/api/v1/hubs?idFilter=" + std::string(kHubA)).status, 404u);
  EXPECT_EQ(changes_, 2);
  ApiResponse deleted = call("DELETE", "/api/v1/hubs?idFilter=" + a + "&idFilter=" + b);
  EXPECT_EQ(deleted.status, 200u);
  EXPECT_EQ(deleted.body, R"({"count":"2"})");
  EXPECT_EQ(changes_, 3);
  EXPECT_TRUE(list("/api/v1/hubs").empty());
}

}  // namespace
}  // namespace dps::api::testing
