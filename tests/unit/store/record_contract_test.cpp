// Store contract: provisioning records and their date-guarded merge.
#include <initializer_list>

#include "store_contract_test.hpp"

namespace dps::store::testing {
namespace {

using Ids = std::vector<std::string>;

Result<void> apply(Store& store, std::initializer_list<ProvisioningRecord> updates) {
  return all_applied(store.apply_record_updates(std::span(updates.begin(), updates.size())));
}

ProvisioningRecord stored(Store& store, const std::string& id) {
  auto records = store.list_provisioning_records({.scope = OwnerScope::every_owner(), .ids = {id}});
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

// An update of alice's record `id` carrying only one cloud section.
ProvisioningRecord cloud_update(const std::string& id, int64_t date, const std::string& provider) {
  ProvisioningRecord r{.id = id, .owner = "alice"};
  r.cloud = CloudSection{.status = {date, 68, ""}, .provider_name = provider};
  return r;
}

TEST_P(StoreContract, RecordInsertRoundTripsEveryField) {
  const ProvisioningRecord record = make_record("r1", "alice", 100);
  ASSERT_TRUE(ok(apply(store(), {record})));
  EXPECT_EQ(stored(store(), "r1"), record);
}

TEST_P(StoreContract, RecordPartialUpdatesMergePerSection) {
  ProvisioningRecord first{.id = "r1", .owner = "alice", .creation_date = 5};
  first.attestation = AttestationSection{{10, 0, ""}, "pem", "cn", {}};
  ASSERT_TRUE(ok(apply(store(), {first})));
  ProvisioningRecord second{.id = "r1", .device_id = "d1", .owner = "alice"};
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
  other.pre_configuration->updates_json = "[]";
  ASSERT_TRUE(ok(apply(store(), {other})));
  EXPECT_EQ(stored(store(), "r1"), current);

  for (auto* s : {&other.attestation->status, &other.plgd_time->status, &other.ownership->status,
                  &other.cloud->status, &other.credential->status, &other.acl->status,
                  &other.pre_configuration->status}) {
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
  ASSERT_TRUE(ok(apply(store(), {ProvisioningRecord{.id = "r1", .owner = "alice"}})));
  EXPECT_EQ(stored(store(), "r1"), full);  // carried nothing

  ProvisioningRecord changed{
      .id = "r1", .device_id = full.device_id, .enrollment_group_id = "eg2", .owner = "alice"};
  changed.local_endpoints = {"coap+tcp://10.0.0.9:5683"};
  ASSERT_TRUE(ok(apply(store(), {changed})));
  ProvisioningRecord expected = full;
  expected.enrollment_group_id = "eg2";
  expected.local_endpoints = changed.local_endpoints;
  EXPECT_EQ(stored(store(), "r1"), expected);
}

TEST_P(StoreContract, RecordOfAnotherOwnerForTheSameRegistrationIsARecordOfItsOwn) {
  // A device admitted under another owner: the first owner's record stays exactly as it was.
  const ProvisioningRecord alices = make_record("r1", "alice", 100);
  ASSERT_TRUE(ok(apply(store(), {alices})));
  ProvisioningRecord bobs{.id = "r1", .enrollment_group_id = "eg-bob", .owner = "bob"};
  bobs.ownership = OwnershipSection{{200, 69, ""}, "bob-uuid"};
  ASSERT_TRUE(ok(apply(store(), {bobs})));

  auto of_alice = store().list_provisioning_records({.scope = OwnerScope::of("alice")});
  auto of_bob = store().list_provisioning_records({.scope = OwnerScope::of("bob")});
  ASSERT_TRUE(ok(of_alice) && ok(of_bob));
  ASSERT_EQ(of_alice->size(), 1u);
  EXPECT_EQ(of_alice->front(), alices);
  ASSERT_EQ(of_bob->size(), 1u);
  EXPECT_EQ(of_bob->front().owner, "bob");
  EXPECT_EQ(of_bob->front().ownership, bobs.ownership);
  EXPECT_FALSE(of_bob->front().credential);  // none of alice's sections leaked into bob's
  EXPECT_FALSE(of_bob->front().attestation);
}

TEST_P(StoreContract, RecordDeviceIdIsPinnedOnceStored) {
  ProvisioningRecord first{.id = "r1", .device_id = "d1", .owner = "alice"};
  first.cloud = CloudSection{.status = {10, 68, ""}, .provider_name = "plgd"};
  ASSERT_TRUE(ok(apply(store(), {first})));

  ProvisioningRecord other_id = cloud_update("r1", 20, "changed");
  other_id.device_id = "d2";
  auto refused = apply(store(), {other_id});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::Conflict);
  EXPECT_NE(refused.error().internal.find("differs from d1"), std::string::npos)
      << refused.error().internal;
  EXPECT_EQ(refused.error().external,
            "device id differs from the one this device was provisioned with");
  const ProvisioningRecord kept = stored(store(), "r1");
  EXPECT_EQ(kept.device_id, "d1");
  EXPECT_EQ(kept.cloud, first.cloud);  // the refused update changed nothing at all

  ProvisioningRecord same_id = cloud_update("r1", 30, "same id");
  same_id.device_id = "d1";
  ASSERT_TRUE(ok(apply(store(), {same_id})));
  EXPECT_EQ(stored(store(), "r1").cloud->provider_name, "same id");
}

TEST_P(StoreContract, RecordDeviceIdHeldByAnotherRecordIsRefusedWhateverItsOwner) {
  ASSERT_TRUE(
      ok(apply(store(), {ProvisioningRecord{.id = "r1", .device_id = "d1", .owner = "alice"}})));
  for (const char* owner : {"alice", "bob"}) {
    SCOPED_TRACE(owner);
    auto refused =
        apply(store(), {ProvisioningRecord{.id = "r2", .device_id = "d1", .owner = owner}});
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, ErrorCode::Conflict);
    EXPECT_EQ(refused.error().external, "device id already in use");
    EXPECT_EQ(refused.error().external.find("alice"), std::string::npos);
  }
  EXPECT_EQ(record_ids(store(), {.scope = OwnerScope::every_owner()}), Ids{"r1"});
}

TEST_P(StoreContract, RecordRefusedUpdateLeavesTheRestOfItsBatchApplied) {
  ASSERT_TRUE(
      ok(apply(store(), {ProvisioningRecord{.id = "r1", .device_id = "d1", .owner = "alice"}})));
  const std::vector<ProvisioningRecord> batch = {
      ProvisioningRecord{.id = "r2", .device_id = "d2", .owner = "alice"},
      ProvisioningRecord{.id = "r3", .device_id = "d1", .owner = "bob"},  // d1 is r1's
      ProvisioningRecord{.id = "r4", .device_id = "d4", .owner = "bob"}};
  auto outcomes = store().apply_record_updates(batch);
  ASSERT_TRUE(ok(outcomes));
  ASSERT_EQ(outcomes->size(), 3u);
  EXPECT_TRUE((*outcomes)[0]);
  ASSERT_FALSE((*outcomes)[1]);
  EXPECT_EQ((*outcomes)[1].error().code, ErrorCode::Conflict);
  EXPECT_TRUE((*outcomes)[2]);
  EXPECT_EQ(record_ids(store(), {.scope = OwnerScope::every_owner()}), (Ids{"r1", "r2", "r4"}));
}

TEST_P(StoreContract, RecordCreationDateIsSetOnInsertOnly) {
  ASSERT_TRUE(
      ok(apply(store(), {ProvisioningRecord{.id = "r1", .owner = "alice", .creation_date = 111}})));
  ASSERT_TRUE(
      ok(apply(store(), {ProvisioningRecord{.id = "r1", .owner = "alice", .creation_date = 222}})));
  EXPECT_EQ(stored(store(), "r1").creation_date, 111);

  // 0: the store stamps it.
  ASSERT_TRUE(ok(apply(store(), {ProvisioningRecord{.id = "r2", .owner = "alice"}})));
  EXPECT_GT(stored(store(), "r2").creation_date, 1'600'000'000'000'000'000);
}

TEST_P(StoreContract, RecordBatchAppliesManyUpdatesOfSameAndDifferentIdsInOrder) {
  std::vector<ProvisioningRecord> batch;
  for (int i = 0; i < 100; ++i) {
    const std::string id = "r" + std::to_string(1000 + i);
    ProvisioningRecord attest{.id = id, .device_id = "d" + std::to_string(i), .owner = "alice"};
    attest.attestation = AttestationSection{{10, 0, ""}, "pem", id, {}};
    batch.push_back(attest);
    batch.push_back(cloud_update(id, 30, "second"));
    batch.push_back(cloud_update(id, 20, "stale"));  // later in the batch but older: ignored
    batch.push_back(cloud_update(id, 30, "third"));  // same date, later: applies
  }
  ASSERT_TRUE(ok(all_applied(store().apply_record_updates(batch))));
  auto records = store().list_provisioning_records({.scope = OwnerScope::every_owner()});
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
                                 ProvisioningRecord{.owner = "alice"}});  // no id: invalid
  ASSERT_FALSE(applied);
  EXPECT_EQ(record_ids(store(), {.scope = OwnerScope::every_owner()}), (Ids{"r1"}));
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
      {"no filter, ordered by id", {.scope = OwnerScope::of("alice")}, {"r1", "r2", "r3"}},
      {"every owner", {.scope = OwnerScope::every_owner()}, {"r0", "r1", "r2", "r3"}},
      {"an empty owner addresses nothing", {.scope = OwnerScope::of("")}, {}},
      {"ids", {.scope = OwnerScope::of("alice"), .ids = {"r2"}}, {"r2"}},
      {"device ids",
       {.scope = OwnerScope::of("alice"), .device_ids = {"device-r3", "device-r1"}},
       {"r1", "r3"}},
      {"enrollment group ids",
       {.scope = OwnerScope::of("alice"), .enrollment_group_ids = {"eg-r2"}},
       {"r2"}},
      {"all three OR-ed",
       {.scope = OwnerScope::of("alice"),
        .ids = {"r1"},
        .device_ids = {"device-r2"},
        .enrollment_group_ids = {"eg-r3"}},
       {"r1", "r2", "r3"}},
      {"another owner's record stays invisible",
       {.scope = OwnerScope::of("alice"), .ids = {"r0"}},
       {}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(record_ids(store(), c.filter), c.expected);
  }
}

