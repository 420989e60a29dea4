// Top-level settings: defaults, dps's own keys, how values land in Config.
#include <gtest/gtest.h>

#include "config/config.hpp"
#include "temp_dir.hpp"

namespace dps::config {
namespace {

using namespace std::chrono_literals;
using testing::TempDir;

TEST(ConfigLoad, EmptyTextGivesDefaultsWithoutWarnings) {
  auto loaded = load_text("", "/");
  ASSERT_TRUE(loaded) << loaded.error().internal;
  EXPECT_TRUE(loaded->warnings.empty());
  const Config& c = loaded->config;
  EXPECT_EQ(c.data_directory, "dps-data");
  EXPECT_EQ(c.coap.address, "0.0.0.0:15684");
  EXPECT_EQ(c.coap.max_message_size, 262144u);
  EXPECT_EQ(c.coap.inactivity_timeout, 20s);
  EXPECT_EQ(c.coap.handshake_timeout, 10s);
  EXPECT_EQ(c.http.address, "0.0.0.0:9100");
  // On by default, over TLS, with a local admin token for owner "1" (dpsctl works out of the box).
  EXPECT_TRUE(c.http.enabled);
  EXPECT_TRUE(c.http.tls_enabled);
  EXPECT_EQ(c.http.max_body_size, 1048576u);
  EXPECT_TRUE(c.http.admin_token.enabled);
  EXPECT_EQ(c.http.admin_token.owner, "1");
  EXPECT_EQ(c.certificate_authority.identity_validity, 8760h);
  EXPECT_EQ(c.tokens.validity, 1h);
  EXPECT_TRUE(c.enrollment_groups.empty());
}

TEST(ConfigLoad, ReadsDpsKeys) {
  TempDir dir;
  dir.write("ca/ca.crt", "crt");
  dir.write("ca/ca.key", "key");
  auto loaded = load_text(R"yaml(
dataDirectory: state
workers: 4
certificateAuthority:
  certFile: ca/ca.crt
  keyFile: ca/ca.key
  identityValidity: 8760h
tokens:
  validity: 1h30m
  issuer: https://dps.example.com
clients:
  storage:
    sqlite:
      path: db/dps.sqlite
apis:
  coap:
    handshakeTimeout: 2.5s
    maxConnections: 5000
  http:
    enabled: true
    address: 127.0.0.1:0
    maxBodySize: 65536
    tls:
      enabled: false
    adminToken:
      enabled: false
      owner: ops
)yaml",
                          dir.path());
  ASSERT_TRUE(loaded) << loaded.error().internal;
  const Config& c = loaded->config;
  EXPECT_EQ(c.data_directory, (dir.path() / "state").string());
  EXPECT_EQ(c.workers, 4u);
  EXPECT_EQ(c.certificate_authority.signer.cert_file, (dir.path() / "ca/ca.crt").string());
  EXPECT_EQ(c.certificate_authority.signer.key_file, (dir.path() / "ca/ca.key").string());
  EXPECT_EQ(c.certificate_authority.identity_validity, 8760h);
  EXPECT_EQ(c.tokens.validity, 90min);
  EXPECT_EQ(c.tokens.issuer, "https://dps.example.com");
  EXPECT_EQ(c.storage.sqlite_path, (dir.path() / "db/dps.sqlite").string());
  EXPECT_EQ(c.coap.handshake_timeout, 2500ms);
  EXPECT_EQ(c.coap.max_connections, 5000u);
  EXPECT_TRUE(c.http.enabled);
  EXPECT_EQ(c.http.address, "127.0.0.1:0");
  EXPECT_EQ(c.http.max_body_size, 65536u);
  EXPECT_FALSE(c.http.tls_enabled);
  EXPECT_FALSE(c.http.admin_token.enabled);
  EXPECT_EQ(c.http.admin_token.owner, "ops");
  EXPECT_TRUE(loaded->warnings.empty());
}

TEST(ConfigLoad, ApiBodyLimitBelowAnEnrollmentGroupIsRefused) {
  auto loaded = load_text("apis:\n  http:\n    maxBodySize: 1000\n", "/");
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().internal,
            "apis.http.maxBodySize: must be at least 16384 (an enrollment group with its chain), "
            "got 1000");
}

