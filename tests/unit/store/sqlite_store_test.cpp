// SqliteStore: runs the Store contract, plus what only the SQLite adapter has (file, WAL,
// migrations, error mapping). Raw sqlite3 calls inspect or damage the file from outside.
#include "store/sqlite/sqlite_store.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <fstream>

#include "store/record_merge_sql.hpp"
#include "store/sqlite/individual_enrollment_table.hpp"
#include "store/sqlite/migrations.hpp"
#include "store/sqlite/provisioning_record_table.hpp"
#include "store/sqlite/statement.hpp"
#include "store_contract_test.hpp"

namespace dps::store::testing {

INSTANTIATE_TEST_SUITE_P(
    Sqlite, StoreContract,
    ::testing::Values(StoreFactory{
        "Sqlite",
        [](const std::filesystem::path& dir) -> Result<std::unique_ptr<Store>> {
          auto store = SqliteStore::open(dir / "dps.sqlite");
          if (!store) return tl::unexpected(store.error());
          return std::unique_ptr<Store>(std::move(*store));
        }}),
    factory_name);

namespace {

// Runs `sql` on the file through a separate raw connection; returns the first column of the first
// row as text ("" when there is none).
std::string raw_sql(const std::filesystem::path& file, const std::string& sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  std::string first;
  auto on_row = [](void* out, int columns, char** values, char**) {
    auto* text = static_cast<std::string*>(out);
    if (text->empty() && columns > 0 && values[0] != nullptr) *text = values[0];
    return 0;
  };
  char* error = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), on_row, &first, &error), SQLITE_OK)
      << (error ? error : "");
  sqlite3_free(error);
  sqlite3_close(db);
  return first;
}

