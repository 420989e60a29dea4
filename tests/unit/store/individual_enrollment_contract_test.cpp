// Store contract: individual enrollments (one device, one enrollment, found by its key) and the
// provisioning record's individual_enrollment_id.
#include <algorithm>
#include <array>
#include <atomic>
#include <cstdio>
#include <initializer_list>
#include <thread>

#include "store_contract_test.hpp"

namespace dps::store::testing {
namespace {

using Ids = std::vector<std::string>;

// A well-formed device key hash (64 lowercase hex digits), distinct per `n`.
std::string key(unsigned n) {
  std::array<char, 17> digits{};
  std::snprintf(digits.data(), digits.size(), "%016x", n);
  return std::string(48, 'a') + digits.data();
}

// Every field set to a non-default value, so the round trip proves each column.
IndividualEnrollment make_enrollment(const std::string& id, const std::string& owner, unsigned n) {
  return IndividualEnrollment{.id = id,
                              .owner = owner,
                              .name = "device " + id,
                              .certificate_pem = "-----BEGIN CERTIFICATE-----\n" + id + "\n",
                              .public_key_sha256 = key(n),
                              .hub_ids = {"hub-b", "hub-a"},
                              .template_id = "template-" + id,
                              .disabled = true,
                              .tpm_endorsement_key = "AToAAQALAAMAsgAg" + id};
}

Result<void> create(Store& store, std::initializer_list<IndividualEnrollment> enrollments) {
  return store.create_individual_enrollments(std::span(enrollments.begin(), enrollments.size()));
}

Result<void> create_within(Store& store, std::initializer_list<IndividualEnrollment> enrollments,
                           size_t quota) {
  return store.create_individual_enrollments_within(
      std::span(enrollments.begin(), enrollments.size()), quota);
}

std::vector<IndividualEnrollment> listed(Store& store, const IndividualEnrollmentFilter& filter) {
  auto enrollments = store.list_individual_enrollments(filter);
  EXPECT_TRUE(ok(enrollments));
  return enrollments ? *enrollments : std::vector<IndividualEnrollment>{};
}

Ids listed_ids(Store& store, const IndividualEnrollmentFilter& filter) {
  return ids_of(listed(store, filter));
}

size_t counted(Store& store, const OwnerScope& scope) {
  auto n = store.count_individual_enrollments(scope);
  EXPECT_TRUE(ok(n));
  return n ? *n : 0;
}

void expect_names_neither(const Error& e, const std::string& id, const std::string& owner) {
  for (const std::string& text : {e.internal, e.peer_message()}) {
    EXPECT_EQ(text.find(id), std::string::npos) << text;
    EXPECT_EQ(text.find(owner), std::string::npos) << text;
  }
}

TEST_P(StoreContract, IndividualEnrollmentCreateRoundTripsEveryField) {
  const IndividualEnrollment full = make_enrollment("e1", "alice", 1);
  const IndividualEnrollment bare{
      .id = "e2", .owner = "alice", .public_key_sha256 = key(2)};  // enrolled by its key alone
  ASSERT_TRUE(ok(create(store(), {full, bare})));
  EXPECT_EQ(listed(store(), {.scope = OwnerScope::of("alice")}), (std::vector{full, bare}));
  reopen();
  auto found = store().find_individual_enrollment(key(1));
  ASSERT_TRUE(ok(found));
  EXPECT_EQ(*found, full);
}

TEST_P(StoreContract, AQuotaIsCheckedInTheInsertsTransactionSoConcurrentCreatesCannotPassIt) {
  constexpr size_t kQuota = 5;
  constexpr unsigned kWriters = 8;
  std::atomic<size_t> created{0};
  std::atomic<size_t> over_quota{0};
  std::vector<std::thread> writers;
  for (unsigned w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (unsigned i = 0; i < 2; ++i) {
        const unsigned n = 100 + w * 2 + i;
        const IndividualEnrollment e = make_enrollment("q" + std::to_string(n), "alice", n);
        auto result = store().create_individual_enrollments_within(std::span(&e, 1), kQuota);
        if (result) {
          ++created;
        } else if (result.error().code == ErrorCode::Conflict &&
                   result.error().internal.starts_with("quota exceeded: ")) {
          ++over_quota;
        }
      }
    });
  }
  for (auto& writer : writers) writer.join();
  EXPECT_EQ(created.load(), kQuota);
  EXPECT_EQ(over_quota.load(), 2 * kWriters - kQuota);
  EXPECT_EQ(counted(store(), OwnerScope::of("alice")), kQuota);

