// Store contract: provisioning records and their date-guarded merge.
#include <initializer_list>

#include "store_contract_test.hpp"

namespace dps::store::testing {
namespace {

using Ids = std::vector<std::string>;

Result<void> apply(Store& store, std::initializer_list<ProvisioningRecord> updates) {
  return store.apply_record_updates(std::span(updates.begin(), updates.size()));
}

ProvisioningRecord stored(Store& store, const std::string& id) {
  auto records = store.list_provisioning_records({.ids = {id}});
  EXPECT_TRUE(ok(records));
  if (!records || records->size() != 1) {
    ADD_FAILURE() << "expected exactly one record " << id;
    return {};
  }
  return records->front();
}

Ids record_ids(Store& store, const RecordFilter& filter) {
  auto records = store.list_provisioning_records(filter);
  EXPECT_TRUE(ok(records));
  return records ? ids_of(*records) : Ids{"<error>"};
}

// An update carrying only the id and one cloud section.
ProvisioningRecord cloud_update(const std::string& id, int64_t date, const std::string& provider) {
  ProvisioningRecord r{.id = id};
  r.cloud = CloudSection{.status = {date, 68, ""}, .provider_name = provider};
  return r;
}

TEST_P(StoreContract, RecordInsertRoundTripsEveryField) {
  const ProvisioningRecord record = make_record("r1", "alice", 100);
  ASSERT_TRUE(ok(apply(store(), {record})));
  EXPECT_EQ(stored(store(), "r1"), record);
}

TEST_P(StoreContract, RecordPartialUpdatesMergePerSection) {
  ProvisioningRecord first{.id = "r1", .creation_date = 5};
  first.attestation = AttestationSection{{10, 0, ""}, "pem", "cn"};
  ASSERT_TRUE(ok(apply(store(), {first})));
  ProvisioningRecord second{.id = "r1", .device_id = "d1"};
  second.ownership = OwnershipSection{{20, 69, ""}, "alice"};
  ASSERT_TRUE(ok(apply(store(), {second})));
  ASSERT_TRUE(ok(apply(store(), {cloud_update("r1", 30, "plgd")})));

  ProvisioningRecord expected = first;
  expected.device_id = "d1";
  expected.ownership = second.ownership;
  expected.cloud = cloud_update("r1", 30, "plgd").cloud;
  EXPECT_EQ(stored(store(), "r1"), expected);  // plgd_time, credential, acl still absent
}

TEST_P(StoreContract, RecordOlderSectionNeverOverwritesNewer) {
  ASSERT_TRUE(ok(apply(store(), {cloud_update("r1", 200, "newer")})));
  ProvisioningRecord late = cloud_update("r1", 100, "older");  // a slow, stale step
  late.acl = AclSection{{150, 69, ""}, "[]"};                  // its other sections still apply
  ASSERT_TRUE(ok(apply(store(), {late})));
  const ProvisioningRecord r = stored(store(), "r1");
  ASSERT_TRUE(r.cloud && r.acl);
  EXPECT_EQ(r.cloud->provider_name, "newer");
  EXPECT_EQ(r.cloud->status.date, 200);
  EXPECT_EQ(r.acl, late.acl);
}

TEST_P(StoreContract, RecordEverySectionIsDateGuarded) {
  const ProvisioningRecord current = make_record("r1", "alice", 200);
  ASSERT_TRUE(ok(apply(store(), {current})));
  ProvisioningRecord other = make_record("r1", "alice", 100);  // same shape, other content
  other.attestation->common_name = "x";
  other.ownership->owner = "x";
  other.cloud->provider_name = "x";
  other.credential->pre_shared_key_subject_id = "x";
  other.acl->access_control_list_json = "[]";
  other.plgd_time->status.coap_code = 0;
  ASSERT_TRUE(ok(apply(store(), {other})));
  EXPECT_EQ(stored(store(), "r1"), current);

  for (auto* s : {&other.attestation->status, &other.plgd_time->status, &other.ownership->status,
                  &other.cloud->status, &other.credential->status, &other.acl->status}) {
    s->date = 200;
  }
  ASSERT_TRUE(ok(apply(store(), {other})));
  other.creation_date = current.creation_date;
  EXPECT_EQ(stored(store(), "r1"), other);
}

TEST_P(StoreContract, RecordSectionWithEqualDateReplaces) {
  ASSERT_TRUE(ok(apply(store(), {cloud_update("r1", 100, "first")})));
  ASSERT_TRUE(ok(apply(store(), {cloud_update("r1", 100, "retry")})));
  const ProvisioningRecord r = stored(store(), "r1");
  ASSERT_TRUE(r.cloud);
  EXPECT_EQ(r.cloud->provider_name, "retry");
}

TEST_P(StoreContract, RecordEmptyScalarsAndEndpointsKeepStoredValues) {
  const ProvisioningRecord full = make_record("r1", "alice", 100);
  ASSERT_TRUE(ok(apply(store(), {full})));
  ASSERT_TRUE(ok(apply(store(), {ProvisioningRecord{.id = "r1"}})));  // carries nothing
  EXPECT_EQ(stored(store(), "r1"), full);

  ProvisioningRecord changed{.id = "r1", .device_id = "d2", .enrollment_group_id = "eg2"};
  changed.owner = "bob";
  changed.local_endpoints = {"coap+tcp://10.0.0.9:5683"};
  ASSERT_TRUE(ok(apply(store(), {changed})));
  ProvisioningRecord expected = full;
  expected.device_id = "d2";
  expected.enrollment_group_id = "eg2";
  expected.owner = "bob";
  expected.local_endpoints = changed.local_endpoints;
  EXPECT_EQ(stored(store(), "r1"), expected);
}

TEST_P(StoreContract, RecordCreationDateIsSetOnInsertOnly) {
  ASSERT_TRUE(ok(apply(store(), {ProvisioningRecord{.id = "r1", .creation_date = 111}})));
  ASSERT_TRUE(ok(apply(store(), {ProvisioningRecord{.id = "r1", .creation_date = 222}})));
  EXPECT_EQ(stored(store(), "r1").creation_date, 111);

  ASSERT_TRUE(ok(apply(store(), {ProvisioningRecord{.id = "r2"}})));  // 0: the store stamps it
  EXPECT_GT(stored(store(), "r2").creation_date, 1'600'000'000'000'000'000);
}

TEST_P(StoreContract, RecordBatchAppliesManyUpdatesOfSameAndDifferentIdsInOrder) {
  std::vector<ProvisioningRecord> batch;
  for (int i = 0; i < 100; ++i) {
    const std::string id = "r" + std::to_string(1000 + i);
    ProvisioningRecord attest{.id = id, .device_id = "d" + std::to_string(i)};
    attest.attestation = AttestationSection{{10, 0, ""}, "pem", id};
    batch.push_back(attest);
    batch.push_back(cloud_update(id, 30, "second"));
    batch.push_back(cloud_update(id, 20, "stale"));  // later in the batch but older: ignored
    batch.push_back(cloud_update(id, 30, "third"));  // same date, later: applies
  }
  ASSERT_TRUE(ok(store().apply_record_updates(batch)));
  auto records = store().list_provisioning_records({});
  ASSERT_TRUE(ok(records));
  ASSERT_EQ(records->size(), 100u);
  for (int i = 0; i < 100; ++i) {
    const ProvisioningRecord& r = (*records)[static_cast<size_t>(i)];
    EXPECT_EQ(r.id, "r" + std::to_string(1000 + i));
    EXPECT_EQ(r.device_id, "d" + std::to_string(i));
    ASSERT_TRUE(r.attestation && r.cloud);
    EXPECT_EQ(r.cloud->provider_name, "third");
  }
}

TEST_P(StoreContract, RecordBatchIsAllOrNothing) {
  ASSERT_TRUE(ok(apply(store(), {cloud_update("r1", 10, "kept")})));
  auto applied = apply(store(), {cloud_update("r1", 20, "lost"), cloud_update("r2", 20, "lost"),
                                 ProvisioningRecord{}});  // no id: invalid
  ASSERT_FALSE(applied);
  EXPECT_EQ(record_ids(store(), {}), (Ids{"r1"}));
  const ProvisioningRecord r1 = stored(store(), "r1");
  ASSERT_TRUE(r1.cloud);
  EXPECT_EQ(r1.cloud->provider_name, "kept");
}

TEST_P(StoreContract, RecordFiltersMatchAreOredOrderedAndScopedToOwner) {
  // make_record("rN") has device "device-rN" and enrollment group "eg-rN".
  ASSERT_TRUE(ok(apply(store(), {make_record("r3", "alice", 1), make_record("r1", "alice", 1),
                                 make_record("r2", "alice", 1), make_record("r0", "bob", 1)})));
  struct Case {
    const char* name;
    RecordFilter filter;
    Ids expected;
  };
  const Case cases[] = {
      {"no filter, ordered by id", {.owner = "alice"}, {"r1", "r2", "r3"}},
      {"empty owner: everyone's", {}, {"r0", "r1", "r2", "r3"}},
      {"ids", {.owner = "alice", .ids = {"r2"}}, {"r2"}},
      {"device ids", {.owner = "alice", .device_ids = {"device-r3", "device-r1"}}, {"r1", "r3"}},
      {"enrollment group ids", {.owner = "alice", .enrollment_group_ids = {"eg-r2"}}, {"r2"}},
      {"all three OR-ed",
       {.owner = "alice",
        .ids = {"r1"},
        .device_ids = {"device-r2"},
        .enrollment_group_ids = {"eg-r3"}},
       {"r1", "r2", "r3"}},
      {"another owner's record stays invisible", {.owner = "alice", .ids = {"r0"}}, {}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(record_ids(store(), c.filter), c.expected);
  }
}

TEST_P(StoreContract, RecordDeleteCountsAndStaysWithinOwner) {
  ASSERT_TRUE(ok(apply(store(), {make_record("r1", "alice", 1), make_record("r2", "alice", 1),
                                 make_record("r3", "bob", 1)})));
  auto deleted = store().delete_provisioning_records({.owner = "alice", .ids = {"r1", "r3"}});
  ASSERT_TRUE(ok(deleted));
  EXPECT_EQ(*deleted, 1u);
  deleted = store().delete_provisioning_records({.owner = "alice", .ids = {"missing"}});
  ASSERT_TRUE(ok(deleted));  // not an error for records (management-api.md)
  EXPECT_EQ(*deleted, 0u);
  deleted = store().delete_provisioning_records({.owner = "alice"});
  ASSERT_TRUE(ok(deleted));
  EXPECT_EQ(*deleted, 1u);
  EXPECT_EQ(record_ids(store(), {}), (Ids{"r3"}));
}

}  // namespace
}  // namespace dps::store::testing
