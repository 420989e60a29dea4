// A full config.yaml as plgd's DPS ships it (device-provisioning-service/config.yaml) with the
// enrollment group its Helm chart renders (charts/plgd-hub/templates/device-provisioning-service/
// config.yaml). File paths are relative so the test can provide the files.
#include <gtest/gtest.h>

#include <algorithm>

#include "config/config.hpp"
#include "temp_dir.hpp"

namespace dps::config {
namespace {

using testing::kChainPem;
using testing::TempDir;

constexpr std::string_view kPlgdConfig = R"yaml(
log:
  dumpBody: false
  level: info
  encoding: json
  stacktrace:
    enabled: false
    level: warn
  encoderConfig:
    timeEncoder: rfc3339nano
apis:
  coap:
    address: "0.0.0.0:15684"
    maxMessageSize: 262144
    protocols:
      - "tcp"
    messagePoolSize: 1000
    inactivityMonitor:
      timeout: 20s
    blockwiseTransfer:
      enabled: true
      blockSize: "1024"
    tls:
      keyFile: "secrets/private/cert.key"
      certFile: "secrets/public/cert.crt"
  http:
    enabled: false
    address: "0.0.0.0:9100"
    tls:
      caPool: "secrets/public/rootca.crt"
      keyFile: "secrets/private/cert.key"
      certFile: "secrets/public/cert.crt"
      clientCertificateRequired: false
      crl:
        enabled: false
    authorization:
      ownerClaim: sub
      audience: ""
      endpoints:
        - authority: "https://auth.example.com"
          http:
            maxIdleConns: 16
            maxConnsPerHost: 32
            maxIdleConnsPerHost: 16
            idleConnTimeout: 30s
            timeout: 10s
            tls:
              caPool: "secrets/public/rootca.crt"
              keyFile: "secrets/private/cert.key"
              certFile: "secrets/public/cert.crt"
              useSystemCAPool: false
              crl:
                enabled: false
      tokenTrustVerification:
        cacheExpiration: 30s
    readTimeout: 8s
    readHeaderTimeout: 4s
    writeTimeout: 16s
    idleTimeout: 30s
clients:
  storage:
    cacheExpiration: 10m
    mongoDB:
      uri:
      database: deviceProvisioningService
      maxPoolSize: 16
      maxConnIdleTime: 4m0s
      tls:
        caPool: "secrets/public/rootca.crt"
        keyFile: "secrets/private/cert.key"
        certFile: "secrets/public/cert.crt"
        useSystemCAPool: false
        crl:
          enabled: false
      bulkWrite:
        timeout: 1m0s
        throttleTime: 500ms
        documentLimit: 1000
  openTelemetryCollector:
    grpc:
      enabled: false
      address: ""
      keepAlive:
        time: 10s
        timeout: 20s
        permitWithoutStream: true
      tls:
        caPool: "secrets/public/rootca.crt"
        keyFile: "secrets/private/cert.key"
        certFile: "secrets/public/cert.crt"
        useSystemCAPool: false
        crl:
          enabled: false
enrollmentGroups:
  - id: "5db6ccde-05e1-480b-a522-c1591ad7dfd2"
    owner: "1"
    preSharedKeyFile: "secrets/enrollmentgroups/psks/5db6ccde-05e1-480b-a522-c1591ad7dfd2/psk"
    name: "factory line 1"
    attestationMechanism:
      x509:
        certificateChain: "secrets/enrollmentgroups/x509/5db6ccde-05e1-480b-a522-c1591ad7dfd2/certificatechain.crt"
        expiredCertificateEnabled: false
    hub:
      caPool: "/certs/ca.crt"
      hubID: "d03a1bb4-0a77-428c-b78c-1c46efe6a38e"
      coapGateway: "coaps+tcp://hub.example.com:5684"
      certificateAuthority:
        grpc:
          address: "api.example.com:443"
          keepAlive:
            time: 10s
            timeout: 20s
            permitWithoutStream: true
          tls:
            caPool: "secrets/public/rootca.crt"
            keyFile: "/certs/client/tls.key"
            certFile: "/certs/client/tls.crt"
            useSystemCAPool: true
      authorization:
        ownerClaim: "https://plgd.dev/owner"
        deviceIDClaim: ""
        provider:
          name: "plgd.dps"
          authority: "https://auth.example.com"
          clientID: "test"
          clientSecretFile: "secrets/enrollmentgroups/hubs/oauth/5db6ccde-05e1-480b-a522-c1591ad7dfd2/clientsecret"
          scopes: []
          audience: ""
          http:
            maxIdleConns: 16
            maxConnsPerHost: 32
            maxIdleConnsPerHost: 16
            idleConnTimeout: 30s
            timeout: 10s
            tls:
              caPool: "secrets/public/rootca.crt"
              keyFile: "/certs/client/tls.key"
              certFile: "/certs/client/tls.crt"
              useSystemCAPool: true
)yaml";

class PlgdConfig : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.write("secrets/private/cert.key", "key");
    dir_.write("secrets/public/cert.crt", kChainPem);
    dir_.write("secrets/public/rootca.crt",
               "-----BEGIN CERTIFICATE-----\nROOT\n-----END CERTIFICATE-----\n");
    dir_.write("secrets/enrollmentgroups/psks/5db6ccde-05e1-480b-a522-c1591ad7dfd2/psk",
               "0123456789012345");
    dir_.write(
        "secrets/enrollmentgroups/x509/5db6ccde-05e1-480b-a522-c1591ad7dfd2/certificatechain.crt",
        kChainPem);
    dir_.write(
        "secrets/enrollmentgroups/hubs/oauth/5db6ccde-05e1-480b-a522-c1591ad7dfd2/clientsecret",
        "secret");
  }
  TempDir dir_;
};

