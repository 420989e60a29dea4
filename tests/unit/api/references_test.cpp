// What a write may not break (routes/references.cpp, enrollment_group_codec.cpp): objects the
// config file defines refuse API writes and say so; hub references name a hub of the caller by
// its hubId; a hub still named by a group is not deleted; chains that build but are a mistake
// (a device certificate as lead, root first) are refused with what to do.
#include <gtest/gtest.h>

#include <algorithm>

#include "api/json_codec.hpp"
#include "api_fixture.hpp"

namespace dps::api::testing {
namespace {

constexpr const char* kConfigFile = "/etc/dps/config.yaml";
constexpr const char* kFileGroup = "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa";
constexpr const char* kFileHub = "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb";  // record id; hubId kHubA
constexpr const char* kHubC = "cccccccc-cccc-4ccc-8ccc-cccccccccccc";
constexpr const char* kGroups = "/api/v1/enrollment-groups";
constexpr const char* kHubs = "/api/v1/hubs";
constexpr const char* kIndividual = "/api/v1/individual-enrollments";

ManagementApiOptions with_config_file() {
  ManagementApiOptions options = options_without_proof();
  options.config_file = {kConfigFile, {kFileGroup}, {kFileHub}};
  return options;
}

json group_naming(const std::string& name, const std::vector<std::string>& hub_ids) {
  json body = own_ca_group_body(name);
  body["hubIds"] = hub_ids;
  return body;
}

const json* find_id(const std::vector<json>& objects, const std::string& id) {
  auto it = std::find_if(objects.begin(), objects.end(),
                         [&](const json& object) { return object.value("id", "") == id; });
  return it == objects.end() ? nullptr : &*it;
}

// --- One source of truth: the config file's objects ------------------------------------------

// Alice's group and hub as store seeding writes them at start (app/store_seeding.cpp): straight
// into the store, ids the config file gives.
class ConfigFileObjects : public ApiTest {
 protected:
  ConfigFileObjects() : ApiTest(with_config_file()) {}

  void SetUp() override {
    store::Hub hub;
    hub.id = kFileHub;
    hub.hub_id = kHubA;
    hub.owner = kAlice;
    hub.name = "file hub";
    hub.gateways = {"coaps+tcp://hub.example.com:5684"};
    hub.authorization.owner_claim = "https://plgd.dev/owner";
    ASSERT_TRUE(store_->create_hub(hub));
    auto group = enrollment_group_from_json(own_ca_group_body("file group").dump(),
                                            {kAlice, kFileGroup, /*create=*/true}, nullptr);
    ASSERT_TRUE(group) << group.error().internal;
    ASSERT_TRUE(store_->create_enrollment_group(*group));
  }

