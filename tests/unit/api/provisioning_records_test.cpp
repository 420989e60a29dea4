// /api/v1/provisioning-records: listing and deleting what the device side wrote.
#include <gtest/gtest.h>

#include "api_fixture.hpp"
#include "common/data_uri.hpp"

namespace dps::api::testing {
namespace {

using Ids = std::vector<std::string>;

class ProvisioningRecords : public ApiTest {
 protected:
  void add(const std::string& id, const std::string& owner, const std::string& device_id,
           const std::string& group_id, int64_t creation_date = 1700000000000000000) {
    store::ProvisioningRecord record{.id = id,
                                     .device_id = device_id,
                                     .enrollment_group_id = group_id,
                                     .owner = owner,
                                     .creation_date = creation_date};
    record.ownership = store::OwnershipSection{{1700000000000000001, 68, ""}, owner};
    auto outcomes = store_->apply_record_updates(std::span(&record, 1));
    ASSERT_TRUE(outcomes && outcomes->size() == 1 && outcomes->front());
  }
};

TEST_F(ProvisioningRecords, GetStreamsTheOwnersRecordsWithFilters) {
  add("r1", kAlice, "d1", "g1");
  add("r2", kAlice, "d2", "g2");
  add("r3", kAlice, "d3", "g1");
  add("r4", kBob, "d4", "g1");
  EXPECT_EQ(ids_of(list("/api/v1/provisioning-records")), (Ids{"r1", "r2", "r3"}));
  EXPECT_EQ(ids_of(list("/api/v1/provisioning-records", kBob)), Ids{"r4"});
  EXPECT_EQ(ids_of(list("/api/v1/provisioning-records?idFilter=r2")), Ids{"r2"});
  EXPECT_EQ(ids_of(list("/api/v1/provisioning-records?deviceIdFilter=d1")), Ids{"r1"});
  EXPECT_EQ(ids_of(list("/api/v1/provisioning-records?enrollmentGroupIdFilter=g1")),
            (Ids{"r1", "r3"}));
  EXPECT_EQ(ids_of(list("/api/v1/provisioning-records?deviceIdFilter=d2&idFilter=r3")),
            (Ids{"r2", "r3"}));

  const json r1 = list("/api/v1/provisioning-records?idFilter=r1").at(0);
  EXPECT_EQ(r1["creationDate"], "1700000000000000000");
  EXPECT_EQ(r1["ownership"]["owner"], kAlice);
  EXPECT_EQ(r1["ownership"]["status"]["date"], "1700000000000000001");
}

TEST_F(ProvisioningRecords, BinaryPreSharedKeyIsShownAsDataUri) {
  store::ProvisioningRecord record{.id = "r1", .owner = kAlice};
  record.credential = store::CredentialSection{.status = {1, 68, ""},
                                               .pre_shared_key_subject_id = "sub",
                                               .pre_shared_key = std::string("\xff\x00k", 3)};
  ASSERT_TRUE(store_->apply_record_updates(std::span(&record, 1)));
  const json shown = list("/api/v1/provisioning-records").at(0);
  EXPECT_EQ(shown["credential"]["preSharedKey"]["key"],
            encode_data_uri(std::string("\xff\x00k", 3)));
}

TEST_F(ProvisioningRecords, DeleteCountsOnlyTheOwnersRecordsAndZeroIsNotAnError) {
  add("r1", kAlice, "d1", "g1");
  add("r2", kAlice, "d2", "g1");
  add("r3", kBob, "d3", "g1");
  ApiResponse none = call("DELETE", "/api/v1/provisioning-records?idFilter=r3");
  EXPECT_EQ(none.status, 200u);
  EXPECT_EQ(none.body, R"({"count":"0"})");
  ApiResponse one = call("DELETE", "/api/v1/provisioning-records?deviceIdFilter=d1");
  EXPECT_EQ(one.body, R"({"count":"1"})");
  ApiResponse rest = call("DELETE", "/api/v1/provisioning-records");  // all of alice's
  EXPECT_EQ(rest.body, R"({"count":"1"})");
  EXPECT_TRUE(list("/api/v1/provisioning-records").empty());
  EXPECT_EQ(ids_of(list("/api/v1/provisioning-records", kBob)), Ids{"r3"});
  EXPECT_EQ(changes_, 0);  // records are not configuration
}

TEST_F(ProvisioningRecords, RejectsUnknownAndEmptyFilters) {
  add("r1", kAlice, "d1", "g1");
  ApiResponse typo = call("DELETE", "/api/v1/provisioning-records?idfilter=r1");
  EXPECT_EQ(typo.status, 400u);
  EXPECT_EQ(error_message(typo, 3),
            "unknown query parameter \"idfilter\" (accepted: idFilter, deviceIdFilter, "
            "enrollmentGroupIdFilter)");
  ApiResponse empty = call("DELETE", "/api/v1/provisioning-records?idFilter=");
  EXPECT_EQ(empty.status, 400u);
  EXPECT_EQ(error_message(empty, 3), "query parameter \"idFilter\" has an empty value");
  EXPECT_EQ(list("/api/v1/provisioning-records").size(), 1u);
}

TEST_F(ProvisioningRecords, DefaultIsPlgdsShapeAndViewOcfGivesDpsShape) {
  store::ProvisioningRecord record{.id = "r1", .owner = kAlice, .creation_date = 5};
  record.plgd_time = store::PlgdTimeSection{{7, 69, ""}};
  const store::Gateway gateway{"coaps+tcp://hub.example.com:5684", kHubA};
  record.cloud = store::CloudSection{{8, 68, ""}, "plgd", {gateway}, gateway};
  record.acl = store::AclSection{
      {9, 68, ""}, R"([{"subject":{"uuid":"u"},"resources":[{"wc":"*"}],"permission":2}])"};
  ASSERT_TRUE(store_->apply_record_updates(std::span(&record, 1)));

  for (const char* target :
       {"/api/v1/provisioning-records", "/api/v1/provisioning-records?view=plgd"}) {
    const json plgd = list(target).at(0);
    EXPECT_EQ(plgd["plgdTime"], (json{{"date", "7"}, {"coapCode", 69}})) << target;
    EXPECT_EQ(plgd["cloud"]["selectedGateway"], 0) << target;
    EXPECT_EQ(plgd["acl"]["accessControlList"],
              (json{{{"deviceSubject", {{"deviceId", "u"}}},
                     {"permissions", {"READ"}},
                     {"resources", {{{"wildcard", "NONCFG_ALL"}}}}}}))
        << target;
  }
  const json ocf = list("/api/v1/provisioning-records?view=ocf").at(0);
  EXPECT_EQ(ocf["plgdTime"], (json{{"status", {{"date", "7"}, {"coapCode", 69}}}}));
  EXPECT_EQ(ocf["cloud"]["selectedGateway"], (json{{"uri", gateway.uri}, {"id", kHubA}}));
  EXPECT_EQ(ocf["acl"]["accessControlList"][0]["permission"], 2);
}

TEST_F(ProvisioningRecords, ViewIsCheckedAndNeverWidensTheOwnerScopeOrTheFilters) {
  add("r1", kAlice, "d1", "g1");
  add("r2", kAlice, "d2", "g1");
  add("r3", kBob, "d3", "g1");
  EXPECT_EQ(ids_of(list("/api/v1/provisioning-records?view=ocf", kBob)), Ids{"r3"});
  EXPECT_EQ(ids_of(list("/api/v1/provisioning-records?view=ocf&idFilter=r1", kBob)), Ids{});
  EXPECT_EQ(ids_of(list("/api/v1/provisioning-records?deviceIdFilter=d2&view=ocf")), Ids{"r2"});

  ApiResponse bogus = call("GET", "/api/v1/provisioning-records?view=OCF");
  EXPECT_EQ(bogus.status, 400u);
  EXPECT_EQ(error_message(bogus, 3), "view: must be \"plgd\" or \"ocf\", got \"OCF\"");
  ApiResponse twice = call("GET", "/api/v1/provisioning-records?view=ocf&view=plgd");
  EXPECT_EQ(twice.status, 400u);
  EXPECT_EQ(error_message(twice, 3), "query parameter \"view\" given more than once");
  // Not a filter: DELETE refuses it rather than deleting every record of the caller.
  ApiResponse on_delete = call("DELETE", "/api/v1/provisioning-records?view=ocf");
  EXPECT_EQ(on_delete.status, 400u);
  EXPECT_EQ(list("/api/v1/provisioning-records").size(), 2u);
}

TEST_F(ProvisioningRecords, NewestFirstAndLimitPickTheNewestOfTheCallersRecords) {
  add("r1", kAlice, "d1", "g1", 300);
  add("r2", kAlice, "d2", "g2", 100);
  add("r3", kAlice, "d3", "g1", 300);  // created with r1: ties go by id
  add("r4", kAlice, "d4", "g1", 200);
  add("r5", kBob, "d5", "g1", 900);  // newer than all of alice's
  const std::string path = "/api/v1/provisioning-records";
  EXPECT_EQ(ids_of(list(path + "?newestFirst=true")), (Ids{"r1", "r3", "r4", "r2"}));
  EXPECT_EQ(ids_of(list(path + "?newestFirst=true&limit=2")), (Ids{"r1", "r3"}));
  EXPECT_EQ(ids_of(list(path + "?newest_first=true&limit=1&view=ocf")), Ids{"r1"});
  EXPECT_EQ(ids_of(list(path + "?newestFirst=false")), (Ids{"r1", "r2", "r3", "r4"}));
  EXPECT_EQ(ids_of(list(path + "?limit=2")), (Ids{"r1", "r2"}));  // id order, as plgd's
  EXPECT_EQ(ids_of(list(path + "?limit=1000&newestFirst=true")), (Ids{"r1", "r3", "r4", "r2"}));
  // Filters select first, then the order and the limit apply.
  EXPECT_EQ(ids_of(list(path + "?enrollmentGroupIdFilter=g1&newestFirst=true&limit=2")),
            (Ids{"r1", "r3"}));
  EXPECT_EQ(ids_of(list(path + "?deviceIdFilter=d2&deviceIdFilter=d4&newestFirst=true")),
            (Ids{"r4", "r2"}));
  // Never another owner's: bob's record is the newest of all, and alice's are bob's to miss.
  EXPECT_EQ(ids_of(list(path + "?newestFirst=true&limit=1000", kBob)), Ids{"r5"});
  EXPECT_EQ(ids_of(list(path + "?idFilter=r1&newestFirst=true&limit=1", kBob)), Ids{});
  EXPECT_EQ(ids_of(list(path + "?deviceIdFilter=d5&newestFirst=true")), Ids{});
}

TEST_F(ProvisioningRecords, BadLimitOrNewestFirstIsRefusedNamingIt) {
  add("r1", kAlice, "d1", "g1");
  const std::string path = "/api/v1/provisioning-records";
  for (const char* value : {"0", "1001", "-1", "abc", "10x", "1.5", "99999999999999999999999"}) {
    ApiResponse bad = call("GET", path + "?limit=" + value);
    EXPECT_EQ(bad.status, 400u) << value;
    EXPECT_EQ(error_message(bad, 3),
              std::string("limit: must be a whole number from 1 to 1000, got \"") + value + "\"");
  }
  for (const char* value : {"yes", "1", "TRUE", "False"}) {
    ApiResponse bad = call("GET", path + "?newestFirst=" + value);
    EXPECT_EQ(bad.status, 400u) << value;
    EXPECT_EQ(error_message(bad, 3),
              std::string("newestFirst: must be \"true\" or \"false\", got \"") + value + "\"");
  }
  ApiResponse twice = call("GET", path + "?newestFirst=true&newestFirst=false");
  EXPECT_EQ(twice.status, 400u);
  EXPECT_EQ(error_message(twice, 3), "query parameter \"newestFirst\" given more than once");
  // Not filters: a DELETE refuses them rather than deleting all of what its filters match.
  for (const char* query : {"?limit=1", "?newestFirst=true", "?idFilter=r1&limit=1"}) {
    ApiResponse on_delete = call("DELETE", path + query);
    EXPECT_EQ(on_delete.status, 400u) << query;
    EXPECT_NE(error_message(on_delete, 3).find("unknown query parameter"), std::string::npos)
        << query;
  }
  EXPECT_EQ(ids_of(list(path)), Ids{"r1"});
}

}  // namespace
}  // namespace dps::api::testing