// make_record with its creation date set.
ProvisioningRecord created_at(const std::string& id, const std::string& owner, int64_t date) {
  ProvisioningRecord record = make_record(id, owner, 1);
  record.creation_date = date;
  return record;
}

TEST_P(StoreContract, RecordsListNewestFirstAndLimitedWithinTheOwner) {
  // Alice's r1 and r3 were created at the same moment (ties go by id); bob's records are newer
  // than all of alice's, so a page of alice's newest that leaked another owner's would show.
  ASSERT_TRUE(ok(apply(store(), {created_at("r1", "alice", 300), created_at("r2", "alice", 100),
                                 created_at("r3", "alice", 300), created_at("r4", "alice", 200),
                                 created_at("r0", "bob", 400), created_at("r5", "bob", 350)})));
  const OwnerScope alice = OwnerScope::of("alice");
  const OwnerScope bob = OwnerScope::of("bob");
  struct Case {
    const char* name;
    RecordFilter filter;
    Ids expected;
  };
  const Case cases[] = {
      {"newest first", {.scope = alice, .newest_first = true}, {"r1", "r3", "r4", "r2"}},
      {"the newest two", {.scope = alice, .limit = 2, .newest_first = true}, {"r1", "r3"}},
      {"the newest one", {.scope = alice, .limit = 1, .newest_first = true}, {"r1"}},
      {"a limit beyond the count",
       {.scope = alice, .limit = 1000, .newest_first = true},
       {"r1", "r3", "r4", "r2"}},
      {"a limit alone keeps id order", {.scope = alice, .limit = 2}, {"r1", "r2"}},
      {"the other owner's newest",
       {.scope = bob, .limit = 1000, .newest_first = true},
       {"r0", "r5"}},
      {"every owner",
       {.scope = OwnerScope::every_owner(), .limit = 3, .newest_first = true},
       {"r0", "r5", "r1"}},
      {"lists, newest first, limited: bob's r0 matches but is not alice's",
       {.scope = alice,
        .device_ids = {"device-r2", "device-r4", "device-r0"},
        .limit = 1,
        .newest_first = true},
       {"r4"}},
      {"lists, newest first",
       {.scope = alice, .ids = {"r2", "r0"}, .device_ids = {"device-r4"}, .newest_first = true},
       {"r4", "r2"}},
      {"another owner's record stays invisible newest first",
       {.scope = bob, .ids = {"r1"}, .limit = 10, .newest_first = true},
       {}},
      {"an empty owner addresses nothing", {.scope = OwnerScope::of(""), .newest_first = true}, {}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(record_ids(store(), c.filter), c.expected);
  }
}

TEST_P(StoreContract, RecordDeleteWithALimitIsRefusedAndDeletesNothing) {
  ASSERT_TRUE(ok(apply(store(), {make_record("r1", "alice", 1), make_record("r2", "alice", 1)})));
  auto deleted =
      store().delete_provisioning_records({.scope = OwnerScope::of("alice"), .limit = 1});
  ASSERT_FALSE(deleted);
  EXPECT_EQ(deleted.error().code, ErrorCode::BadRequest);
  EXPECT_EQ(record_ids(store(), {.scope = OwnerScope::every_owner()}), (Ids{"r1", "r2"}));
}

TEST_P(StoreContract, RecordDeleteCountsAndStaysWithinOwner) {
  ASSERT_TRUE(ok(apply(store(), {make_record("r1", "alice", 1), make_record("r2", "alice", 1),
                                 make_record("r3", "bob", 1)})));
  auto deleted =
      store().delete_provisioning_records({.scope = OwnerScope::of("alice"), .ids = {"r1", "r3"}});
  ASSERT_TRUE(ok(deleted));
  EXPECT_EQ(*deleted, 1u);
  deleted =
      store().delete_provisioning_records({.scope = OwnerScope::of("alice"), .ids = {"missing"}});
  ASSERT_TRUE(ok(deleted));  // not an error for records (management-api.md)
  EXPECT_EQ(*deleted, 0u);
  deleted = store().delete_provisioning_records({.scope = OwnerScope::of("alice")});
  ASSERT_TRUE(ok(deleted));
  EXPECT_EQ(*deleted, 1u);
  EXPECT_EQ(record_ids(store(), {.scope = OwnerScope::every_owner()}), (Ids{"r3"}));
}

}  // namespace
}  // namespace dps::store::testing
