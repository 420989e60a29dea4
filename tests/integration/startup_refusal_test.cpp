// The real dps refuses to start, with one line naming the setting, when its data directory could
// be tampered with by others or when the database TLS setting cannot mean what the operator wrote.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "support/dps_process.hpp"
#include "support/test_pki.hpp"

namespace dps::itest {
namespace {

ProcessOutput run_dps(const test::TempDir& dir, const std::string& extra_yaml,
                      const std::filesystem::path& data) {
  const auto config =
      dir.write("dps.yaml", "dataDirectory: " + data.string() +
                                "\napis:\n  coap:\n    address: 127.0.0.1:0\n" + extra_yaml);
  return run_process({dps_binary().string(), "--config", config.string()});
}

TEST(StartupRefusal, GroupWritableDataDirectory) {
  test::TempDir dir;
  const auto data = dir.path() / "data";
  std::filesystem::create_directory(data);
  ASSERT_EQ(::chmod(data.c_str(), 0770), 0);
  const auto out = run_dps(dir, "", data);
  EXPECT_EQ(out.exit_code, 1);
  EXPECT_NE(
      out.err.find("dataDirectory " + data.string() + ": writable by group or others (mode 0770)"),
      std::string::npos)
      << out.err;
  EXPECT_FALSE(std::filesystem::exists(data / "ca.key"));  // nothing written into it
}

TEST(StartupDataDirectory, IsCreatedOwnerOnlyWithPrivateKeys0600) {
  test::TempDir dir;
  const auto data = dir.path() / "data";
  auto dps = DpsProcess::start(dir.write("dps.yaml", "dataDirectory: " + data.string() +
                                                         "\napis:\n  coap:\n    address: "
                                                         "127.0.0.1:0\n"),
                               dir.path() / "dps.log");
  EXPECT_EQ(dps->stop(), 0);
  struct stat st {};
  ASSERT_EQ(::stat(data.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  for (const char* secret : {"ca.key", "server.key", "token-signing.key"}) {
    ASSERT_EQ(::stat((data / secret).c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u) << secret;
  }
}

TEST(StartupRefusal, UnknownPostgresSslMode) {
  test::TempDir dir;
  const auto out = run_dps(dir,
                           "clients:\n  storage:\n    postgres:\n      uri: "
                           "\"postgresql://dps:hunter2@127.0.0.1:1/dps?sslmode=verify_full\"\n",
                           dir.path() / "data");
  EXPECT_EQ(out.exit_code, 1);
  EXPECT_NE(out.err.find("clients.storage.postgres.uri: sslmode \"verify_full\": expected "
                         "disable|allow|prefer|require|verify-ca|verify-full"),
            std::string::npos)
      << out.err;
  EXPECT_EQ(out.err.find("hunter2"), std::string::npos);
}

}  // namespace
}  // namespace dps::itest
