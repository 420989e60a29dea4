// PostgresStore: runs the Store contract against a real PostgreSQL 15 that this test binary
// starts itself (tests/support/postgres_server.hpp), plus what only this adapter has: migrations
// under an advisory lock, replicas sharing one database, pipelined group commit, byte-order ids
// whatever the database's collation, and error texts free of secrets.
// Outages and the configuration listener: postgres_outage_test.cpp.
#include "store/postgres/postgres_store.hpp"

#include <libpq-fe.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <latch>
#include <thread>

#include "postgres_fixture.hpp"
#include "store/postgres/migrations.hpp"
#include "store/postgres/provisioning_record_table.hpp"

namespace dps::store::testing {

namespace {

// The contract hands each test a fresh, empty directory: a file in it names the test's schema,
// created on the first open, so reopen() finds the same data.
Result<std::unique_ptr<Store>> open_postgres(const std::filesystem::path& dir) {
  test::PostgresServer& server = test::shared_postgres_server();
  const std::filesystem::path marker = dir / "postgres-schema";
  std::string schema;
  if (std::ifstream in(marker); in) {
    std::getline(in, schema);
  } else {
    schema = fresh_schema(server);
    std::ofstream(marker) << schema << "\n";
  }
  auto store = PostgresStore::open(options_for(schema_uri(server, schema)));
  if (!store) return tl::unexpected(store.error());
  return std::unique_ptr<Store>(std::move(*store));
}

}  // namespace

INSTANTIATE_TEST_SUITE_P(Postgres, StoreContract,
                         ::testing::Values(StoreFactory{"Postgres", open_postgres}), factory_name);

namespace {

using PostgresStoreTest = PostgresTest;
using Ids = std::vector<std::string>;

const std::string kLatest = std::to_string(postgres::latest_schema_version());

TEST_F(PostgresStoreTest, ReplicasOpeningAFreshDatabaseAtOnceApplyTheMigrationsOnce) {
  constexpr int kReplicas = 6;
  std::vector<Result<std::unique_ptr<PostgresStore>>> stores(kReplicas);
  {
    std::latch go(kReplicas);
    std::vector<std::jthread> threads;
    for (int i = 0; i < kReplicas; ++i) {
      threads.emplace_back([&, i] {
        go.arrive_and_wait();  // all open at the same moment
        stores[static_cast<size_t>(i)] = PostgresStore::open(options());
      });
    }
  }
  for (const auto& store : stores) ASSERT_TRUE(ok(store));
  std::string every_version;
  for (const postgres::Migration& m : postgres::migrations()) {
    every_version += (every_version.empty() ? "" : ",") + std::to_string(m.version);
  }
  EXPECT_EQ(sql("SELECT string_agg(version::text, ',' ORDER BY version) FROM schema_migrations"),
            every_version);
  EXPECT_EQ(sql("SELECT count(*) FROM configuration_version"), "1");
  for (int i = 0; i < kReplicas; ++i) {
    ASSERT_TRUE(ok(
        (*stores[static_cast<size_t>(i)])->create_hub(make_hub("h" + std::to_string(i), "alice"))));
  }
  auto hubs = (*stores[0])->list_hubs({.scope = OwnerScope::every_owner()});
  ASSERT_TRUE(ok(hubs));
  EXPECT_EQ(hubs->size(), static_cast<size_t>(kReplicas));
}

TEST_F(PostgresStoreTest, OpenWaitsForAnotherReplicasMigrationPastTheStatementTimeout) {
  PostgresOptions quick = options();
  quick.statement_timeout = 100ms;
  std::atomic<bool> opened{false};
  std::jthread replica;  // declared first, so joined last: after `other` released the lock
  // Another replica is migrating: it holds the migration lock for longer than our timeout.
  std::unique_ptr<PGconn, decltype(&PQfinish)> other(PQconnectdb(uri().c_str()), &PQfinish);
  ASSERT_EQ(PQstatus(other.get()), CONNECTION_OK);
  const std::string lock_sql =
      "SELECT pg_advisory_lock(" + std::to_string(postgres::kMigrationLockKey) + ")";
  PQclear(PQexec(other.get(), lock_sql.c_str()));

  replica = std::jthread([&] { opened = static_cast<bool>(PostgresStore::open(quick)); });
  // Wait until the replica has been queued for four of its statement timeouts: had the timeout
  // applied, its wait would have ended (and the open failed) long before.
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (sql("SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'advisory' AND "
             "now() - query_start > interval '400 milliseconds'") != "1") {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the replica stopped waiting";
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_FALSE(opened);

  other.reset();  // releases the lock: the queued replica migrates
  replica.join();
  EXPECT_TRUE(opened);
  EXPECT_EQ(sql("SELECT count(*) FROM schema_migrations"), kLatest);
}

TEST_F(PostgresStoreTest, ReopenDoesNotRerunMigrations) {
  ASSERT_NE(open_store(), nullptr);
  // A row a re-run of migration 1 would trip over (duplicate singleton) or reset.
  sql("UPDATE configuration_version SET version = 41");
  auto store = open_store();
  ASSERT_NE(store, nullptr);
  auto version = store->configuration_version();
  ASSERT_TRUE(ok(version));
  EXPECT_EQ(*version, 41);
  EXPECT_EQ(sql("SELECT count(*) FROM schema_migrations"), kLatest);
}

TEST_F(PostgresStoreTest, OpenRefusesASchemaNewerThanThisBuild) {
  ASSERT_NE(open_store(), nullptr);
  sql("INSERT INTO schema_migrations (version, name) VALUES (" +
      std::to_string(postgres::latest_schema_version() + 1) + ", 'from the future')");
  auto reopened = PostgresStore::open(options());
  ASSERT_FALSE(reopened);
  EXPECT_EQ(reopened.error().code, ErrorCode::Internal);
  EXPECT_NE(reopened.error().internal.find("newer"), std::string::npos);
}

TEST_F(PostgresStoreTest, AFailedMigrationLeavesTheDatabaseAsItWas) {
  sql("CREATE TABLE hubs (unrelated integer)");  // migration 1 cannot create its own
  auto opened = PostgresStore::open(options());
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code, ErrorCode::Internal);
  EXPECT_NE(opened.error().internal.find("migration 1"), std::string::npos);
  // One transaction: no half-created schema, no version row (nor even the version table).
  EXPECT_EQ(
      sql("SELECT string_agg(tablename, ',') FROM pg_tables WHERE schemaname = '" + schema_ + "'"),
      "hubs");
}

TEST_F(PostgresStoreTest, ADatabaseAtSchema3MigratesKeepingItsRecords) {
  std::string schema3 = R"sql(
CREATE TABLE schema_migrations (
  version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now());
)sql";
  for (const postgres::Migration& m : postgres::migrations()) {
    if (m.version > 3) continue;
    schema3 += std::string(m.sql) + "INSERT INTO schema_migrations (version, name) VALUES (" +
               std::to_string(m.version) + ", '" + std::string(m.name) + "');";
  }
  sql(schema3 + R"sql(
INSERT INTO provisioning_records (id, owner, device_id, enrollment_group_id, creation_date,
  local_endpoints) VALUES ('r1', 'alice', 'd1', 'g1', 5, '["coap://a"]');
)sql");