  // A batch that would pass it writes nothing; another owner's quota is its own.
  auto refused = create_within(store(),
                               {make_enrollment("b1", "bob", 1), make_enrollment("b2", "bob", 2),
                                make_enrollment("a9", "alice", 3)},
                               kQuota);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().internal,
            "quota exceeded: 5 individual enrollments of this owner, 1 more would pass the 5 "
            "allowed");
  EXPECT_EQ(counted(store(), OwnerScope::of("bob")), 0u);
  EXPECT_TRUE(ok(create_within(store(), {make_enrollment("b1", "bob", 1)}, kQuota)));
}

TEST_P(StoreContract, IndividualEnrollmentsNamingAHubAreTheOwnersOnlyInIdOrderUpToTheLimit) {
  auto naming = [](const std::string& id, const std::string& owner, unsigned n, Ids hubs) {
    IndividualEnrollment e = make_enrollment(id, owner, n);
    e.hub_ids = std::move(hubs);
    return e;
  };
  ASSERT_TRUE(
      ok(create(store(), {naming("e3", "alice", 1, {"hub-x", "hub-a"}),
                          naming("e1", "alice", 2, {"hub-a"}), naming("e2", "alice", 3, {"hub-b"}),
                          // Bob names a hub of the same hubId: his, not Alice's.
                          naming("e0", "bob", 4, {"hub-a"}),
                          // A hubId that is a prefix or JSON-looking part of another.
                          naming("e4", "alice", 5, {"hub-a2", "[\"hub-a\"]"})})));
  auto found = [&](const std::string& owner, const std::string& hub, size_t limit) {
    auto ids = store().individual_enrollments_naming_hub(owner, hub, limit);
    EXPECT_TRUE(ok(ids));
    return ids ? *ids : Ids{};
  };
  EXPECT_EQ(found("alice", "hub-a", 10), (Ids{"e1", "e3"}));
  EXPECT_EQ(found("alice", "hub-a", 1), (Ids{"e1"}));
  EXPECT_EQ(found("bob", "hub-a", 10), (Ids{"e0"}));
  EXPECT_EQ(found("alice", "hub-c", 10), Ids{});
  EXPECT_EQ(found("", "hub-a", 10), Ids{});  // no owner names nothing
}

TEST_P(StoreContract, IndividualEnrollmentWithAnExistingIdIsConflictAndWritesNothing) {
  ASSERT_TRUE(ok(create(store(), {make_enrollment("e1", "alice", 1)})));
  auto created = create(store(), {make_enrollment("e1", "bob", 2)});
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().code, ErrorCode::Conflict);
  EXPECT_NE(created.error().internal.find("e1"), std::string::npos) << created.error().internal;
  EXPECT_EQ(listed(store(), {.scope = OwnerScope::every_owner()}),
            std::vector{make_enrollment("e1", "alice", 1)});
  auto other_key = store().find_individual_enrollment(key(2));
  ASSERT_TRUE(ok(other_key));
  EXPECT_EQ(*other_key, std::nullopt);
}

TEST_P(StoreContract, IndividualEnrollmentKeyHeldByAnotherOwnerIsConflictNamingNeither) {
  ASSERT_TRUE(ok(create(store(), {make_enrollment("alices-enrollment", "alice", 7)})));
  auto created = create(store(), {make_enrollment("b1", "bob", 7)});
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().code, ErrorCode::Conflict);
  expect_names_neither(created.error(), "alices-enrollment", "alice");
  EXPECT_NE(created.error().peer_message().find(key(7)), std::string::npos)
      << "the caller is told which of its keys is taken";
  EXPECT_EQ(counted(store(), OwnerScope::of("bob")), 0u);
}