// The `detail` column of every row of EXPLAIN QUERY PLAN `sql`, one per line.
std::string query_plan(const std::filesystem::path& file, std::string_view sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  const std::string explain = "EXPLAIN QUERY PLAN " + std::string(sql);
  EXPECT_EQ(sqlite3_prepare_v2(db, explain.c_str(), -1, &stmt, nullptr), SQLITE_OK)
      << sqlite3_errmsg(db);
  std::string plan;
  while (stmt != nullptr && sqlite3_step(stmt) == SQLITE_ROW) {
    plan += reinterpret_cast<const char*>(sqlite3_column_text(stmt, 3));
    plan += "\n";
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return plan;
}

class SqliteStoreTest : public ::testing::Test {
 protected:
  std::filesystem::path file() const { return dir_.path() / "nested" / "dir" / "dps.sqlite"; }
  TempDir dir_;
};

TEST_F(SqliteStoreTest, OpenCreatesParentDirectoriesAndTheFile) {
  ASSERT_TRUE(ok(SqliteStore::open(file())));
  EXPECT_TRUE(std::filesystem::exists(file()));
}

TEST_F(SqliteStoreTest, SymbolicLinkWhereTheDatabaseGoesIsRefusedNotFollowed) {
  const auto outside = dir_.path() / "outside.sqlite";
  std::filesystem::create_directories(file().parent_path());
  std::filesystem::create_symlink(outside, file());
  auto store = SqliteStore::open(file());
  ASSERT_FALSE(ok(store));
  EXPECT_FALSE(std::filesystem::exists(outside)) << "the link was followed";
}

TEST_F(SqliteStoreTest, NewDatabaseAndItsWalAreReadableByTheOwnerOnly) {
  // Secrets (PSKs, hub client secrets) live in it.
  auto store = SqliteStore::open(file());
  ASSERT_TRUE(ok(store));
  ASSERT_TRUE(ok((*store)->create_hub(Hub{.id = "h1", .hub_id = "h1", .owner = "alice"})));
  using std::filesystem::perms;
  for (const auto& path : {file(), std::filesystem::path(file().string() + "-wal")}) {
    ASSERT_TRUE(std::filesystem::exists(path)) << path;
    EXPECT_EQ(std::filesystem::status(path).permissions() & perms::all,
              perms::owner_read | perms::owner_write)
        << path;
  }
}

TEST_F(SqliteStoreTest, OpenLeavesTheFileInWalModeAtTheLatestSchemaVersion) {
  ASSERT_TRUE(ok(SqliteStore::open(file())));
  EXPECT_EQ(raw_sql(file(), "PRAGMA journal_mode"), "wal");  // persistent in the file
  EXPECT_EQ(raw_sql(file(), "PRAGMA user_version"),
            std::to_string(sqlite::latest_schema_version()));
}

TEST_F(SqliteStoreTest, ReopenDoesNotRerunMigrations) {
  ASSERT_TRUE(ok(SqliteStore::open(file())));
  // A row a re-run of migration 1 would trip over (duplicate singleton) or reset.
  raw_sql(file(), "UPDATE configuration_version SET version = 41");
  auto reopened = SqliteStore::open(file());
  ASSERT_TRUE(ok(reopened));
  auto version = (*reopened)->configuration_version();
  ASSERT_TRUE(ok(version));
  EXPECT_EQ(*version, 41);
}

TEST_F(SqliteStoreTest, ADatabaseAtSchema3MigratesKeepingItsRecords) {
  std::filesystem::create_directories(file().parent_path());
  std::string schema3 = "PRAGMA user_version = 3;";
  for (const sqlite::Migration& m : sqlite::migrations()) {
    if (m.version <= 3) schema3 += m.sql;
  }
  raw_sql(file(), schema3 + R"sql(
INSERT INTO provisioning_records (id, owner, device_id, enrollment_group_id, creation_date,
  local_endpoints) VALUES ('r1', 'alice', 'd1', 'g1', 5, '["coap://a"]');
)sql");
  ASSERT_EQ(raw_sql(file(), "PRAGMA user_version"), "3");

  auto store = SqliteStore::open(file());
  ASSERT_TRUE(ok(store));
  EXPECT_EQ(raw_sql(file(), "PRAGMA user_version"),
            std::to_string(sqlite::latest_schema_version()));
  const ProvisioningRecord kept{.id = "r1",
                                .device_id = "d1",
                                .enrollment_group_id = "g1",
                                .owner = "alice",
                                .creation_date = 5,
                                .local_endpoints = {"coap://a"}};
  auto records = (*store)->list_provisioning_records({.scope = OwnerScope::every_owner()});
  ASSERT_TRUE(ok(records));
  EXPECT_EQ(*records, std::vector{kept});
  const std::vector<IndividualEnrollment> enrollment = {
      {.id = "e1", .owner = "alice", .public_key_sha256 = std::string(64, 'f')}};
  ASSERT_TRUE(ok((*store)->create_individual_enrollments(enrollment)));
  EXPECT_EQ((*store)->count_individual_enrollments(OwnerScope::of("alice")), size_t{1});
}

TEST_F(SqliteStoreTest, ADatabaseAtSchema4MigratesToTheLatestKeepingItsGroupsAndRecords) {
  std::filesystem::create_directories(file().parent_path());
  std::string schema4 = "PRAGMA user_version = 4;";
  for (const sqlite::Migration& m : sqlite::migrations()) {
    if (m.version <= 4) schema4 += m.sql;
  }
  raw_sql(file(), schema4 + R"sql(
INSERT INTO enrollment_groups (id, owner, name, certificate_chain, lead_certificate_name,
  expired_certificate_enabled, hub_ids, pre_shared_key, disabled, revoked_certificates, crl,
  trust_path, revision)
VALUES ('g1', 'alice', 'n', 'chain', 'lead', 1, '["h1"]', x'00ff', 0, '[]', '', '["k"]', 3);
INSERT INTO provisioning_records (id, owner, device_id, enrollment_group_id, creation_date,
  local_endpoints, acl, acl_date, individual_enrollment_id)
VALUES ('r1', 'alice', 'd1', 'g1', 5, '[]',
  '{"status":{"date":7,"coapCode":68,"errorMessage":""},"accessControlList":"[]"}', 7, '');
INSERT INTO individual_enrollments (id, owner, name, certificate_pem, public_key_sha256, hub_ids,
  template_id, disabled)
VALUES ('a1', 'alice', '', 'pem', 'k1', '[]', '', 0), ('a2', 'alice', '', 'pem', 'k2', '[]', '', 0),
       ('a3', 'alice', '', 'pem', 'k3', '[]', '', 0), ('b1', 'bob', '', 'pem', 'k4', '[]', '', 1);
)sql");
  ASSERT_EQ(raw_sql(file(), "PRAGMA user_version"), "4");

  auto store = SqliteStore::open(file());
  ASSERT_TRUE(ok(store));
  EXPECT_EQ(raw_sql(file(), "PRAGMA user_version"),
            std::to_string(sqlite::latest_schema_version()));
  EnrollmentGroup group{.id = "g1", .owner = "alice", .name = "n", .hub_ids = {"h1"}};
  group.x509 = {"chain", "lead", true};
  group.pre_shared_key = std::string("\x00\xff", 2);
  group.trust_path = {"k"};
  auto groups = (*store)->list_enrollment_groups({.scope = OwnerScope::every_owner()});
  ASSERT_TRUE(ok(groups));
  EXPECT_EQ(*groups, std::vector{group});  // template_id '' = none
  ProvisioningRecord record{.id = "r1",
                            .device_id = "d1",
                            .enrollment_group_id = "g1",
                            .owner = "alice",
                            .creation_date = 5};
  record.acl = AclSection{{7, 68, ""}, "[]"};
  auto records = (*store)->list_provisioning_records({.scope = OwnerScope::every_owner()});
  ASSERT_TRUE(ok(records));
  EXPECT_EQ(*records, std::vector{record});  // no pre-configuration section yet
  // The enrollments already stored are counted, and later writes count on from there.
  auto count = [&](const OwnerScope& scope) {
    auto n = (*store)->count_individual_enrollments(scope);
    EXPECT_TRUE(ok(n));
    return n ? *n : size_t{999};
  };
  EXPECT_EQ(count(OwnerScope::of("alice")), 3u);
  EXPECT_EQ(count(OwnerScope::of("bob")), 1u);
  EXPECT_EQ(count(OwnerScope::every_owner()), 4u);
  // Migration 6: enrollments written before it are certificate devices' (no endorsement key).
  auto bobs = (*store)->find_individual_enrollment("k4");
  ASSERT_TRUE(ok(bobs) && bobs->has_value());
  EXPECT_FALSE((*bobs)->is_tpm());
  auto deleted =
      (*store)->delete_individual_enrollments({.scope = OwnerScope::of("alice"), .ids = {"a1"}});
  ASSERT_TRUE(ok(deleted));
  EXPECT_EQ(*deleted, 1u);
  EXPECT_EQ(count(OwnerScope::of("alice")), 2u);
  EXPECT_EQ(count(OwnerScope::of("bob")), 1u);

  // The new columns take writes.
  group.template_id = "t1";
  ASSERT_TRUE(ok((*store)->create_template(make_template("t1", "alice"))));
  ASSERT_TRUE(ok((*store)->update_enrollment_group(group)));
  record.pre_configuration = PreConfigurationSection{{9, 69, ""}, "[]", ""};
  const std::vector<ProvisioningRecord> updates = {record};
  ASSERT_TRUE(ok(all_applied((*store)->apply_record_updates(updates))));
  groups = (*store)->list_enrollment_groups({.scope = OwnerScope::every_owner()});
  records = (*store)->list_provisioning_records({.scope = OwnerScope::every_owner()});
  ASSERT_TRUE(ok(groups) && ok(records));
  EXPECT_EQ(*groups, std::vector{group});
  EXPECT_EQ(*records, std::vector{record});
}

TEST_F(SqliteStoreTest, IndividualEnrollmentLookupByKeySearchesTheUniqueIndex) {
  // The handshake's lookup: one search at a million enrollments as at one, never a scan.
  ASSERT_TRUE(ok(SqliteStore::open(file())));
  const std::string plan = query_plan(file(), sqlite::individual_enrollment_table::kFindByKeySql);
  EXPECT_NE(plan.find("SEARCH individual_enrollments USING INDEX "
                      "individual_enrollments_public_key_sha256 (public_key_sha256=?)"),
            std::string::npos)
      << plan;
  EXPECT_EQ(plan.find("SCAN"), std::string::npos) << plan;
}

TEST_F(SqliteStoreTest, IndividualEnrollmentCountReadsTheOwnersCounterRow) {
  // The API's quota check before every create: counting the owner's rows walked the (owner, id)
  // index, 50 ms at a million (bench/RESULTS.md); the counter row is one primary-key search.
  ASSERT_TRUE(ok(SqliteStore::open(file())));
  const std::string plan = query_plan(file(), sqlite::individual_enrollment_table::kCountOwnerSql);
  EXPECT_NE(plan.find("SEARCH individual_enrollment_counts USING PRIMARY KEY (owner=?)"),
            std::string::npos)
      << plan;
  EXPECT_EQ(plan.find("individual_enrollments "), std::string::npos) << plan;
  EXPECT_EQ(plan.find("SCAN"), std::string::npos) << plan;
}

TEST_F(SqliteStoreTest, RecordUpdatesFindADeviceIdByItsIndexNotByAScan) {
  // Every step's record update checks that no other record holds its device id: with a scan,
  // provisioning got slower with every record stored (bench/RESULTS.md).
  ASSERT_TRUE(ok(SqliteStore::open(file())));
  for (const std::string_view sql : {kRecordMergeSql, kRecordConflictSql}) {
    const std::string plan = query_plan(file(), sql);
    EXPECT_NE(plan.find("USING INDEX provisioning_records_device_id_unique"), std::string::npos)
        << plan;
    // (SCAN CONSTANT ROW is the VALUES row of the statement itself, not a table.)
    EXPECT_EQ(plan.find("SCAN provisioning_records"), std::string::npos) << plan;
    EXPECT_EQ(plan.find("SCAN other"), std::string::npos) << plan;
  }
}

TEST_F(SqliteStoreTest, AnOwnersRecordsAreReadOffAnIndexInTheOrderAskedNotSorted) {
  // The console asks for the newest 10 of an owner's records every 2 s: sorting all of them
  // (100k, say) each time is what the index is for. Id order walks the primary key.
  ASSERT_TRUE(ok(SqliteStore::open(file())));
  const OwnerScope alice = OwnerScope::of("alice");
  const std::string newest =
      query_plan(file(), sqlite::provisioning_record_table::list_sql(
                             {.scope = alice, .limit = 10, .newest_first = true}));
  EXPECT_NE(newest.find("SEARCH provisioning_records USING INDEX "
                        "provisioning_records_owner_creation_date (owner=?)"),
            std::string::npos)
      << newest;
  EXPECT_EQ(newest.find("TEMP B-TREE"), std::string::npos) << newest;
  const std::string by_id =
      query_plan(file(), sqlite::provisioning_record_table::list_sql({.scope = alice}));
  EXPECT_NE(by_id.find("SEARCH provisioning_records USING INDEX "
                       "sqlite_autoindex_provisioning_records_1 (owner=?)"),
            std::string::npos)
      << by_id;
  EXPECT_EQ(by_id.find("TEMP B-TREE"), std::string::npos) << by_id;
}

TEST_F(SqliteStoreTest, ADatabaseAtSchema7GainsTheNewestFirstIndexKeepingItsRecords) {
  std::filesystem::create_directories(file().parent_path());
  std::string schema7 = "PRAGMA user_version = 7;";
  for (const sqlite::Migration& m : sqlite::migrations()) {
    if (m.version <= 7) schema7 += m.sql;
  }
  raw_sql(file(), schema7 + R"sql(
INSERT INTO provisioning_records (id, owner, device_id, enrollment_group_id, creation_date,
  local_endpoints) VALUES ('r1', 'alice', 'd1', 'g1', 5, '[]'), ('r2', 'alice', 'd2', 'g1', 9, '[]'),
  ('r3', 'bob', 'd3', 'g1', 20, '[]'), ('r4', 'alice', 'd4', 'g1', 7, '[]');
)sql");
  ASSERT_EQ(raw_sql(file(), "PRAGMA user_version"), "7");

  auto store = SqliteStore::open(file());
  ASSERT_TRUE(ok(store));
  EXPECT_EQ(raw_sql(file(), "PRAGMA user_version"),
            std::to_string(sqlite::latest_schema_version()));
  EXPECT_EQ(raw_sql(file(),
                    "SELECT name FROM sqlite_master WHERE type = 'index' AND name = "
                    "'provisioning_records_owner_creation_date'"),
            "provisioning_records_owner_creation_date");
  auto newest = (*store)->list_provisioning_records(
      {.scope = OwnerScope::of("alice"), .limit = 2, .newest_first = true});
  ASSERT_TRUE(ok(newest));
  EXPECT_EQ(ids_of(*newest), (std::vector<std::string>{"r2", "r4"}));
}

TEST_F(SqliteStoreTest, OpenRefusesASchemaNewerThanThisBuild) {
  ASSERT_TRUE(ok(SqliteStore::open(file())));
  raw_sql(file(), "PRAGMA user_version = " + std::to_string(sqlite::latest_schema_version() + 1));
  auto reopened = SqliteStore::open(file());
  ASSERT_FALSE(reopened);
  EXPECT_EQ(reopened.error().code, ErrorCode::Internal);
  EXPECT_NE(reopened.error().internal.find("newer"), std::string::npos);
}

TEST_F(SqliteStoreTest, OpenWhereTheDirectoryCannotExistIsUnavailable) {
  std::ofstream(dir_.path() / "plain-file") << "x";
  auto opened = SqliteStore::open(dir_.path() / "plain-file" / "dps.sqlite");
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code, ErrorCode::Unavailable);
}