  auto store = open_store();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(sql("SELECT max(version) FROM schema_migrations"), kLatest);
  const ProvisioningRecord kept{.id = "r1",
                                .device_id = "d1",
                                .enrollment_group_id = "g1",
                                .owner = "alice",
                                .creation_date = 5,
                                .local_endpoints = {"coap://a"}};
  auto records = store->list_provisioning_records({.scope = OwnerScope::every_owner()});
  ASSERT_TRUE(ok(records));
  EXPECT_EQ(*records, std::vector{kept});
  const std::vector<IndividualEnrollment> enrollment = {
      {.id = "e1", .owner = "alice", .public_key_sha256 = std::string(64, 'f')}};
  ASSERT_TRUE(ok(store->create_individual_enrollments(enrollment)));
  EXPECT_EQ(sql("SELECT count(*) FROM individual_enrollments"), "1");
}

TEST_F(PostgresStoreTest, ADatabaseAtSchema4MigratesToTheLatestKeepingItsGroupsAndRecords) {
  std::string schema4 = R"sql(
CREATE TABLE schema_migrations (
  version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now());
)sql";
  for (const postgres::Migration& m : postgres::migrations()) {
    if (m.version > 4) continue;
    schema4 += std::string(m.sql) + "INSERT INTO schema_migrations (version, name) VALUES (" +
               std::to_string(m.version) + ", '" + std::string(m.name) + "');";
  }
  sql(schema4 + R"sql(
INSERT INTO enrollment_groups (id, owner, name, certificate_chain, lead_certificate_name,
  expired_certificate_enabled, hub_ids, pre_shared_key, disabled, revoked_certificates, crl,
  trust_path, revision)
VALUES ('g1', 'alice', 'n', 'chain', 'lead', true, '["h1"]', '\x00ff', false, '[]', '', '["k"]', 3);
INSERT INTO provisioning_records (id, owner, device_id, enrollment_group_id, creation_date,
  local_endpoints, acl, acl_date, individual_enrollment_id)
VALUES ('r1', 'alice', 'd1', 'g1', 5, '[]',
  '{"status":{"date":7,"coapCode":68,"errorMessage":""},"accessControlList":"[]"}', 7, '');
INSERT INTO individual_enrollments (id, owner, name, certificate_pem, public_key_sha256, hub_ids,
  template_id, disabled)
VALUES ('a1', 'alice', '', 'pem', 'k1', '[]', '', false),
       ('a2', 'alice', '', 'pem', 'k2', '[]', '', false),
       ('a3', 'alice', '', 'pem', 'k3', '[]', '', false),
       ('b1', 'bob', '', 'pem', 'k4', '[]', '', true);
)sql");