  static std::string group_refusal() {
    return std::string("enrollment group ") + kFileGroup + " is defined in the config file " +
           kConfigFile + " (enrollmentGroups); change it there and restart dps";
  }
  static std::string hub_refusal() {
    return std::string("hub ") + kFileHub + " is defined in the config file " + kConfigFile +
           " (enrollmentGroups[].hubs); change it there and restart dps";
  }
};

TEST_F(ConfigFileObjects, PutOfAConfigFileGroupIs409NamingTheFileAndChangesNothing) {
  json body = own_ca_group_body("file group");
  body["disabled"] = true;
  ApiResponse refused = call("PUT", std::string(kGroups) + "/" + kFileGroup, body);
  EXPECT_EQ(refused.status, 409u);
  EXPECT_EQ(error_message(refused, 6), group_refusal());
  auto stored =
      store_->list_enrollment_groups({.scope = store::OwnerScope::of(kAlice), .ids = {kFileGroup}});
  ASSERT_TRUE(stored && stored->size() == 1u);
  EXPECT_FALSE(stored->front().disabled);
  EXPECT_EQ(changes_, 0);
}

TEST_F(ConfigFileObjects, DeleteNamingAConfigFileGroupRefusesTheWholeRequest) {
  const std::string api_group = create("enrollment-groups", group_naming("api", {kHubA}))["id"];
  ApiResponse refused =
      call("DELETE", std::string(kGroups) + "?idFilter=" + api_group + "&idFilter=" + kFileGroup);
  EXPECT_EQ(refused.status, 409u);
  EXPECT_EQ(error_message(refused, 6), group_refusal());
  EXPECT_EQ(list(kGroups).size(), 2u);  // the API group is not deleted either
  EXPECT_EQ(call("DELETE", std::string(kGroups) + "?idFilter=" + api_group).status, 200u);
}

TEST_F(ConfigFileObjects, PutAndDeleteOfAConfigFileHubAre409) {
  ApiResponse put = call("PUT", std::string(kHubs) + "/" + kFileHub, hub_body(kHubA));
  EXPECT_EQ(put.status, 409u);
  EXPECT_EQ(error_message(put, 6), hub_refusal());
  ApiResponse removed = call("DELETE", std::string(kHubs) + "?idFilter=" + kFileHub);
  EXPECT_EQ(removed.status, 409u);
  EXPECT_EQ(error_message(removed, 6), hub_refusal());
  EXPECT_EQ(list(kHubs).size(), 1u);
}

TEST_F(ConfigFileObjects, ListsMarkTheConfigFilesObjectsAndOnlyThem) {
  const std::string api_group = create("enrollment-groups", group_naming("api", {kHubA}))["id"];
  const std::string api_hub = create("hubs", hub_body(kHubB))["id"];
  const auto groups = list(kGroups);
  ASSERT_TRUE(find_id(groups, kFileGroup) && find_id(groups, api_group));
  EXPECT_EQ(find_id(groups, kFileGroup)->value("managedBy", ""), "configFile");
  EXPECT_FALSE(find_id(groups, api_group)->contains("managedBy"));
  const auto hubs = list(kHubs);
  ASSERT_TRUE(find_id(hubs, kFileHub) && find_id(hubs, api_hub));
  EXPECT_EQ(find_id(hubs, kFileHub)->value("managedBy", ""), "configFile");
  EXPECT_FALSE(find_id(hubs, api_hub)->contains("managedBy"));
}

TEST_F(ConfigFileObjects, ApiObjectsStayWritable) {
  const std::string id = create("enrollment-groups", group_naming("api", {kHubA}))["id"];
  json body = group_naming("api", {kHubA});
  body["disabled"] = true;
  ApiResponse updated = call("PUT", std::string(kGroups) + "/" + id, body);
  ASSERT_EQ(updated.status, 200u) << updated.body;
  EXPECT_EQ(json::parse(updated.body)["disabled"], true);
  EXPECT_FALSE(json::parse(updated.body).contains("managedBy"));
}

TEST_F(ConfigFileObjects, AnotherOwnerLearnsNothingOfThem) {
  // Bob's requests answer as for any id he does not hold: 404, never the config file's 409.
  EXPECT_EQ(
      call("PUT", std::string(kGroups) + "/" + kFileGroup, own_ca_group_body("x"), kBob).status,
      404u);
  EXPECT_EQ(
      call("DELETE", std::string(kGroups) + "?idFilter=" + kFileGroup, std::string{}, kBob).status,
      404u);
  EXPECT_EQ(call("PUT", std::string(kHubs) + "/" + kFileHub, hub_body(kHubA), kBob).status, 404u);
  EXPECT_EQ(
      call("DELETE", std::string(kHubs) + "?idFilter=" + kFileHub, std::string{}, kBob).status,
      404u);
}

// --- Hub references ---------------------------------------------------------------------------

class HubReferences : public ApiTest {
 protected:
  std::string hub_a_record_;
  void SetUp() override { hub_a_record_ = create("hubs", hub_body(kHubA))["id"]; }
};

TEST_F(HubReferences, GroupNamingNoHubIs400NamingTheEntry) {
  ApiResponse refused = call("POST", kGroups, group_naming("g", {kHubA, kHubC}));
  EXPECT_EQ(refused.status, 400u);
  EXPECT_EQ(error_message(refused, 3),
            std::string("hubIds[1]: no hub with hubId \"") + kHubC + "\"");
  EXPECT_TRUE(list(kGroups).empty());
}

TEST_F(HubReferences, RecordIdGivenForAHubIdSaysWhichIdToUse) {
  ApiResponse refused = call("POST", kGroups, group_naming("g", {hub_a_record_}));
  EXPECT_EQ(refused.status, 400u);
  EXPECT_EQ(error_message(refused, 3),
            "hubIds[0]: \"" + hub_a_record_ + "\" is the record id of hub \"" + kHubA +
                "\"; groups name hubs by their hubId (\"" + kHubA + "\")");
}

TEST_F(HubReferences, AnotherOwnersHubIsNoHub) {
  const std::string bobs = create("hubs", hub_body(kHubC), kBob)["id"];
  for (const std::string& named : {std::string(kHubC), bobs}) {
    ApiResponse refused = call("POST", kGroups, group_naming("g", {named}));
    EXPECT_EQ(refused.status, 400u);
    EXPECT_EQ(error_message(refused, 3), "hubIds[0]: no hub with hubId \"" + named + "\"");
  }
}

TEST_F(HubReferences, PutChecksTheHubsItAddsButNotThoseAlreadyNamed) {
  const std::string id = create("enrollment-groups", group_naming("g", {kHubA}))["id"];
  ApiResponse refused = call("PUT", std::string(kGroups) + "/" + id, group_naming("g", {kHubC}));
  EXPECT_EQ(refused.status, 400u);
  EXPECT_EQ(error_message(refused, 3),
            std::string("hubIds[0]: no hub with hubId \"") + kHubC + "\"");

  // A hub gone before this rule (deleted in the store directly): disabling the group that still
  // names it must work, or a security stop would depend on fixing an unrelated reference first.
  ASSERT_TRUE(store_->delete_hubs({store::OwnerScope::of(kAlice), {hub_a_record_}, {}}));
  json body = group_naming("g", {kHubA});
  body["disabled"] = true;
  EXPECT_EQ(call("PUT", std::string(kGroups) + "/" + id, body).status, 200u);
}

TEST_F(HubReferences, IndividualEnrollmentsNameHubsByHubIdToo) {
  json body{{"attestationMechanism", {{"publicKeySha256", std::string(64, 'e')}}},
            {"hubIds", {kHubC}}};
  ApiResponse unknown = call("POST", kIndividual, body);
  EXPECT_EQ(unknown.status, 400u);
  EXPECT_EQ(error_message(unknown, 3),
            std::string("hubIds[0]: no hub with hubId \"") + kHubC + "\"");

  body["hubIds"] = {hub_a_record_};
  ApiResponse record_id = call("POST", kIndividual, body);
  EXPECT_EQ(record_id.status, 400u);
  EXPECT_EQ(error_message(record_id, 3),
            "hubIds[0]: \"" + hub_a_record_ + "\" is the record id of hub \"" + kHubA +
                "\"; enrollments name hubs by their hubId (\"" + kHubA + "\")");

  body["hubIds"] = {kHubA};
  const std::string id = create("individual-enrollments", body)["id"];
  body["hubIds"] = {kHubC};
  ApiResponse put = call("PUT", std::string(kIndividual) + "/" + id, body);
  EXPECT_EQ(put.status, 400u);
  EXPECT_EQ(error_message(put, 3), std::string("hubIds[0]: no hub with hubId \"") + kHubC + "\"");
}

TEST_F(HubReferences, DeletingAHubAGroupNamesIs409ListingAtMostTenReferrers) {
  std::vector<std::string> referrers;
  for (int i = 0; i < 12; ++i) {
    referrers.push_back(
        create("enrollment-groups", group_naming("ref" + std::to_string(i), {kHubA}))["id"]);
  }
  std::sort(referrers.begin(), referrers.end());  // the store lists by id
  std::string named;
  for (int i = 0; i < 10; ++i) named += "enrollment group " + referrers[i] + ", ";
  const std::string other = create("hubs", hub_body(kHubB))["id"];

  const int changes = changes_;
  ApiResponse refused =
      call("DELETE", std::string(kHubs) + "?idFilter=" + other + "&idFilter=" + hub_a_record_);
  EXPECT_EQ(refused.status, 409u);
  EXPECT_EQ(error_message(refused, 6), "deleting hub " + hub_a_record_ + " (hubId \"" + kHubA +
                                           "\") is refused: " + named +
                                           "2 more enrollment groups name it; remove it from "
                                           "their hubIds first");
  EXPECT_EQ(list(kHubs).size(), 2u);  // neither hub deleted
  EXPECT_EQ(changes_, changes);
  EXPECT_EQ(call("DELETE", std::string(kHubs) + "?idFilter=" + other).status, 200u);
}

TEST_F(HubReferences, ChangingTheHubIdOfANamedHubIs409) {
  const std::string group = create("enrollment-groups", group_naming("g", {kHubA}))["id"];
  ApiResponse refused = call("PUT", std::string(kHubs) + "/" + hub_a_record_, hub_body(kHubC));
  EXPECT_EQ(refused.status, 409u);
  EXPECT_EQ(error_message(refused, 6), "changing the hubId of hub " + hub_a_record_ + " (hubId \"" +
                                           kHubA + "\") is refused: enrollment group " + group +
                                           " name it; remove it from their hubIds first");
  // Other changes of a named hub are fine.
  json renamed = hub_body(kHubA);
  renamed["name"] = "renamed";
  EXPECT_EQ(call("PUT", std::string(kHubs) + "/" + hub_a_record_, renamed).status, 200u);
}

TEST_F(HubReferences, IndividualEnrollmentsNamingAHubHoldItToo) {
  // Listed by id after the groups; past ten, "more" (they are not counted: at a million
  // enrollments a count would read them all).
  const std::string group = create("enrollment-groups", group_naming("g", {kHubA}))["id"];
  std::vector<std::string> enrollments;
  for (int i = 0; i < 11; ++i) {
    json body{
        {"attestationMechanism", {{"publicKeySha256", std::string(63, 'a') + "0123456789a"[i]}}},
        {"hubIds", {kHubA}}};
    enrollments.push_back(create("individual-enrollments", body)["id"]);
  }
  std::sort(enrollments.begin(), enrollments.end());
  std::string named = "enrollment group " + group;
  for (int i = 0; i < 10; ++i) named += ", individual enrollment " + enrollments[i];

  ApiResponse refused = call("DELETE", std::string(kHubs) + "?idFilter=" + hub_a_record_);
  EXPECT_EQ(refused.status, 409u);
  EXPECT_EQ(error_message(refused, 6), "deleting hub " + hub_a_record_ + " (hubId \"" + kHubA +
                                           "\") is refused: " + named +
                                           ", more individual enrollments name it; remove it "
                                           "from their hubIds first");

  // Without the group and with one enrollment left, that enrollment alone still holds the hub.
  ASSERT_EQ(call("DELETE", std::string(kGroups) + "?idFilter=" + group).status, 200u);
  for (size_t i = 1; i < enrollments.size(); ++i) {
    ASSERT_EQ(call("DELETE", std::string(kIndividual) + "?idFilter=" + enrollments[i]).status,
              200u);
  }
  refused = call("DELETE", std::string(kHubs) + "?idFilter=" + hub_a_record_);
  EXPECT_EQ(refused.status, 409u);
  EXPECT_EQ(error_message(refused, 6), "deleting hub " + hub_a_record_ + " (hubId \"" + kHubA +
                                           "\") is refused: individual enrollment " +
                                           enrollments[0] +
                                           " name it; remove it from their hubIds first");
  ASSERT_EQ(call("DELETE", std::string(kIndividual) + "?idFilter=" + enrollments[0]).status, 200u);
  EXPECT_EQ(call("DELETE", std::string(kHubs) + "?idFilter=" + hub_a_record_).status, 200u);
}

TEST_F(HubReferences, AnotherOwnersGroupsDoNotHoldTheCallersHub) {
  // Bob's group names his own kHubA; Alice's hub with the same hubId is hers to delete.
  create("hubs", hub_body(kHubA), kBob);
  create("enrollment-groups", group_naming("bobs", {kHubA}), kBob);
  EXPECT_EQ(call("DELETE", std::string(kHubs) + "?idFilter=" + hub_a_record_).status, 200u);
}

// --- Chains that build but are a mistake -------------------------------------------------------

class ChainShape : public ApiTest {
 protected:
  void SetUp() override { add_hubs(); }