TEST_F(PlgdConfig, LoadsWithWarningsAndNoErrors) {
  auto loaded = load_file(dir_.write("config.yaml", kPlgdConfig));
  ASSERT_TRUE(loaded) << loaded.error().internal;
  const Config& c = loaded->config;

  EXPECT_EQ(c.log.level, "info");
  EXPECT_EQ(c.log.encoding, "json");
  EXPECT_EQ(c.coap.address, "0.0.0.0:15684");
  EXPECT_EQ(c.coap.max_message_size, 262144u);
  EXPECT_EQ(c.coap.inactivity_timeout, std::chrono::seconds(20));
  EXPECT_EQ(c.coap.tls.cert_file, (dir_.path() / "secrets/public/cert.crt").string());
  EXPECT_EQ(c.coap.tls.key_file, (dir_.path() / "secrets/private/cert.key").string());
  EXPECT_FALSE(c.http.enabled);
  EXPECT_EQ(c.http.owner_claim, "sub");
  EXPECT_EQ(c.http.authorities, std::vector<std::string>{"https://auth.example.com"});

  ASSERT_EQ(c.enrollment_groups.size(), 1u);
  const store::EnrollmentGroup& eg = c.enrollment_groups[0];
  EXPECT_EQ(eg.id, "5db6ccde-05e1-480b-a522-c1591ad7dfd2");
  EXPECT_EQ(eg.owner, "1");
  EXPECT_EQ(eg.name, "factory line 1");
  EXPECT_EQ(eg.pre_shared_key, "0123456789012345");
  EXPECT_EQ(eg.x509.certificate_chain, kChainPem);
  EXPECT_EQ(eg.hub_ids, std::vector<std::string>{"d03a1bb4-0a77-428c-b78c-1c46efe6a38e"});

  ASSERT_EQ(c.hubs.size(), 1u);
  const store::Hub& hub = c.hubs[0];
  EXPECT_EQ(hub.id, "d03a1bb4-0a77-428c-b78c-1c46efe6a38e");
  EXPECT_EQ(hub.hub_id, hub.id);
  EXPECT_EQ(hub.owner, "1");
  EXPECT_EQ(hub.name, hub.id);
  EXPECT_EQ(hub.gateways, std::vector<std::string>{"coaps+tcp://hub.example.com:5684"});
  EXPECT_EQ(hub.certificate_authority.address, "api.example.com:443");
  EXPECT_NE(hub.certificate_authority.ca_pool.find("ROOT"), std::string::npos);
  EXPECT_EQ(hub.authorization.owner_claim, "https://plgd.dev/owner");
  EXPECT_EQ(hub.authorization.device_id_claim, "");
  EXPECT_EQ(hub.authorization.provider.name, "plgd.dps");
  EXPECT_EQ(hub.authorization.provider.authority, "https://auth.example.com");
  EXPECT_EQ(hub.authorization.provider.client_id, "test");
  EXPECT_EQ(hub.authorization.provider.client_secret, "secret");
  EXPECT_TRUE(hub.authorization.provider.scopes.empty());
}

TEST_F(PlgdConfig, WarnsOncePerIgnoredKeyNamingItsPath) {
  auto loaded = load_file(dir_.write("config.yaml", kPlgdConfig));
  ASSERT_TRUE(loaded) << loaded.error().internal;
  const auto& w = loaded->warnings;
  auto has = [&](std::string_view text) {
    return std::any_of(w.begin(), w.end(), [&](const std::string& s) { return s == text; });
  };
  EXPECT_TRUE(
      has("clients.storage.mongoDB: ignored (plgd's MongoDB is not used; dps stores in "
          "SQLite or PostgreSQL)"));
  EXPECT_TRUE(has("clients.openTelemetryCollector: ignored (traces are not exported)"));
  EXPECT_TRUE(
      has("apis.coap.blockwiseTransfer: ignored (responses always fit one message, "
          "block-wise transfer is not used)"));
  EXPECT_TRUE(
      has("enrollmentGroups[0].hub.certificateAuthority.grpc.keepAlive: ignored (fixed in "
          "dps; not configurable yet)"));
  EXPECT_TRUE(
      has("enrollmentGroups[0].hub.caPool: ignored (the hub's CA reaches devices from "
          "certificateAuthority)"));
  EXPECT_EQ(w.size(), 22u) << ::testing::PrintToString(w);
}

}  // namespace
}  // namespace dps::config