  auto store = open_store();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(sql("SELECT max(version) FROM schema_migrations"), kLatest);
  // The enrollments already stored are counted, and later writes count on from there.
  auto count = [&](const OwnerScope& scope) {
    auto n = store->count_individual_enrollments(scope);
    EXPECT_TRUE(ok(n));
    return n ? *n : size_t{999};
  };
  EXPECT_EQ(count(OwnerScope::of("alice")), 3u);
  EXPECT_EQ(count(OwnerScope::of("bob")), 1u);
  EXPECT_EQ(count(OwnerScope::every_owner()), 4u);
  auto deleted =
      store->delete_individual_enrollments({.scope = OwnerScope::of("alice"), .ids = {"a1"}});
  ASSERT_TRUE(ok(deleted));
  EXPECT_EQ(*deleted, 1u);
  EXPECT_EQ(count(OwnerScope::of("alice")), 2u);
  EXPECT_EQ(count(OwnerScope::of("bob")), 1u);
  EnrollmentGroup group{.id = "g1", .owner = "alice", .name = "n", .hub_ids = {"h1"}};
  group.x509 = {"chain", "lead", true};
  group.pre_shared_key = std::string("\x00\xff", 2);
  group.trust_path = {"k"};
  auto groups = store->list_enrollment_groups({.scope = OwnerScope::every_owner()});
  ASSERT_TRUE(ok(groups));
  EXPECT_EQ(*groups, std::vector{group});  // template_id '' = none
  ProvisioningRecord record{.id = "r1",
                            .device_id = "d1",
                            .enrollment_group_id = "g1",
                            .owner = "alice",
                            .creation_date = 5};
  record.acl = AclSection{{7, 68, ""}, "[]"};
  auto records = store->list_provisioning_records({.scope = OwnerScope::every_owner()});
  ASSERT_TRUE(ok(records));
  EXPECT_EQ(*records, std::vector{record});  // no pre-configuration section yet

