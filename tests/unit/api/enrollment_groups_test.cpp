// /api/v1/enrollment-groups end to end on SQLite: CRUD, the stream format, filters, counts and
// change notifications.
#include <gtest/gtest.h>

#include <algorithm>

#include "api_fixture.hpp"
#include "pki/uuid.hpp"

namespace dps::api::testing {
namespace {

using Ids = std::vector<std::string>;

class EnrollmentGroups : public ApiTest {
 protected:
  // Their groups and enrollments name kHubA/kHubB: the API refuses hubIds naming no hub.
  void SetUp() override {
    add_hubs(kAlice);
    add_hubs(kBob);
  }
};

TEST_F(EnrollmentGroups, PostCreatesWithGeneratedIdAndStampedOwner) {
  const json created = create("enrollment-groups", group_body("line 1"));
  const std::string id = created.at("id");
  auto uuid = pki::Uuid::parse(id);
  ASSERT_TRUE(uuid) << id;
  EXPECT_EQ(uuid->to_string(), id);
  EXPECT_EQ(uuid->bytes[6] >> 4, 4);  // random (v4)
  EXPECT_EQ(created["owner"], kAlice);
  EXPECT_EQ(created["name"], "line 1");
  EXPECT_EQ(created["attestationMechanism"]["x509"]["leadCertificateName"], "Mfg Intermediate");
  EXPECT_EQ(changes_, 1);

  auto stored = store_->list_enrollment_groups({.scope = store::OwnerScope::of(kAlice)});
  ASSERT_TRUE(stored);
  ASSERT_EQ(stored->size(), 1u);
  EXPECT_EQ(stored->front().id, id);
  EXPECT_EQ(stored->front().owner, kAlice);
}

TEST_F(EnrollmentGroups, GetStreamsOneResultLinePerGroupOrderedById) {
  Ids ids;
  for (int i = 0; i < 3; ++i) {
    ids.push_back(create("enrollment-groups", own_ca_group_body("g" + std::to_string(i)))["id"]);
  }
  std::sort(ids.begin(), ids.end());

  ApiResponse response = call("GET", "/api/v1/enrollment-groups");
  EXPECT_EQ(response.status, 200u);
  EXPECT_EQ(response.content_type, "application/json");
  ASSERT_TRUE(response.body.ends_with("}\n"));
  EXPECT_EQ(std::count(response.body.begin(), response.body.end(), '\n'), 3);
  EXPECT_TRUE(response.body.starts_with("{\"result\":{")) << response.body.substr(0, 40);
  const auto objects = parse_stream(response.body);
  EXPECT_EQ(ids_of(objects), ids);
  EXPECT_EQ(objects[0]["owner"], kAlice);
}

TEST_F(EnrollmentGroups, GetWithNothingStoredIsAnEmptyStream) {
  ApiResponse response = call("GET", "/api/v1/enrollment-groups");
  EXPECT_EQ(response.status, 200u);
  EXPECT_EQ(response.body, "");
}

TEST_F(EnrollmentGroups, EveryFilterSelectsAndDifferentFiltersAreOred) {
  json by_hub_b = own_ca_group_body("by hub b");
  by_hub_b["hubIds"] = {kHubB};
  json by_root = group_body();
  by_root["attestationMechanism"]["x509"]["leadCertificateName"] = "Mfg Root";
  by_root["allowOverlap"] = true;  // the root contains the intermediate of `a`
  const std::string a = create("enrollment-groups", group_body())["id"];
  const std::string b = create("enrollment-groups", by_hub_b)["id"];
  const std::string c = create("enrollment-groups", by_root)["id"];
  auto sorted = [](Ids ids) {
    std::sort(ids.begin(), ids.end());
    return ids;
  };
  const std::string base = "/api/v1/enrollment-groups?";
  EXPECT_EQ(ids_of(list(base + "idFilter=" + b)), Ids{b});
  EXPECT_EQ(ids_of(list(base + "idFilter=" + a + "&idFilter=" + c)), sorted({a, c}));
  EXPECT_EQ(ids_of(list(base + "hubIdFilter=" + kHubB)), Ids{b});
  EXPECT_EQ(ids_of(list(base + "attestationMechanismX509CertificateNames=Mfg+Root")), Ids{c});
  EXPECT_EQ(ids_of(list(base + "attestationMechanismX509CertificateNames=Mfg%20Intermediate")),
            Ids{a});
  EXPECT_EQ(ids_of(list(base + "hubIdFilter=" + std::string(kHubB) +
                        "&attestationMechanismX509CertificateNames=Mfg+Root")),
            sorted({b, c}));
  EXPECT_EQ(ids_of(list(base + "id_filter=" + a)), Ids{a});  // protobuf name
  std::string upper = a;
  std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
  EXPECT_EQ(ids_of(list(base + "idFilter=" + upper)), Ids{a});
  EXPECT_TRUE(list(base + "idFilter=" + std::string(kHubA)).empty());
}

TEST_F(EnrollmentGroups, PutReplacesAndReturnsTheStoredGroup) {
  const std::string id = create("enrollment-groups", group_body())["id"];
  json update = group_body("renamed");
  update["hubIds"] = {kHubB, kHubA};
  update["disabled"] = true;
  ApiResponse response = call("PUT", "/api/v1/enrollment-groups/" + id, update);
  ASSERT_EQ(response.status, 200u) << response.body;
  const json updated = json::parse(response.body);
  EXPECT_EQ(updated["id"], id);
  EXPECT_EQ(updated["owner"], kAlice);
  EXPECT_EQ(updated["name"], "renamed");
  EXPECT_EQ(updated["hubIds"], json({kHubB, kHubA}));
  EXPECT_EQ(updated["disabled"], true);
  EXPECT_EQ(changes_, 2);
  const auto listed = list("/api/v1/enrollment-groups");
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0], updated);
}