TEST_P(StoreContract, IndividualEnrollmentBatchWithOneConflictWritesNothing) {
  // Two of the batch share a key.
  auto twice =
      create(store(), {make_enrollment("e1", "alice", 1), make_enrollment("e2", "alice", 2),
                       make_enrollment("e3", "alice", 1)});
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code, ErrorCode::Conflict);
  EXPECT_EQ(counted(store(), OwnerScope::every_owner()), 0u);

  // The last one of a batch longer than one bulk statement meets a stored key.
  ASSERT_TRUE(ok(create(store(), {make_enrollment("stored", "bob", 99'999)})));
  std::vector<IndividualEnrollment> batch;
  for (unsigned i = 0; i < 2'500; ++i) {
    batch.push_back(make_enrollment("bulk-" + std::to_string(i), "alice", i));
  }
  batch.back().public_key_sha256 = key(99'999);
  auto bulk = store().create_individual_enrollments(batch);
  ASSERT_FALSE(bulk);
  EXPECT_EQ(bulk.error().code, ErrorCode::Conflict);
  expect_names_neither(bulk.error(), "stored", "bob");
  EXPECT_EQ(counted(store(), OwnerScope::of("alice")), 0u);

  batch.back().public_key_sha256 = key(2'500);
  ASSERT_TRUE(ok(store().create_individual_enrollments(batch)));
  EXPECT_EQ(counted(store(), OwnerScope::of("alice")), 2'500u);
}

TEST_P(StoreContract, IndividualEnrollmentMalformedInputIsBadRequestAndWritesNothing) {
  IndividualEnrollment upper = make_enrollment("e1", "alice", 1);
  std::transform(upper.public_key_sha256.begin(), upper.public_key_sha256.end(),
                 upper.public_key_sha256.begin(), [](char c) { return c == 'a' ? 'A' : c; });
  IndividualEnrollment short_key = make_enrollment("e2", "alice", 2);
  short_key.public_key_sha256.pop_back();
  IndividualEnrollment nul = make_enrollment("e3", "alice", 3);
  nul.name = std::string("before\0after", 12);  // would be cut at the NUL, not refused
  IndividualEnrollment no_owner = make_enrollment("e4", "", 4);
  for (const IndividualEnrollment& bad : {upper, short_key, nul, no_owner}) {
    SCOPED_TRACE(bad.id);
    auto created = create(store(), {make_enrollment("fine", "alice", 100), bad});
    ASSERT_FALSE(created);
    EXPECT_EQ(created.error().code, ErrorCode::BadRequest);
  }
  EXPECT_EQ(counted(store(), OwnerScope::every_owner()), 0u);
}

TEST_P(StoreContract, IndividualEnrollmentUpdateReplacesEveryFieldOfTheOwnersOwn) {
  ASSERT_TRUE(ok(create(store(), {make_enrollment("e1", "alice", 1)})));
  const IndividualEnrollment changed{.id = "e1",
                                     .owner = "alice",
                                     .name = "renamed",
                                     .public_key_sha256 = key(2),
                                     .hub_ids = {"hub-c"}};
  ASSERT_TRUE(ok(store().update_individual_enrollment(changed)));
  EXPECT_EQ(listed(store(), {.scope = OwnerScope::of("alice")}), std::vector{changed});
  auto old_key = store().find_individual_enrollment(key(1));
  ASSERT_TRUE(ok(old_key));
  EXPECT_EQ(*old_key, std::nullopt) << "the old key no longer finds the device";
}

TEST_P(StoreContract, IndividualEnrollmentUpdateOfAnotherOwnersIsNotFoundAndChangesNothing) {
  ASSERT_TRUE(ok(create(store(), {make_enrollment("e1", "alice", 1)})));
  IndividualEnrollment hijack = make_enrollment("e1", "bob", 1);
  hijack.disabled = false;
  auto updated = store().update_individual_enrollment(hijack);
  ASSERT_FALSE(updated);
  EXPECT_EQ(updated.error().code, ErrorCode::NotFound);
  EXPECT_EQ(listed(store(), {.scope = OwnerScope::every_owner()}),
            std::vector{make_enrollment("e1", "alice", 1)});
}

TEST_P(StoreContract, IndividualEnrollmentUpdateToATakenKeyIsConflictNamingNeither) {
  ASSERT_TRUE(ok(create(store(), {make_enrollment("alices-enrollment", "alice", 1)})));
  ASSERT_TRUE(ok(create(store(), {make_enrollment("b1", "bob", 2)})));
  auto updated = store().update_individual_enrollment(make_enrollment("b1", "bob", 1));
  ASSERT_FALSE(updated);
  EXPECT_EQ(updated.error().code, ErrorCode::Conflict);
  expect_names_neither(updated.error(), "alices-enrollment", "alice");
  EXPECT_EQ(listed(store(), {.scope = OwnerScope::of("bob")}),
            std::vector{make_enrollment("b1", "bob", 2)});
}

TEST_P(StoreContract, IndividualEnrollmentListIsScopedAndFiltersByIdOrKey) {
  ASSERT_TRUE(
      ok(create(store(), {make_enrollment("a1", "alice", 1), make_enrollment("a2", "alice", 2),
                          make_enrollment("a3", "alice", 3), make_enrollment("b1", "bob", 4)})));
  EXPECT_EQ(listed_ids(store(), {.scope = OwnerScope::of("bob")}), Ids{"b1"});
  EXPECT_EQ(listed_ids(store(), {.scope = OwnerScope::of("bob"), .ids = {"a1"}}), Ids{});
  EXPECT_EQ(listed_ids(store(), {.scope = OwnerScope::of("bob"), .public_key_sha256s = {key(1)}}),
            Ids{});
  EXPECT_EQ(listed_ids(store(), {.scope = OwnerScope::of("alice"),
                                 .ids = {"a3", "b1"},
                                 .public_key_sha256s = {key(1), key(4)}}),
            (Ids{"a1", "a3"}));
  EXPECT_EQ(listed_ids(store(), {.scope = OwnerScope::every_owner(),
                                 .public_key_sha256s = {key(4), key(2)}}),
            (Ids{"a2", "b1"}));
  EXPECT_EQ(listed_ids(store(), {.scope = OwnerScope::of("")}), Ids{});
}

TEST_P(StoreContract, IndividualEnrollmentPagesReturnEveryRowOnceInIdOrder) {
  // 25 of alice's, written out of order, with bob's ids interleaved.
  std::vector<IndividualEnrollment> batch;
  Ids alices;
  for (unsigned i = 0; i < 25; ++i) {
    const unsigned n = (i * 7) % 25;  // 7 is coprime with 25: a permutation
    const std::string id = "e" + std::string(n < 10 ? "0" : "") + std::to_string(n);
    batch.push_back(make_enrollment(id, "alice", n));
    batch.push_back(make_enrollment(id + "-bob", "bob", 100 + n));
    alices.push_back(id);
  }
  std::sort(alices.begin(), alices.end());
  ASSERT_TRUE(ok(store().create_individual_enrollments(batch)));

  for (size_t page_size : {1u, 7u, 25u}) {
    SCOPED_TRACE("page size " + std::to_string(page_size));
    Ids seen;
    int pages = 0;
    for (std::string after;; ++pages) {
      ASSERT_LT(pages, 30) << "paging does not end";
      const Ids page = listed_ids(
          store(), {.scope = OwnerScope::of("alice"), .after_id = after, .limit = page_size});
      ASSERT_LE(page.size(), page_size);
      if (page.empty()) break;
      seen.insert(seen.end(), page.begin(), page.end());
      after = page.back();
    }
    EXPECT_EQ(seen, alices);
  }
  // Every owner's, and a page of a filter.
  auto everyone = listed_ids(store(), {.scope = OwnerScope::every_owner(), .limit = 0});
  EXPECT_EQ(everyone.size(), 50u);
  EXPECT_TRUE(std::is_sorted(everyone.begin(), everyone.end()));
  EXPECT_EQ(listed_ids(store(), {.scope = OwnerScope::every_owner(),
                                 .ids = {"e01", "e02", "e03", "e04"},
                                 .after_id = "e01",
                                 .limit = 2}),
            (Ids{"e02", "e03"}));
}

TEST_P(StoreContract, IndividualEnrollmentDeleteIsScopedToTheOwner) {
  ASSERT_TRUE(
      ok(create(store(), {make_enrollment("a1", "alice", 1), make_enrollment("a2", "alice", 2),
                          make_enrollment("a3", "alice", 3), make_enrollment("b1", "bob", 4)})));
  auto stolen = store().delete_individual_enrollments(
      {.scope = OwnerScope::of("bob"), .ids = {"a1", "a2"}, .public_key_sha256s = {key(3)}});
  ASSERT_TRUE(ok(stolen));
  EXPECT_EQ(*stolen, 0u);
  EXPECT_EQ(counted(store(), OwnerScope::of("alice")), 3u);

  auto by_key = store().delete_individual_enrollments(
      {.scope = OwnerScope::of("alice"), .public_key_sha256s = {key(2)}});
  ASSERT_TRUE(ok(by_key));
  EXPECT_EQ(*by_key, 1u);
  // A page of the filter: the same rows list() returns for it.
  auto first =
      store().delete_individual_enrollments({.scope = OwnerScope::of("alice"), .limit = 1});
  ASSERT_TRUE(ok(first));
  EXPECT_EQ(*first, 1u);
  EXPECT_EQ(listed_ids(store(), {.scope = OwnerScope::every_owner()}), (Ids{"a3", "b1"}));
  auto rest = store().delete_individual_enrollments({.scope = OwnerScope::of("alice")});
  ASSERT_TRUE(ok(rest));
  EXPECT_EQ(*rest, 1u);
  EXPECT_EQ(listed_ids(store(), {.scope = OwnerScope::every_owner()}), Ids{"b1"});
  auto found = store().find_individual_enrollment(key(1));
  ASSERT_TRUE(ok(found));
  EXPECT_EQ(*found, std::nullopt);
}

TEST_P(StoreContract, IndividualEnrollmentCountIsPerOwner) {
  ASSERT_TRUE(
      ok(create(store(), {make_enrollment("a1", "alice", 1), make_enrollment("a2", "alice", 2),
                          make_enrollment("b1", "bob", 3)})));
  EXPECT_EQ(counted(store(), OwnerScope::of("alice")), 2u);
  EXPECT_EQ(counted(store(), OwnerScope::of("bob")), 1u);
  EXPECT_EQ(counted(store(), OwnerScope::of("carol")), 0u);
  EXPECT_EQ(counted(store(), OwnerScope::every_owner()), 3u);
}

TEST_P(StoreContract, IndividualEnrollmentCountFollowsBatchesAndDeletesOfEachOwner) {
  // The count is kept apart from the rows (a counter per owner): after every kind of write it
  // must still be what listing the owner's rows finds, and one owner's writes leave the other's.
  auto expect_counts_match_rows = [&](const std::string& step) {
    SCOPED_TRACE(step);
    size_t total = 0;
    for (const std::string owner : {"alice", "bob"}) {
      const size_t rows = listed(store(), {.scope = OwnerScope::of(owner)}).size();
      EXPECT_EQ(counted(store(), OwnerScope::of(owner)), rows) << owner;
      total += rows;
    }
    EXPECT_EQ(counted(store(), OwnerScope::every_owner()), total);
  };
  std::vector<IndividualEnrollment> batch;
  for (unsigned i = 0; i < 1'500; ++i) {  // more than one statement's worth of rows
    std::array<char, 16> id{};
    std::snprintf(id.data(), id.size(), "%c%04u", i % 3 == 0 ? 'b' : 'a', i);
    batch.push_back(make_enrollment(id.data(), i % 3 == 0 ? "bob" : "alice", i));
  }
  ASSERT_TRUE(ok(store().create_individual_enrollments(batch)));
  expect_counts_match_rows("a mixed batch");
  EXPECT_EQ(counted(store(), OwnerScope::of("alice")), 1'000u);
  EXPECT_EQ(counted(store(), OwnerScope::of("bob")), 500u);

  // A batch that conflicts writes nothing, its counts included.
  ASSERT_FALSE(create(store(), {make_enrollment("c1", "bob", 5'000),
                                make_enrollment("c2", "alice", 0)}));  // key 0 is b0000's
  expect_counts_match_rows("a refused batch");
  EXPECT_EQ(counted(store(), OwnerScope::of("bob")), 500u);

  ASSERT_TRUE(ok(create(store(), {make_enrollment("b9000", "bob", 9'000)})));
  expect_counts_match_rows("one more of bob's");

  auto by_id = store().delete_individual_enrollments(
      {.scope = OwnerScope::of("alice"), .ids = {"a0001", "a0002", "b0000"}});  // b0000 is bob's
  ASSERT_TRUE(ok(by_id));
  EXPECT_EQ(*by_id, 2u);
  expect_counts_match_rows("two of alice's by id");

  auto by_key = store().delete_individual_enrollments(
      {.scope = OwnerScope::every_owner(), .public_key_sha256s = {key(3), key(4)}});
  ASSERT_TRUE(ok(by_key));
  EXPECT_EQ(*by_key, 2u);
  expect_counts_match_rows("one of each by key");

  auto page = store().delete_individual_enrollments({.scope = OwnerScope::of("bob"), .limit = 100});
  ASSERT_TRUE(ok(page));
  EXPECT_EQ(*page, 100u);
  expect_counts_match_rows("a page of bob's");

  auto everyone = store().delete_individual_enrollments({.scope = OwnerScope::every_owner()});
  ASSERT_TRUE(ok(everyone));
  expect_counts_match_rows("every owner's");
  EXPECT_EQ(counted(store(), OwnerScope::every_owner()), 0u);

  ASSERT_TRUE(ok(create(store(), {make_enrollment("a1", "alice", 1)})));
  expect_counts_match_rows("a create after emptying");
  EXPECT_EQ(counted(store(), OwnerScope::of("alice")), 1u);
}

TEST_P(StoreContract, IndividualEnrollmentIsFoundByKeyWhateverItsOwner) {
  ASSERT_TRUE(
      ok(create(store(), {make_enrollment("a1", "alice", 1), make_enrollment("b1", "bob", 2)})));
  auto bobs = store().find_individual_enrollment(key(2));
  ASSERT_TRUE(ok(bobs));
  EXPECT_EQ(*bobs, make_enrollment("b1", "bob", 2));
  auto unknown = store().find_individual_enrollment(key(3));
  ASSERT_TRUE(ok(unknown));
  EXPECT_EQ(*unknown, std::nullopt);
  auto garbage = store().find_individual_enrollment("' OR 1=1 --");
  ASSERT_TRUE(ok(garbage));
  EXPECT_EQ(*garbage, std::nullopt);
}

TEST_P(StoreContract, IndividualEnrollmentWritesLeaveTheConfigurationVersion) {
  // The catalog (groups, hubs) does not hold them: a bulk load must not make every replica reload.
  auto before = store().configuration_version();
  ASSERT_TRUE(ok(before));
  ASSERT_TRUE(ok(create(store(), {make_enrollment("a1", "alice", 1)})));
  ASSERT_TRUE(ok(store().update_individual_enrollment(make_enrollment("a1", "alice", 2))));
  ASSERT_TRUE(ok(store().delete_individual_enrollments({.scope = OwnerScope::of("alice")})));
  auto after = store().configuration_version();
  ASSERT_TRUE(ok(after));
  EXPECT_EQ(*after, *before);
}

// --- the provisioning record's admitting enrollment

Result<void> apply(Store& store, const ProvisioningRecord& update) {
  const std::array updates = {update};
  return all_applied(store.apply_record_updates(updates));
}

ProvisioningRecord stored_record(Store& store, const std::string& id) {
  auto records = store.list_provisioning_records({.scope = OwnerScope::every_owner(), .ids = {id}});
  EXPECT_TRUE(ok(records));
  if (!records || records->size() != 1) {
    ADD_FAILURE() << "expected exactly one record " << id;
    return {};
  }
  return records->front();
}

// A later session of alice's device r1, admitted by `group` or `individual` (or, both empty, a
// step that names neither).
ProvisioningRecord admitted_by(const std::string& group, const std::string& individual,
                               int64_t date) {
  ProvisioningRecord r{.id = "r1",
                       .enrollment_group_id = group,
                       .individual_enrollment_id = individual,
                       .owner = "alice"};
  r.plgd_time = PlgdTimeSection{{date, 69, ""}};
  return r;
}

TEST_P(StoreContract, RecordIndividualEnrollmentIdRoundTrips) {
  ProvisioningRecord record = make_record("r1", "alice", 10);
  record.enrollment_group_id.clear();
  record.individual_enrollment_id = "ie-1";
  ASSERT_TRUE(ok(apply(store(), record)));
  EXPECT_EQ(stored_record(store(), "r1"), record);
}

TEST_P(StoreContract, RecordAdmittingEnrollmentIsReplacedWholeAndKeptWhenUnnamed) {
  ASSERT_TRUE(ok(apply(store(), make_record("r1", "alice", 10))));  // admitted by group eg-r1
  struct Step {
    std::string group, individual;  // the update
    std::string want_group, want_individual;
  };
  const Step steps[] = {
      {"", "ie-1", "", "ie-1"},          // moved to an individual enrollment: the group is gone
      {"", "", "", "ie-1"},              // names neither: kept
      {"eg-2", "", "eg-2", ""},          // back to a group: the individual enrollment is gone
      {"", "", "eg-2", ""},              // kept
      {"eg-3", "ie-3", "eg-3", "ie-3"},  // both named: both written as named
  };
  int64_t date = 20;
  for (const Step& step : steps) {
    SCOPED_TRACE("update [" + step.group + "] [" + step.individual + "]");
    ASSERT_TRUE(ok(apply(store(), admitted_by(step.group, step.individual, date++))));
    const ProvisioningRecord r = stored_record(store(), "r1");
    EXPECT_EQ(r.enrollment_group_id, step.want_group);
    EXPECT_EQ(r.individual_enrollment_id, step.want_individual);
    EXPECT_EQ(r.device_id, "device-r1");  // the rest of the merge is unchanged
  }
}

}  // namespace
}  // namespace dps::store::testing