  // The new columns take writes.
  group.template_id = "t1";
  ASSERT_TRUE(ok(store->create_template(make_template("t1", "alice"))));
  ASSERT_TRUE(ok(store->update_enrollment_group(group)));
  record.pre_configuration = PreConfigurationSection{{9, 69, ""}, "[]", ""};
  const std::vector<ProvisioningRecord> updates = {record};
  ASSERT_TRUE(ok(all_applied(store->apply_record_updates(updates))));
  groups = store->list_enrollment_groups({.scope = OwnerScope::every_owner()});
  records = store->list_provisioning_records({.scope = OwnerScope::every_owner()});
  ASSERT_TRUE(ok(groups) && ok(records));
  EXPECT_EQ(*groups, std::vector{group});
  EXPECT_EQ(*records, std::vector{record});
}

TEST_F(PostgresStoreTest, ADatabaseAtSchema7GainsTheNewestFirstIndexKeepingItsRecords) {
  std::string schema7 = R"sql(
CREATE TABLE schema_migrations (
  version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now());
)sql";
  for (const postgres::Migration& m : postgres::migrations()) {
    if (m.version > 7) continue;
    schema7 += std::string(m.sql) + "INSERT INTO schema_migrations (version, name) VALUES (" +
               std::to_string(m.version) + ", '" + std::string(m.name) + "');";
  }
  sql(schema7 + R"sql(
INSERT INTO provisioning_records (id, owner, device_id, enrollment_group_id, creation_date,
  local_endpoints) VALUES ('r1', 'alice', 'd1', 'g1', 5, '[]'), ('r2', 'alice', 'd2', 'g1', 9, '[]'),
  ('r3', 'bob', 'd3', 'g1', 20, '[]'), ('r4', 'alice', 'd4', 'g1', 7, '[]');
)sql");

  auto store = open_store();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(sql("SELECT max(version) FROM schema_migrations"), kLatest);
  EXPECT_EQ(sql("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND "
                "indexname = 'provisioning_records_owner_creation_date'"),
            "provisioning_records_owner_creation_date");
  auto newest = store->list_provisioning_records(
      {.scope = OwnerScope::of("alice"), .limit = 2, .newest_first = true});
  ASSERT_TRUE(ok(newest));
  EXPECT_EQ(ids_of(*newest), (Ids{"r2", "r4"}));
}

TEST_F(PostgresStoreTest, AnOwnersNewestRecordsAreReadOffTheIndexNotSorted) {
  // The console asks for the newest 10 of an owner's records every 2 s: sorting all of them
  // (100k, say) each time is what the index is for. A test table is tiny, where a scan and a
  // sort would win on cost: turned off, a plan without the index would still sort (disabled
  // only makes a node expensive), so no Sort node means the index gives the order.
  auto store = open_store();
  ASSERT_NE(store, nullptr);
  const std::string select = postgres::provisioning_record_table::list_sql(
      {.scope = OwnerScope::of("alice"), .limit = 10, .newest_first = true});
  const std::string plan =
      sql("SET enable_seqscan = off; SET enable_bitmapscan = off; SET enable_sort = off; "
          "SET enable_incremental_sort = off; "
          "PREPARE newest (text, text[], text[], text[], bigint) AS " +
          select + "; EXPLAIN (FORMAT JSON) EXECUTE newest ('alice', NULL, NULL, NULL, 10)");
  EXPECT_NE(plan.find("provisioning_records_owner_creation_date"), std::string::npos) << plan;
  EXPECT_EQ(plan.find("Sort\""), std::string::npos) << plan;
}

