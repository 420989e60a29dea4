// Connection-string checks made before dps connects: TLS settings that cannot work stop dps at
// start, and sslmode=require against a server without TLS fails with libpq's clear reason.
#include <gtest/gtest.h>

#include "store/postgres/connection.hpp"
#include "store/postgres/connection_string.hpp"
#include "store/postgres/postgres_options.hpp"
#include "support/postgres_server.hpp"

namespace dps::store::testing {
namespace {

using postgres::check_connection_string;

TEST(PostgresConnectionStringCheck, UnknownSslModeIsRefusedNamingIt) {
  for (const char* uri : {"postgresql://dps:hunter2@db:5432/dps?sslmode=verify_full",
                          "host=db user=dps password=hunter2 sslmode=requires"}) {
    auto checked = check_connection_string(uri);
    ASSERT_FALSE(checked) << uri;
    EXPECT_EQ(checked.error().code, ErrorCode::BadRequest);
    EXPECT_NE(checked.error().internal.find("sslmode \""), std::string::npos);
    EXPECT_NE(checked.error().internal.find("expected disable|allow|prefer|require|verify-ca|"
                                            "verify-full"),
              std::string::npos);
    EXPECT_EQ(checked.error().internal.find("hunter2"), std::string::npos);
  }
}

TEST(PostgresConnectionStringCheck, UnreadableRootCertificateIsRefused) {
  auto checked = check_connection_string(
      "postgresql://dps@db/dps?sslmode=verify-full&sslrootcert=/nonexistent/dps/ca.pem");
  ASSERT_FALSE(checked);
  EXPECT_EQ(checked.error().internal,
            "sslrootcert /nonexistent/dps/ca.pem: No such file or directory");
}

TEST(PostgresConnectionStringCheck, ReportsWhetherTheServerIsVerified) {
  for (const char* mode : {"disable", "allow", "prefer", "require", "verify-ca", "verify-full"}) {
    auto checked = check_connection_string(std::string("postgresql://db/dps?sslmode=") + mode);
    ASSERT_TRUE(checked) << mode << ": " << checked.error().internal;
    EXPECT_EQ(checked->sslmode, mode);
    EXPECT_EQ(checked->verifies_server, std::string(mode).starts_with("verify-")) << mode;
  }
  auto by_default = check_connection_string("postgresql://db/dps");
  ASSERT_TRUE(by_default);
  EXPECT_EQ(by_default->sslmode, "");
  EXPECT_FALSE(by_default->verifies_server);
}

// The test server has no TLS: requiring it must fail, not fall back to plain text.
TEST(PostgresConnectionStringCheck, RequireAgainstAServerWithoutTlsFails) {
  test::PostgresServer server;
  PostgresOptions options;
  options.uri = server.uri("postgres") + "?sslmode=require";
  ASSERT_TRUE(check_connection_string(options.uri));
  auto connection = postgres::Connection::open(options);
  ASSERT_FALSE(connection);
  EXPECT_EQ(connection.error().code, ErrorCode::Unavailable);
  EXPECT_NE(connection.error().internal.find("server does not support SSL, but SSL was required"),
            std::string::npos)
      << connection.error().internal;
  EXPECT_EQ(connection.error().internal.find(server.password()), std::string::npos);
}

}  // namespace
}  // namespace dps::store::testing