  static json with_chain(const std::string& chain) {
    json body = group_body("g");
    body["attestationMechanism"]["x509"]["certificateChain"] = chain;
    return body;
  }
};

TEST_F(ChainShape, DeviceCertificateAsLeadIs400) {
  const Pki& pki = Pki::get();
  const test::TestCert device = test::make_leaf(pki.intermediate, {.common_name = "device 7"});
  ApiResponse refused =
      call("POST", kGroups, with_chain(device.cert_pem() + pki.intermediate.chain_pem()));
  EXPECT_EQ(refused.status, 400u);
  EXPECT_EQ(error_message(refused, 3),
            "attestationMechanism.x509.certificateChain: the lead certificate \"device 7\" is not "
            "a CA (no basicConstraints CA:TRUE): enroll the CA that issues your devices, not a "
            "device certificate");
  // A self-signed device certificate alone is no CA either.
  const test::TestCert loner = test::make_self_signed_leaf({.common_name = "loner"});
  EXPECT_EQ(call("POST", kGroups, with_chain(loner.cert_pem())).status, 400u);
}

TEST_F(ChainShape, RootFirstIs400) {
  const Pki& pki = Pki::get();
  ApiResponse refused =
      call("POST", kGroups, with_chain(pki.root.cert_pem() + pki.intermediate.cert_pem()));
  EXPECT_EQ(refused.status, 400u);
  EXPECT_EQ(error_message(refused, 3),
            "attestationMechanism.x509.certificateChain: the chain starts with the self-signed "
            "root \"Mfg Root\": list it lead first (the CA that issues your devices, then its "
            "issuers, the root last)");
}

TEST_F(ChainShape, LeadFirstAndRootAloneAreAccepted) {
  EXPECT_EQ(call("POST", kGroups, with_chain(Pki::get().intermediate.chain_pem())).status, 200u);
  EXPECT_EQ(call("POST", kGroups, with_chain(Pki::get().other_root.cert_pem())).status, 200u);
}

}  // namespace
}  // namespace dps::api::testing