TEST_F(PostgresStoreTest, ABulkLoadOfIndividualEnrollmentsIsOneTransaction) {
  auto store = open_store();
  ASSERT_NE(store, nullptr);
  constexpr int kRows = 10'000;
  std::vector<IndividualEnrollment> batch;
  for (int i = 0; i < kRows; ++i) {
    std::string key = std::to_string(i);
    key = std::string(64 - key.size(), 'a') + key;
    batch.push_back({.id = "e" + std::to_string(i),
                     .owner = "alice",
                     .certificate_pem = std::string(1'000, 'c'),
                     .public_key_sha256 = key,
                     .hub_ids = {"hub"}});
  }
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(ok(store->create_individual_enrollments(batch)));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  std::printf("[ bulk load ] %d individual enrollments in %lld ms\n", kRows,
              static_cast<long long>(
                  std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count()));
  EXPECT_EQ(sql("SELECT count(*) FROM individual_enrollments"), std::to_string(kRows));
  EXPECT_EQ(sql("SELECT count(DISTINCT xmin::text) FROM individual_enrollments"), "1");
  // The statement triggers counted every row of the ten statements.
  auto counted = store->count_individual_enrollments(OwnerScope::of("alice"));
  ASSERT_TRUE(ok(counted));
  EXPECT_EQ(*counted, static_cast<size_t>(kRows));
}

TEST_F(PostgresStoreTest, ReplicasShareDataAndConfigurationVersion) {
  auto a = open_store();
  auto b = open_store();
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(ok(a->create_enrollment_group(make_group("g1", "alice"))));
  auto groups = b->list_enrollment_groups({.scope = OwnerScope::every_owner()});
  ASSERT_TRUE(ok(groups));
  EXPECT_EQ(*groups, std::vector{make_group("g1", "alice")});
  auto va = a->configuration_version();
  auto vb = b->configuration_version();
  ASSERT_TRUE(ok(va) && ok(vb));
  EXPECT_EQ(*va, *vb);
  EXPECT_GT(*va, 0);
}

TEST_F(PostgresStoreTest, ABatchOfUpdatesIsOneTransaction) {
  auto store = open_store();
  ASSERT_NE(store, nullptr);
  std::vector<ProvisioningRecord> batch;
  for (int i = 0; i < 50; ++i) batch.push_back(make_record("r" + std::to_string(i), "alice", 10));
  ASSERT_TRUE(ok(all_applied(store->apply_record_updates(batch))));
  // Every row a transaction writes carries its id in xmin: one batch, one transaction.
  EXPECT_EQ(sql("SELECT count(*) FROM provisioning_records"), "50");
  EXPECT_EQ(sql("SELECT count(DISTINCT xmin::text) FROM provisioning_records"), "1");

  std::vector<ProvisioningRecord> second;
  for (int i = 25; i < 75; ++i) second.push_back(make_record("r" + std::to_string(i), "alice", 20));
  ASSERT_TRUE(ok(all_applied(store->apply_record_updates(second))));
  EXPECT_EQ(sql("SELECT count(*) FROM provisioning_records"), "75");
  EXPECT_EQ(sql("SELECT count(DISTINCT xmin::text) FROM provisioning_records"), "2");
  EXPECT_EQ(sql("SELECT count(*) FROM provisioning_records WHERE cloud_date = 20"), "50");
}

TEST_F(PostgresStoreTest, AStatementFailingInsideABatchAppliesNothingAndTheStoreStaysUsable) {
  auto store = open_store();
  ASSERT_NE(store, nullptr);
  ProvisioningRecord bad = make_record("r2", "alice", 10);
  bad.device_id = "device-\xff";  // not UTF-8: the server refuses this one statement
  const std::vector<ProvisioningRecord> batch = {make_record("r1", "alice", 10), bad,
                                                 make_record("r3", "alice", 10)};
  auto applied = store->apply_record_updates(batch);
  ASSERT_FALSE(applied);
  EXPECT_EQ(applied.error().code, ErrorCode::Internal);
  EXPECT_NE(applied.error().internal.find("batch statement 1"), std::string::npos)
      << applied.error().internal;
  EXPECT_EQ(sql("SELECT count(*) FROM provisioning_records"), "0");

  for (int i = 0; i < 8; ++i) {  // more calls than pooled connections: none was left broken
    const std::vector<ProvisioningRecord> good = {make_record("r" + std::to_string(i), "a", 1)};
    ASSERT_TRUE(ok(all_applied(store->apply_record_updates(good))));
  }
  EXPECT_EQ(sql("SELECT count(*) FROM provisioning_records"), "8");
}

TEST_F(PostgresStoreTest, TextWithANulIsRefusedNotTruncated) {
  auto store = open_store();
  ASSERT_NE(store, nullptr);
  Hub hub = make_hub("h1", "alice");
  hub.name = std::string("before\0after", 12);
  auto created = store->create_hub(hub);
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().code, ErrorCode::Internal);
  EXPECT_EQ(sql("SELECT count(*) FROM hubs"), "0");
}