TEST_F(SqliteStoreTest, CorruptJsonColumnIsAnInternalErrorNotACrash) {
  auto store = SqliteStore::open(file());
  ASSERT_TRUE(ok(store));
  ASSERT_TRUE(ok((*store)->create_hub(make_hub("h1", "alice"))));
  raw_sql(file(), "UPDATE hubs SET gateways = '{not json'");
  auto hubs = (*store)->list_hubs({.scope = OwnerScope::every_owner()});
  ASSERT_FALSE(hubs);
  EXPECT_EQ(hubs.error().code, ErrorCode::Internal);
  EXPECT_NE(hubs.error().internal.find("hubs.gateways"), std::string::npos);
  EXPECT_EQ(hubs.error().peer_message(), "database error");  // no SQL or parser text leaks
}

TEST(SqliteError, MapsResultCodesToTheStoreTaxonomy) {
  struct Case {
    int rc;
    ErrorCode expected;
  };
  const Case cases[] = {
      {SQLITE_BUSY, ErrorCode::Unavailable},
      {SQLITE_BUSY_SNAPSHOT, ErrorCode::Unavailable},
      {SQLITE_LOCKED, ErrorCode::Unavailable},
      {SQLITE_IOERR_FSYNC, ErrorCode::Unavailable},
      {SQLITE_FULL, ErrorCode::Unavailable},
      {SQLITE_CANTOPEN, ErrorCode::Unavailable},
      {SQLITE_CONSTRAINT_PRIMARYKEY, ErrorCode::Conflict},
      {SQLITE_CORRUPT, ErrorCode::Internal},
      {SQLITE_MISUSE, ErrorCode::Internal},
      {SQLITE_RANGE, ErrorCode::Internal},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(sqlite3_errstr(c.rc));
    const Error e = sqlite::to_error(nullptr, c.rc, "what");
    EXPECT_EQ(e.code, c.expected);
    EXPECT_NE(e.internal.find("what"), std::string::npos);
    EXPECT_EQ(e.external.find("what"), std::string::npos);  // generic text only
    EXPECT_FALSE(e.external.empty());
  }
}

}  // namespace
}  // namespace dps::store::testing
