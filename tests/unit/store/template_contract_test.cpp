// Store contract: enrollment templates, the template a group names, and the records'
// pre-configuration section.
#include <array>
#include <initializer_list>

#include "store_contract_test.hpp"

namespace dps::store::testing {
namespace {

using Ids = std::vector<std::string>;

Ids template_ids(Store& store, const TemplateFilter& filter) {
  auto templates = store.list_templates(filter);
  EXPECT_TRUE(ok(templates));
  return templates ? ids_of(*templates) : Ids{"<error>"};
}

std::vector<EnrollmentTemplate> every_template(Store& store) {
  auto templates = store.list_templates({.scope = OwnerScope::every_owner()});
  EXPECT_TRUE(ok(templates));
  return templates ? *templates : std::vector<EnrollmentTemplate>{};
}

int64_t template_test_version(Store& store) {
  auto v = store.configuration_version();
  EXPECT_TRUE(ok(v));
  return v ? *v : -1;
}

TEST_P(StoreContract, TemplateCreateRoundTripsEveryField) {
  const EnrollmentTemplate t = make_template("t1", "alice");
  ASSERT_TRUE(ok(store().create_template(t)));
  auto templates = store().list_templates({.scope = OwnerScope::of("alice")});
  ASSERT_TRUE(ok(templates));
  EXPECT_EQ(*templates, std::vector{t});
  reopen();
  EXPECT_EQ(every_template(store()), std::vector{t});
}

TEST_P(StoreContract, TemplateWithDefaultFieldsRoundTrips) {
  const EnrollmentTemplate t{.id = "t1", .owner = "alice"};  // no ACEs, lifetimes, updates
  ASSERT_TRUE(ok(store().create_template(t)));
  EXPECT_EQ(every_template(store()), std::vector{t});
}

TEST_P(StoreContract, TemplateCreateWithExistingIdIsConflictNamingTheId) {
  ASSERT_TRUE(ok(store().create_template(make_template("t1", "alice"))));
  for (const char* owner : {"alice", "bob"}) {
    SCOPED_TRACE(owner);
    auto created = store().create_template(make_template("t1", owner));
    ASSERT_FALSE(created);
    EXPECT_EQ(created.error().code, ErrorCode::Conflict);
    EXPECT_NE(created.error().internal.find("t1"), std::string::npos) << created.error().internal;
  }
  EXPECT_EQ(every_template(store()), std::vector{make_template("t1", "alice")});
}

TEST_P(StoreContract, TemplateUpdateReplacesEveryField) {
  ASSERT_TRUE(ok(store().create_template(make_template("t1", "alice"))));
  const EnrollmentTemplate changed{.id = "t1",
                                   .owner = "alice",
                                   .name = "n2",
                                   .access_control_list_json = "[]",
                                   .identity_certificate_validity_seconds = 60,
                                   .token_lifetime_seconds = 0,
                                   .pre_configuration = {{"/x", "{}"}}};
  ASSERT_TRUE(ok(store().update_template(changed)));
  EXPECT_EQ(every_template(store()), std::vector{changed});
}

TEST_P(StoreContract, TemplateUpdateOfAMissingTemplateIsNotFound) {
  auto updated = store().update_template(make_template("missing", "alice"));
  ASSERT_FALSE(updated);
  EXPECT_EQ(updated.error().code, ErrorCode::NotFound);
  EXPECT_TRUE(every_template(store()).empty());  // an update never creates
}

TEST_P(StoreContract, TemplateOfAnotherOwnerCannotBeUpdatedListedOrDeleted) {
  const EnrollmentTemplate alices = make_template("t1", "alice");
  ASSERT_TRUE(ok(store().create_template(alices)));

  EnrollmentTemplate hijack = make_template("t1", "bob");
  hijack.access_control_list_json = R"([{"subject":{"uuid":"*"},"permission":31}])";
  auto updated = store().update_template(hijack);
  ASSERT_FALSE(updated);
  EXPECT_EQ(updated.error().code, ErrorCode::NotFound);

  EXPECT_EQ(template_ids(store(), {.scope = OwnerScope::of("bob")}), Ids{});
  EXPECT_EQ(template_ids(store(), {.scope = OwnerScope::of("bob"), .ids = {"t1"}}), Ids{});

  auto deleted = store().delete_templates({.scope = OwnerScope::of("bob"), .ids = {"t1"}});
  ASSERT_TRUE(ok(deleted));
  EXPECT_EQ(*deleted, 0u);
  deleted = store().delete_templates({.scope = OwnerScope::of("bob")});
  ASSERT_TRUE(ok(deleted));
  EXPECT_EQ(*deleted, 0u);

  EXPECT_EQ(every_template(store()), std::vector{alices});
}

TEST_P(StoreContract, TemplateFiltersAreOrderedByIdAndScopedToOwner) {
  for (const char* id : {"t3", "t1", "t2"})
    ASSERT_TRUE(ok(store().create_template(make_template(id, "alice"))));
  ASSERT_TRUE(ok(store().create_template(make_template("t0", "bob"))));
  struct Case {
    const char* name;
    TemplateFilter filter;
    Ids expected;
  };
  const Case cases[] = {
      {"no filter, ordered by id", {.scope = OwnerScope::of("alice")}, {"t1", "t2", "t3"}},
      {"every owner", {.scope = OwnerScope::every_owner()}, {"t0", "t1", "t2", "t3"}},
      {"an empty owner addresses nothing", {.scope = OwnerScope::of("")}, {}},
      {"ids", {.scope = OwnerScope::of("alice"), .ids = {"t3", "t2", "missing"}}, {"t2", "t3"}},
      {"another owner's id", {.scope = OwnerScope::of("alice"), .ids = {"t0"}}, {}},
      {"unknown owner", {.scope = OwnerScope::of("carol")}, {}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(template_ids(store(), c.filter), c.expected);
  }
}

TEST_P(StoreContract, TemplateDeleteCountsAndStaysWithinOwner) {
  for (const char* id : {"t1", "t2", "t3"})
    ASSERT_TRUE(ok(store().create_template(make_template(id, "alice"))));
  ASSERT_TRUE(ok(store().create_template(make_template("t4", "bob"))));
  auto deleted = store().delete_templates({.scope = OwnerScope::of("alice"), .ids = {"t1", "t4"}});
  ASSERT_TRUE(ok(deleted));
  EXPECT_EQ(*deleted, 1u);
  deleted = store().delete_templates({.scope = OwnerScope::of("alice")});
  ASSERT_TRUE(ok(deleted));
  EXPECT_EQ(*deleted, 2u);
  EXPECT_EQ(template_ids(store(), {.scope = OwnerScope::every_owner()}), Ids{"t4"});
}

TEST_P(StoreContract, TemplateWritesBumpConfigurationVersionFailedOnesDoNot) {
  // The device-side catalog holds the templates: it reloads only when the version moves.
  int64_t last = template_test_version(store());
  auto expect_increase = [&](const char* what) {
    const int64_t now = template_test_version(store());
    EXPECT_GT(now, last) << what;
    last = now;
  };
  auto expect_same = [&](const char* what) {
    EXPECT_EQ(template_test_version(store()), last) << what;
  };

  ASSERT_TRUE(ok(store().create_template(make_template("t1", "alice"))));
  expect_increase("create");
  EnrollmentTemplate changed = make_template("t1", "alice");
  changed.token_lifetime_seconds = 7;
  ASSERT_TRUE(ok(store().update_template(changed)));
  expect_increase("update");
  EXPECT_FALSE(store().create_template(make_template("t1", "alice")));
  expect_same("conflicting create");
  EXPECT_FALSE(store().update_template(make_template("t1", "bob")));
  expect_same("update of another owner's template");
  ASSERT_TRUE(ok(store().delete_templates({.scope = OwnerScope::of("bob")})));
  expect_same("delete of nothing");
  ASSERT_TRUE(ok(store().delete_templates({.scope = OwnerScope::of("alice"), .ids = {"t1"}})));
  expect_increase("delete");
}

TEST_P(StoreContract, GroupTemplateIdRoundTripsThroughEveryWrite) {
  EnrollmentGroup g = make_group("g1", "alice");
  g.template_id = "tpl-a";
  ASSERT_TRUE(ok(store().create_enrollment_group(g)));
  auto read = [&] {
    auto groups = store().list_enrollment_groups({.scope = OwnerScope::of("alice"), .ids = {"g1"}});
    EXPECT_TRUE(ok(groups));
    return groups && groups->size() == 1 ? groups->front().template_id : "<none>";
  };
  EXPECT_EQ(read(), "tpl-a");

  g.template_id = "tpl-b";
  ASSERT_TRUE(ok(store().update_enrollment_group(g)));
  EXPECT_EQ(read(), "tpl-b");

  g.template_id = "tpl-c";
  std::array upserted = {g};
  ASSERT_TRUE(ok(store().upsert_enrollment_groups(upserted)));
  EXPECT_EQ(read(), "tpl-c");

  g.template_id.clear();  // the group stops using a template
  ASSERT_TRUE(ok(store().update_enrollment_group(g)));
  EXPECT_EQ(read(), "");

  // The listing through the other filters' statement carries it too.
  g.template_id = "tpl-d";
  ASSERT_TRUE(ok(store().update_enrollment_group(g)));
  auto by_lead = store().list_enrollment_groups(
      {.scope = OwnerScope::of("alice"), .lead_certificate_names = {"lead-g1"}});
  ASSERT_TRUE(ok(by_lead));
  ASSERT_EQ(by_lead->size(), 1u);
  EXPECT_EQ(by_lead->front(), g);
}

Result<void> apply_pre_configuration(Store& store,
                                     std::initializer_list<ProvisioningRecord> updates) {
  return all_applied(store.apply_record_updates(std::span(updates.begin(), updates.size())));
}

std::optional<PreConfigurationSection> stored_pre_configuration(Store& store) {
  auto records = store.list_provisioning_records({.scope = OwnerScope::every_owner()});
  EXPECT_TRUE(ok(records));
  if (!records || records->size() != 1) {
    ADD_FAILURE() << "expected exactly one record";
    return std::nullopt;
  }
  return records->front().pre_configuration;
}

ProvisioningRecord pre_configuration_update(int64_t date, const std::string& updates,
                                            const std::string& results) {
  ProvisioningRecord r{.id = "r1", .device_id = "d1", .owner = "alice"};
  r.pre_configuration = PreConfigurationSection{{date, 69, ""}, updates, results};
  return r;
}

TEST_P(StoreContract, RecordPreConfigurationSectionIsDateGuarded) {
  // What was sent (GET) at 100, then the device's report (POST) at 200.
  const ProvisioningRecord sent = pre_configuration_update(100, R"([{"href":"/a"}])", "");
  ASSERT_TRUE(ok(apply_pre_configuration(store(), {sent})));
  EXPECT_EQ(stored_pre_configuration(store()), sent.pre_configuration);

  const ProvisioningRecord report =
      pre_configuration_update(200, R"([{"href":"/a"}])", R"([{"href":"/a","code":68}])");
  ASSERT_TRUE(ok(apply_pre_configuration(store(), {report})));
  EXPECT_EQ(stored_pre_configuration(store()), report.pre_configuration);

  // A slow GET of the same session, older than the report: it never overwrites it.
  ASSERT_TRUE(ok(apply_pre_configuration(store(), {pre_configuration_update(150, "[]", "")})));
  EXPECT_EQ(stored_pre_configuration(store()), report.pre_configuration);

  // Another step's update carries no pre-configuration section: the stored one stays.
  ProvisioningRecord other_step{.id = "r1", .device_id = "d1", .owner = "alice"};
  other_step.acl = AclSection{{300, 68, ""}, "[]"};
  ASSERT_TRUE(ok(apply_pre_configuration(store(), {other_step})));
  EXPECT_EQ(stored_pre_configuration(store()), report.pre_configuration);

  // The same date applies (a retried step).
  const ProvisioningRecord retried = pre_configuration_update(200, "[]", "[]");
  ASSERT_TRUE(ok(apply_pre_configuration(store(), {retried})));
  EXPECT_EQ(stored_pre_configuration(store()), retried.pre_configuration);
}

TEST_P(StoreContract, RecordWithoutPreConfigurationReadsBackWithout) {
  ProvisioningRecord record = make_record("r1", "alice", 100);
  record.pre_configuration.reset();
  ASSERT_TRUE(ok(apply_pre_configuration(store(), {record})));
  EXPECT_EQ(stored_pre_configuration(store()), std::nullopt);
}

}  // namespace
}  // namespace dps::store::testing