TEST_F(PostgresStoreTest, IdsListInByteOrderWhateverTheDatabaseCollation) {
  // A database whose default collation is not byte order (ICU en-US puts "_z" and "a" before "B").
  const std::string database = "dps_icu_" + schema_;
  server().query(kTestDatabase, "CREATE DATABASE " + database +
                                    " TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US'"
                                    " LOCALE 'C.UTF-8'");
  const Ids ids = {"b", "B", "a", "_z", "\xc3\xa4", "A1", "a1"};  // ä is 0xC3 0xA4
  const Ids byte_order = {"A1", "B", "_z", "a", "a1", "b", "\xc3\xa4"};
  ASSERT_NE(server().query(database,
                           "SELECT string_agg(x, ',' ORDER BY x) FROM unnest(ARRAY["
                           "'b','B','a','_z','\xc3\xa4','A1','a1']) x"),
            "A1,B,_z,a,a1,b,\xc3\xa4")
      << "the database sorts in byte order anyway: the test would prove nothing";

  auto opened = PostgresStore::open(options_for(server().uri(database)));
  ASSERT_TRUE(ok(opened));
  PostgresStore* store = opened->get();
  std::vector<ProvisioningRecord> records;
  for (const std::string& id : ids) {
    ASSERT_TRUE(ok(store->create_enrollment_group(make_group(id, "alice"))));
    ASSERT_TRUE(ok(store->create_hub(make_hub(id, "alice"))));
    records.push_back(make_record(id, "alice", 1));
  }
  ASSERT_TRUE(ok(all_applied(store->apply_record_updates(records))));
  auto groups = store->list_enrollment_groups({.scope = OwnerScope::every_owner()});
  auto hubs = store->list_hubs({.scope = OwnerScope::every_owner()});
  auto stored = store->list_provisioning_records({.scope = OwnerScope::every_owner()});
  ASSERT_TRUE(ok(groups) && ok(hubs) && ok(stored));
  EXPECT_EQ(ids_of(*groups), byte_order);
  EXPECT_EQ(ids_of(*hubs), byte_order);
  EXPECT_EQ(ids_of(*stored), byte_order);
}

TEST_F(PostgresStoreTest, FilterValuesAreDataNotSyntax) {
  auto store = open_store();
  ASSERT_NE(store, nullptr);
  const Ids odd = {"a,b", "\"q\"", "back\\slash", "{x}", "NULL", " sp ", "it's", "", "a"};
  for (const std::string& id : odd) {
    EnrollmentGroup group = make_group(id, "alice");
    group.hub_ids = {"hub " + id};
    ASSERT_TRUE(ok(store->create_enrollment_group(group))) << id;
  }
  for (const std::string& id : odd) {
    SCOPED_TRACE("id [" + id + "]");
    auto by_id = store->list_enrollment_groups({.scope = OwnerScope::of("alice"), .ids = {id}});
    auto by_lead = store->list_enrollment_groups(
        {.scope = OwnerScope::every_owner(), .lead_certificate_names = {"lead-" + id}});
    auto by_hub = store->list_enrollment_groups(
        {.scope = OwnerScope::every_owner(), .hub_ids = {"hub " + id}});
    ASSERT_TRUE(ok(by_id) && ok(by_lead) && ok(by_hub));
    EXPECT_EQ(ids_of(*by_id), Ids{id});
    EXPECT_EQ(ids_of(*by_lead), Ids{id});
    EXPECT_EQ(ids_of(*by_hub), Ids{id});
  }
}

