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
           const std::string& group_id) {
    store::ProvisioningRecord record{.id = id,
                                     .device_id = device_id,
                                     .enrollment_group_id = group_id,
                                     .owner = owner,
                                     .creation_date = 1700000000000000000};
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

}  // namespace
}  // namespace dps::api::testing