TEST_F(EnrollmentGroups, PutOfAnUnknownOrMalformedIdChangesNothing) {
  create("enrollment-groups", group_body());
  ApiResponse missing =
      call("PUT", "/api/v1/enrollment-groups/" + std::string(kHubA), group_body());
  EXPECT_EQ(missing.status, 404u);
  EXPECT_EQ(error_message(missing, 5), "enrollment group \"" + std::string(kHubA) + "\" not found");
  ApiResponse malformed = call("PUT", "/api/v1/enrollment-groups/not-a-uuid", group_body());
  EXPECT_EQ(malformed.status, 400u);
  EXPECT_EQ(error_message(malformed, 3), "id: must be a UUID, got \"not-a-uuid\"");
  EXPECT_EQ(changes_, 1);
}

TEST_F(EnrollmentGroups, BadBodiesAre400AndStoreNothing) {
  json bad = group_body();
  bad["attestationMechanism"]["x509"]["foo"] = true;
  ApiResponse response = call("POST", "/api/v1/enrollment-groups", bad);
  EXPECT_EQ(response.status, 400u);
  EXPECT_EQ(error_message(response, 3), "unknown field \"attestationMechanism.x509.foo\"");
  EXPECT_EQ(call("POST", "/api/v1/enrollment-groups", std::string("{")).status, 400u);

  const std::string id = create("enrollment-groups", group_body())["id"];
  json short_psk = group_body();
  short_psk["preSharedKey"] = "short";
  EXPECT_EQ(call("PUT", "/api/v1/enrollment-groups/" + id, short_psk).status, 400u);
  EXPECT_EQ(list("/api/v1/enrollment-groups").at(0).count("preSharedKey"), 0u);
  EXPECT_EQ(changes_, 1);
}

// plgd accepts them; its devices then fail at cloud configuration (references_test.cpp).
TEST_F(EnrollmentGroups, PostNamingAHubThatDoesNotExistIs400) {
  json body = own_ca_group_body("unknown hub");
  body["hubIds"] = {"99999999-9999-4999-8999-999999999999"};
  EXPECT_EQ(call("POST", "/api/v1/enrollment-groups", body).status, 400u);
}

