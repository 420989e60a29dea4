// Shared by the PostgreSQL adapter's tests: the binary's throw-away server, a fresh schema per
// test, and options pointing at it.
//
// Each test gets its own schema in the server's `postgres` database, selected through the
// connection string (`options=-csearch_path=...`), rather than a database of its own: the adapter
// must work in any schema anyway, and a schema costs a millisecond where CREATE DATABASE costs
// a third of a second plus its share of the shutdown checkpoint.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include "store/postgres/postgres_store.hpp"
#include "store_contract_test.hpp"
#include "support/postgres_server.hpp"

namespace dps::store::testing {

using namespace std::chrono_literals;

inline constexpr const char* kTestDatabase = "postgres";

/// A new, empty schema on `server` (unique within the test binary); returns its name.
inline std::string fresh_schema(test::PostgresServer& server) {
  static std::atomic<int> counter{0};
  const std::string name = "dps_test_" + std::to_string(++counter);
  server.query(kTestDatabase, "CREATE SCHEMA " + name);
  return name;
}

/// A connection string for `schema` in the test database.
inline std::string schema_uri(test::PostgresServer& server, const std::string& schema) {
  return server.uri(kTestDatabase) + "?options=-csearch_path%3D" + schema;
}

inline PostgresOptions options_for(const std::string& uri) {
  PostgresOptions options;
  options.uri = uri;
  options.max_connections = 4;
  options.connect_timeout = 2s;
  return options;
}

/// Each test gets a fresh schema on the shared server (or on the one server() returns).
class PostgresTest : public ::testing::Test {
 protected:
  void SetUp() override { schema_ = fresh_schema(server()); }

  virtual test::PostgresServer& server() { return test::shared_postgres_server(); }
  std::string uri() { return schema_uri(server(), schema_); }
  PostgresOptions options() { return options_for(uri()); }
  /// Opens a store on this test's schema; null (with a test failure) if that fails.
  std::unique_ptr<PostgresStore> open_store() {
    auto store = PostgresStore::open(options());
    EXPECT_TRUE(ok(store));
    return store ? std::move(*store) : nullptr;
  }
  /// Runs SQL in this test's schema as the superuser; first column of the first row.
  std::string sql(const std::string& query) {
    return server().query(kTestDatabase, "SET search_path = " + schema_ + "; " + query);
  }

  std::string schema_;
};

}  // namespace dps::store::testing