TEST_F(PostgresStoreTest, ErrorsNeverQuoteThePreSharedKey) {
  auto store = open_store();
  ASSERT_NE(store, nullptr);
  EnrollmentGroup group = make_group("g1", "alice");
  group.pre_shared_key = "TOP-SECRET-PSK-0123456789";
  ASSERT_TRUE(ok(store->create_enrollment_group(group)));
  auto duplicate = store->create_enrollment_group(group);
  ASSERT_FALSE(duplicate);
  EXPECT_EQ(duplicate.error().code, ErrorCode::Conflict);

  EnrollmentGroup broken = group;
  broken.id = "g2";
  broken.crl = "\xff";  // refused by the server, which would quote the row in DETAIL
  auto refused = store->create_enrollment_group(broken);
  ASSERT_FALSE(refused);
  for (const Error& e : {duplicate.error(), refused.error()}) {
    EXPECT_EQ(e.internal.find("TOP-SECRET"), std::string::npos) << e.internal;
    EXPECT_EQ(e.peer_message().find("TOP-SECRET"), std::string::npos);
  }
}

TEST_F(PostgresStoreTest, ConcurrentCallersShareASmallPool) {
  // Its own application_name (the connection string overrides dps's), to count its sessions.
  const std::string name = "pool_" + schema_;
  PostgresOptions small = options_for(uri() + "&application_name=" + name);
  small.max_connections = 2;
  auto store = PostgresStore::open(small);
  ASSERT_TRUE(ok(store));
  constexpr int kThreads = 8;
  constexpr int kCalls = 20;
  std::atomic<int> failures{0};
  {
    std::vector<std::jthread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kCalls; ++i) {
          const std::string id = "t" + std::to_string(t) + "-" + std::to_string(i);
          const std::vector<ProvisioningRecord> batch = {make_record(id, "alice", i)};
          if (!(*store)->apply_record_updates(batch)) ++failures;
          if (!(*store)->create_hub(make_hub(id, "alice"))) ++failures;
          if (!(*store)->list_hubs({.scope = OwnerScope::of("alice"), .ids = {id}})) ++failures;
        }
      });
    }
  }
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(sql("SELECT count(*) FROM provisioning_records"), std::to_string(kThreads * kCalls));
  EXPECT_EQ(sql("SELECT count(*) FROM hubs"), std::to_string(kThreads * kCalls));
  EXPECT_EQ(sql("SELECT count(*) FROM pg_stat_activity WHERE application_name = '" + name + "'"),
            "2");
}

TEST_F(PostgresStoreTest, ConcurrentReplicasNeverRegressASection) {
  auto a = open_store();
  auto b = open_store();
  ASSERT_TRUE(a && b);
  // Two replicas race 200 steps of one device, each stamped with its date, in a scrambled order:
  // whatever the interleaving, the newest status of each section wins.
  constexpr int kDates = 200;
  {
    std::vector<std::jthread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        Store& store = t % 2 == 0 ? *a : *b;
        for (int i = t; i < kDates; i += 4) {
          const int64_t date = (i * 73) % kDates + 1;  // 73 is coprime with 200: a permutation
          ProvisioningRecord update{.id = "r1", .owner = "alice"};
          update.cloud =
              CloudSection{.status = {date, 68, ""}, .provider_name = "p" + std::to_string(date)};
          update.acl = AclSection{{date, 68, ""}, "[" + std::to_string(date) + "]"};
          const std::vector<ProvisioningRecord> batch = {update};
          EXPECT_TRUE(ok(all_applied(store.apply_record_updates(batch))));
        }
      });
    }
  }
  auto records = a->list_provisioning_records({.scope = OwnerScope::every_owner(), .ids = {"r1"}});
  ASSERT_TRUE(ok(records));
  ASSERT_EQ(records->size(), 1u);
  const ProvisioningRecord& r = records->front();
  ASSERT_TRUE(r.cloud && r.acl);
  EXPECT_EQ(r.cloud->status.date, kDates);
  EXPECT_EQ(r.cloud->provider_name, "p" + std::to_string(kDates));
  EXPECT_EQ(r.acl->access_control_list_json, "[" + std::to_string(kDates) + "]");
}

}  // namespace
}  // namespace dps::store::testing
