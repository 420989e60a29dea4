// The PostgreSQL adapter's connection layer: error taxonomy, array literals, session settings,
// statement timeout, and connection strings that never reach an error message.
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include "postgres_fixture.hpp"
#include "store/postgres/connection.hpp"

namespace dps::store::testing {
namespace {

using postgres::Connection;

TEST(PostgresError, MapsSqlstatesToTheStoreTaxonomy) {
  struct Case {
    const char* sqlstate;
    bool connection_ok;
    ErrorCode expected;
  };
  const Case cases[] = {
      {"23505", true, ErrorCode::Conflict},      // unique_violation
      {"08006", true, ErrorCode::Unavailable},   // connection_failure
      {"08001", true, ErrorCode::Unavailable},   // unable to connect
      {"57P01", true, ErrorCode::Unavailable},   // admin_shutdown
      {"57P02", true, ErrorCode::Unavailable},   // crash_shutdown
      {"57P03", true, ErrorCode::Unavailable},   // cannot_connect_now (starting up)
      {"57014", true, ErrorCode::Unavailable},   // query_canceled (statement_timeout)
      {"53300", true, ErrorCode::Unavailable},   // too_many_connections
      {"53100", true, ErrorCode::Unavailable},   // disk_full
      {"40001", true, ErrorCode::Unavailable},   // serialization_failure
      {"40P01", true, ErrorCode::Unavailable},   // deadlock_detected
      {"55P03", true, ErrorCode::Unavailable},   // lock_not_available
      {"25006", true, ErrorCode::Unavailable},   // read_only_sql_transaction (a standby)
      {"", false, ErrorCode::Unavailable},       // libpq: connection broke, no SQLSTATE
      {"42601", false, ErrorCode::Unavailable},  // whatever the state says, if the link is gone
      {"42601", true, ErrorCode::Internal},      // syntax_error: a bug
      {"22021", true, ErrorCode::Internal},      // character_not_in_repertoire
      {"23502", true, ErrorCode::Internal},      // not_null_violation
      {"", true, ErrorCode::Internal},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.sqlstate);
    EXPECT_EQ(postgres::classify(c.sqlstate, c.connection_ok), c.expected);
  }
  EXPECT_TRUE(postgres::resets_connection("57P01"));
  EXPECT_TRUE(postgres::resets_connection("08006"));
  EXPECT_TRUE(postgres::resets_connection("25006"));
  EXPECT_FALSE(postgres::resets_connection("57014"));
  EXPECT_FALSE(postgres::resets_connection("23505"));
}

TEST(PostgresArrayLiteral, QuotesEveryElement) {
  EXPECT_EQ(postgres::text_array_literal({}), "{}");
  EXPECT_EQ(postgres::text_array_literal({"a", "b c", "NULL", ""}), R"({"a","b c","NULL",""})");
  EXPECT_EQ(postgres::text_array_literal({"x\"y", "back\\slash", "{,}"}),
            R"({"x\"y","back\\slash","{,}"})");
}

using PostgresConnectionTest = PostgresTest;

TEST_F(PostgresConnectionTest, SessionRaisesSynchronousCommitFromOffAndSetsTheStatementTimeout) {
  // A database of its own: its defaults change.
  const std::string database = "dps_sync_" + schema_;
  server().query(kTestDatabase, "CREATE DATABASE " + database);
  server().query(database, "ALTER DATABASE " + database + " SET synchronous_commit = off");
  const PostgresOptions options = options_for(server().uri(database));
  auto connection = Connection::open(options);
  ASSERT_TRUE(ok(connection));
  auto show = [&](const char* setting) {
    auto rows = (*connection)->exec(std::string("SELECT current_setting('") + setting + "')");
    EXPECT_TRUE(ok(rows));
    return rows ? rows->text(0, 0) : "<error>";
  };
  EXPECT_EQ(show("synchronous_commit"), "on");
  EXPECT_EQ(show("statement_timeout"), "10s");
  EXPECT_EQ(show("client_encoding"), "UTF8");

  // A stronger choice of the operator is kept.
  server().query(database, "ALTER DATABASE " + database + " SET synchronous_commit = remote_apply");
  auto second = Connection::open(options);
  ASSERT_TRUE(ok(second));
  auto rows = (*second)->exec("SELECT current_setting('synchronous_commit')");
  ASSERT_TRUE(ok(rows));
  EXPECT_EQ(rows->text(0, 0), "remote_apply");
}

TEST_F(PostgresConnectionTest, AStuckLockFailsUnavailableAfterTheStatementTimeout) {
  PostgresOptions quick = options();
  quick.statement_timeout = 300ms;
  auto store = PostgresStore::open(quick);
  ASSERT_TRUE(ok(store));

  // Another session holds a lock that blocks every read of hubs.
  std::unique_ptr<PGconn, decltype(&PQfinish)> holder(PQconnectdb(uri().c_str()), &PQfinish);
  ASSERT_EQ(PQstatus(holder.get()), CONNECTION_OK);
  PQclear(PQexec(holder.get(), "BEGIN"));
  PQclear(PQexec(holder.get(), "LOCK TABLE hubs IN ACCESS EXCLUSIVE MODE"));

  auto blocked = (*store)->list_hubs({.scope = OwnerScope::every_owner()});
  ASSERT_FALSE(blocked);
  EXPECT_EQ(blocked.error().code, ErrorCode::Unavailable);  // 5.03: the caller retries
  EXPECT_NE(blocked.error().internal.find("57014"), std::string::npos) << blocked.error().internal;

  holder.reset();  // ends its transaction and the lock
  EXPECT_TRUE(ok((*store)->list_hubs({.scope = OwnerScope::every_owner()})));
}

TEST(PostgresConnectionString, UnreachableServerIsUnavailableWithoutThePassword) {
  const std::string secret = "pw-that-must-not-leak";
  PostgresOptions options;
  options.uri = "postgresql://dps:" + secret + "@127.0.0.1:1/dps";  // port 1: refused
  options.connect_timeout = 2s;
  auto opened = PostgresStore::open(options);
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code, ErrorCode::Unavailable);
  EXPECT_EQ(opened.error().internal.find(secret), std::string::npos) << opened.error().internal;
}

TEST(PostgresConnectionString, WrongPasswordIsUnavailableWithoutThePassword) {
  test::PostgresServer& server = test::shared_postgres_server();
  const std::string wrong = "wrong-password-that-must-not-leak";
  PostgresOptions options =
      options_for("postgresql://postgres:" + wrong + "@127.0.0.1:" + std::to_string(server.port()) +
                  "/postgres");
  auto opened = PostgresStore::open(options);
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code, ErrorCode::Unavailable);  // never a 4xx for a connection problem
  EXPECT_EQ(opened.error().internal.find(wrong), std::string::npos) << opened.error().internal;
  EXPECT_NE(opened.error().internal.find("password authentication failed"), std::string::npos)
      << opened.error().internal;
}

TEST(PostgresConnectionString, MalformedStringIsInternalAndNotEchoed) {
  PostgresOptions options;
  options.uri = "host=127.0.0.1 password='secret-in-a-broken-string";  // unterminated quote
  auto opened = PostgresStore::open(options);
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code, ErrorCode::Internal);
  EXPECT_EQ(opened.error().internal.find("secret"), std::string::npos) << opened.error().internal;
}

}  // namespace
}  // namespace dps::store::testing