TEST(ConfigLoad, AdminTokenNeedsAnOwner) {
  auto loaded = load_text("apis:\n  http:\n    adminToken:\n      owner: \"\"\n", "/");
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().internal,
            "apis.http.adminToken.owner: must not be empty while adminToken is enabled");
  // Without the API (or the token) there is nothing to own.
  EXPECT_TRUE(
      load_text("apis:\n  http:\n    enabled: false\n    adminToken:\n      owner: \"\"\n", "/"));
}

TEST(ConfigLoad, ApiConnectionLimitsAreReadAndBadOnesRefusedWithTheirPath) {
  auto loaded = load_text(R"yaml(apis:
  http:
    maxConnections: 64
    handshakeTimeout: 1500ms
    connectionRate:
      perSource: 7
      burst: 9
    authFailureLimit:
      perSource: 3
      window: 2m
)yaml",
                          "/");
  ASSERT_TRUE(loaded) << loaded.error().internal;
  const HttpApi& http = loaded->config.http;
  EXPECT_EQ(http.max_connections, 64u);
  EXPECT_EQ(http.handshake_timeout, 1500ms);
  EXPECT_EQ(http.connection_rate_per_source, 7u);
  EXPECT_EQ(http.connection_rate_burst, 9u);
  EXPECT_EQ(http.auth_failures_per_source, 3u);
  EXPECT_EQ(http.auth_failure_window, 120s);

  auto zero_cap = load_text("apis:\n  http:\n    maxConnections: 0\n", "/");
  ASSERT_FALSE(zero_cap);
  EXPECT_EQ(zero_cap.error().internal, "apis.http.maxConnections: must be at least 1");
  auto no_burst = load_text("apis:\n  http:\n    connectionRate:\n      burst: 0\n", "/");
  ASSERT_FALSE(no_burst);
  EXPECT_EQ(no_burst.error().internal,
            "apis.http.connectionRate.burst: must be at least 1 while connectionRate.perSource is "
            "set");
}

TEST(ConfigLoad, KeyWithoutValueKeepsDefault) {
  auto loaded = load_text("apis:\n  coap:\n    address:\n    maxMessageSize:\n", "/");
  ASSERT_TRUE(loaded) << loaded.error().internal;
  EXPECT_EQ(loaded->config.coap.address, "0.0.0.0:15684");
  EXPECT_EQ(loaded->config.coap.max_message_size, 262144u);
}

TEST(ConfigLoad, KeepAliveTimeoutWinsOverInactivityMonitor) {
  auto loaded = load_text(
      "apis:\n  coap:\n    keepAlive: {timeout: 30s}\n    inactivityMonitor: {timeout: 5s}\n", "/");
  ASSERT_TRUE(loaded) << loaded.error().internal;
  EXPECT_EQ(loaded->config.coap.inactivity_timeout, 30s);
}

TEST(ConfigLoad, EmptyAuthorityOfPlgdDefaultConfigIsSkipped) {
  auto loaded = load_text(
      "apis:\n  http:\n    authorization:\n      endpoints:\n        - authority: \"\"\n"
      "        - authority: https://a.example.com\n",
      "/");
  ASSERT_TRUE(loaded) << loaded.error().internal;
  EXPECT_EQ(loaded->config.http.authorities, std::vector<std::string>{"https://a.example.com"});
}

TEST(ConfigLoad, IgnoredKeyWarnsAndAcceptsAnyValue) {
  auto loaded = load_text("clients:\n  eventBus: {nats: {url: nats://x}}\n", "/");
  ASSERT_TRUE(loaded) << loaded.error().internal;
  EXPECT_EQ(loaded->warnings,
            std::vector<std::string>{"clients.eventBus: ignored (dps publishes no events)"});
}

TEST(ConfigLoad, IgnoredKeyWithoutValueDoesNotWarn) {
  auto loaded = load_text("clients:\n  storage:\n    mongoDB:\n", "/");
  ASSERT_TRUE(loaded) << loaded.error().internal;
  EXPECT_TRUE(loaded->warnings.empty());
}

TEST(ConfigLoad, MissingFileIsAnError) {
  auto loaded = load_file("/nonexistent/dps.yaml");
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().internal, "config file: file \"/nonexistent/dps.yaml\" not found");
}

TEST(ConfigLoad, FileErrorsNameTheFile) {
  TempDir dir;
  auto file = dir.write("dps.yaml", "apis:\n  coap:\n    adress: x\n");
  auto loaded = load_file(file);
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().internal,
            file.string() + ": apis.coap.adress: unknown key (did you mean \"address\"?)");
}

}  // namespace
}  // namespace dps::config