TEST_F(EnrollmentGroups, DeleteCountsAsStringAndRequiresAMatchingIdFilter) {
  const std::string a = create("enrollment-groups", own_ca_group_body("a"))["id"];
  const std::string b = create("enrollment-groups", own_ca_group_body("b"))["id"];
  const std::string c = create("enrollment-groups", own_ca_group_body("c"))["id"];
  ASSERT_EQ(changes_, 3);

  ApiResponse none = call("DELETE", "/api/v1/enrollment-groups");
  EXPECT_EQ(none.status, 400u);
  EXPECT_EQ(error_message(none, 3), "idFilter required: deleting all enrollment groups is refused");
  ApiResponse unmatched =
      call("DELETE", "/api/v1/enrollment-groups?idFilter=" + std::string(kHubA));
  EXPECT_EQ(unmatched.status, 404u);
  EXPECT_EQ(error_message(unmatched, 5), "no enrollment group matches the idFilter");
  EXPECT_EQ(changes_, 3);

  ApiResponse two = call("DELETE", "/api/v1/enrollment-groups?idFilter=" + a + "&idFilter=" + c +
                                       "&idFilter=" + std::string(kHubA));
  EXPECT_EQ(two.status, 200u);
  EXPECT_EQ(json::parse(two.body), (json{{"count", "2"}}));
  EXPECT_EQ(changes_, 4);
  EXPECT_EQ(ids_of(list("/api/v1/enrollment-groups")), Ids{b});
  EXPECT_EQ(call("DELETE", "/api/v1/enrollment-groups?hubIdFilter=" + std::string(kHubA)).status,
            400u);  // only idFilter deletes
}

}  // namespace
}  // namespace dps::api::testing

namespace dps::api::testing {
namespace {

// One owner's groups whose CAs are one inside the other (issue 15: disabling one left the other
// admitting the devices, and nothing had said the two overlapped).
class OverlappingGroups : public EnrollmentGroups {};

TEST_F(OverlappingGroups, AGroupNestedInAnotherOfTheOwnersIsRefusedUnlessAllowedThenShown) {
  const json inner = create("enrollment-groups", own_ca_group_body("inner"));
  const std::string inner_id = inner.at("id");
  EXPECT_FALSE(inner.contains("overlaps"));

  // The root above that intermediate: every device of `inner` would also match it.
  json outer_body = group_body("outer", &Pki::get().root);
  ApiResponse refused = call("POST", "/api/v1/enrollment-groups", outer_body.dump());
  EXPECT_EQ(refused.status, 409u) << refused.body;
  EXPECT_NE(refused.body.find(inner_id), std::string::npos) << refused.body;
  EXPECT_NE(refused.body.find("allowOverlap"), std::string::npos) << refused.body;
  EXPECT_EQ(changes_, 1) << "nothing stored";

  outer_body["allowOverlap"] = true;
  const json outer = create("enrollment-groups", outer_body);
  EXPECT_EQ(outer["overlaps"], json::array({inner_id}));
  const auto listed = parse_stream(call("GET", "/api/v1/enrollment-groups").body);
  ASSERT_EQ(listed.size(), 2u);
  for (const json& group : listed) {
    const std::string other =
        group["id"] == inner_id ? outer.at("id").get<std::string>() : inner_id;
    EXPECT_EQ(group["overlaps"], json::array({other})) << group.dump();
  }
  // Echoing a shown group back (as plgd clients do) is fine: "overlaps" is ignored.
  json echoed = outer;
  echoed["disabled"] = true;
  EXPECT_EQ(
      call("PUT", "/api/v1/enrollment-groups/" + outer.at("id").get<std::string>(), echoed.dump())
          .status,
      200u);
}

TEST_F(OverlappingGroups, SiblingCasUnderOneRootDoNotOverlap) {
  create("enrollment-groups", own_ca_group_body("sibling 1"));
  const json second = create("enrollment-groups", own_ca_group_body("sibling 2"));
  EXPECT_FALSE(second.contains("overlaps")) << second.dump();
}

}  // namespace
}  // namespace dps::api::testing
