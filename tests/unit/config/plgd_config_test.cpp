// Every key plgd's DPS accepts (its config.yaml, its Helm chart's rendering, the rest of its
// config.go) has a decided fate here: honoured (the value reaches Config), refused in the values
// dps cannot serve (with what to use instead), or without effect and then either warned about at
// start or inert (it changes nothing in plgd either). The files are walked key by key, so a plgd
// key added to a fixture without a fate in kFates fails EveryPlgdKeyHasAFate.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <functional>
#include <optional>
#include <regex>

#include "config/config.hpp"
#include "config/schema.hpp"
#include "plgd_fixtures.hpp"
#include "temp_dir.hpp"

namespace dps::config {
namespace {

using testing::kChainPem;
using testing::TempDir;

enum class Fate { Honoured, Refused, Warned, Inert };

// A Config field as text, for "did changing the key change the field?".
std::string text(const std::string& v) { return v; }
std::string text(bool v) { return v ? "true" : "false"; }
std::string text(uint32_t v) { return std::to_string(v); }
template <class Rep, class Period>
std::string text(std::chrono::duration<Rep, Period> v) {
  return std::to_string(std::chrono::nanoseconds(v).count());
}
std::string text(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += s + ",";
  return out;
}

using Probe = std::function<std::string(const Config&)>;
#define FIELD(expr) [](const Config& c) { return text(c.expr); }

struct KeyFate {
  std::string_view pattern;  // schema pattern; a fate covers the keys below it too
  Fate fate;
  // Honoured: another value (YAML), "!" = the other bool. Refused: the refused value. Warned:
  // a value that warns when the fixture's does not (empty: every value warns).
  std::string_view other;
  Probe probe;               // Honoured keys outside enrollmentGroups: the field the key sets
  std::string_view because;  // Refused: part of the message (what to use instead)
};

// Keys under enrollmentGroups[] are compared as whole groups / hubs (their operator==).
const std::vector<KeyFate>& fates() {
  static const std::vector<KeyFate> all = {
      {"log.dumpBody", Fate::Refused, "true", {}, "never logs request or response bodies"},
      {"log.level", Fate::Honoured, "debug", FIELD(log.level), {}},
      {"log.encoding", Fate::Honoured, "console", FIELD(log.encoding), {}},
      {"log.stacktrace", Fate::Warned, "{enabled: true, level: warn}", {}, {}},
      {"log.encoderConfig", Fate::Warned, "{timeEncoder: epoch}", {}, {}},

      {"apis.coap.address", Fate::Honoured, "127.0.0.1:1", FIELD(coap.address), {}},
      {"apis.coap.protocols", Fate::Honoured, "[udp]", FIELD(coap.udp), {}},
      {"apis.coap.maxMessageSize", Fate::Honoured, "65536", FIELD(coap.max_message_size), {}},
      {"apis.coap.messagePoolSize", Fate::Inert, {}, {}, {}},
      {"apis.coap.messageQueueSize", Fate::Inert, {}, {}, {}},
      {"apis.coap.inactivityMonitor.timeout",
       Fate::Honoured,
       "7s",
       FIELD(coap.inactivity_timeout),
       {}},
      {"apis.coap.keepAlive.timeout", Fate::Honoured, "9s", FIELD(coap.inactivity_timeout), {}},
      {"apis.coap.blockwiseTransfer", Fate::Warned, {}, {}, {}},
      {"apis.coap.tls.caPool", Fate::Warned, {}, {}, {}},
      {"apis.coap.tls.keyFile", Fate::Honoured, "other.pem", FIELD(coap.tls.key_file), {}},
      {"apis.coap.tls.certFile", Fate::Honoured, "other.pem", FIELD(coap.tls.cert_file), {}},
      {"apis.coap.tls.enabled", Fate::Inert, {}, {}, {}},
      {"apis.coap.tls.clientCertificateRequired",
       Fate::Honoured,
       "!",
       FIELD(coap.client_certificate_required),
       {}},
      {"apis.coap.tls.disconnectOnExpiredCertificate",
       Fate::Honoured,
       "!",
       FIELD(coap.disconnect_on_expired_certificate),
       {}},
      {"apis.coap.tls.crl.enabled", Fate::Refused, "true", {}, "enrollmentGroups[].crl"},
      {"apis.coap.tls.crl.http", Fate::Inert, {}, {}, {}},

      {"apis.http.enabled", Fate::Honoured, "!", FIELD(http.enabled), {}},
      {"apis.http.address", Fate::Honoured, "127.0.0.1:2", FIELD(http.address), {}},
      {"apis.http.tls.caPool", Fate::Honoured, "other.pem", FIELD(http.client_ca_pool), {}},
      {"apis.http.tls.keyFile", Fate::Honoured, "other.pem", FIELD(http.tls.key_file), {}},
      {"apis.http.tls.certFile", Fate::Honoured, "other.pem", FIELD(http.tls.cert_file), {}},
      {"apis.http.tls.clientCertificateRequired",
       Fate::Honoured,
       "!",
       FIELD(http.client_certificate_required),
       {}},
      {"apis.http.tls.crl.enabled", Fate::Refused, "true", {}, "dps revoke-token"},
      {"apis.http.tls.crl.http", Fate::Inert, {}, {}, {}},
      {"apis.http.authorization.ownerClaim", Fate::Honoured, "oid", FIELD(http.owner_claim), {}},
      {"apis.http.authorization.audience", Fate::Honoured, "aud-2", FIELD(http.audience), {}},
      {"apis.http.authorization.endpoints[].authority",
       Fate::Honoured,
       "https://other.example.com",
       FIELD(http.authorities),
       {}},
      {"apis.http.authorization.endpoints[].http", Fate::Warned, {}, {}, {}},
      {"apis.http.authorization.authority",
       Fate::Honoured,
       "https://other.example.com",
       FIELD(http.authorities),
       {}},
      {"apis.http.authorization.http", Fate::Warned, {}, {}, {}},
      {"apis.http.authorization.tokenTrustVerification", Fate::Inert, {}, {}, {}},
      {"apis.http.readTimeout", Fate::Warned, "9s", {}, {}},
      {"apis.http.readHeaderTimeout", Fate::Warned, "9s", {}, {}},
      {"apis.http.writeTimeout", Fate::Warned, "9s", {}, {}},
      {"apis.http.idleTimeout", Fate::Warned, "9s", {}, {}},

      {"clients.storage.cacheExpiration", Fate::Inert, {}, {}, {}},
      {"clients.storage.use", Fate::Refused, "mongoDB", {}, "dps stores in SQLite or PostgreSQL"},
      // Refused or warned depending on the other storage keys: StoreChoice tests below.
      {"clients.storage.mongoDB.uri", Fate::Inert, {}, {}, {}},
      {"clients.storage.mongoDB", Fate::Warned, {}, {}, {}},
      {"clients.openTelemetryCollector.grpc.enabled",
       Fate::Refused,
       "true",
       {},
       "traces are not exported"},
      {"clients.openTelemetryCollector.grpc", Fate::Inert, {}, {}, {}},

      {"enrollmentGroups[].id", Fate::Honoured, "6db6ccde-05e1-480b-a522-c1591ad7dfd2", {}, {}},
      {"enrollmentGroups[].owner", Fate::Honoured, "2", {}, {}},
      {"enrollmentGroups[].name", Fate::Honoured, "line 2", {}, {}},
      {"enrollmentGroups[].preSharedKeyFile", Fate::Honoured, "other.pem", {}, {}},
      {"enrollmentGroups[].attestationMechanism.x509.certificateChain",
       Fate::Honoured,
       "other-chain.pem",
       {},
       {}},
      {"enrollmentGroups[].attestationMechanism.x509.leadCertificateName",
       Fate::Honoured,
       "Other Intermediate",
       {},
       {}},
      {"enrollmentGroups[].attestationMechanism.x509.expiredCertificateEnabled",
       Fate::Honoured,
       "!",
       {},
       {}},
      {"enrollmentGroups[].hubs[].id",
       Fate::Honoured,
       "7db6ccde-05e1-480b-a522-c1591ad7dfd2",
       {},
       {}},
      {"enrollmentGroups[].hubs[].hubID",
       Fate::Honoured,
       "8db6ccde-05e1-480b-a522-c1591ad7dfd2",
       {},
       {}},
      {"enrollmentGroups[].hubs[].name", Fate::Honoured, "hub two", {}, {}},
      {"enrollmentGroups[].hubs[].caPool", Fate::Inert, {}, {}, {}},
      {"enrollmentGroups[].hubs[].coapGateway", Fate::Honoured, "coaps+tcp://other:5684", {}, {}},
      {"enrollmentGroups[].hubs[].gateways", Fate::Honoured, "[coaps+tcp://other:5684]", {}, {}},
      {"enrollmentGroups[].hubs[].certificateAuthority.grpc.address",
       Fate::Honoured,
       "ca.example.com:443",
       {},
       {}},
      {"enrollmentGroups[].hubs[].certificateAuthority.grpc.tls.caPool",
       Fate::Honoured,
       "other.pem",
       {},
       {}},
      {"enrollmentGroups[].hubs[].certificateAuthority.grpc.tls.certFile",
       Fate::Honoured,
       "other.pem",
       {},
       {}},
      {"enrollmentGroups[].hubs[].certificateAuthority.grpc.tls.keyFile",
       Fate::Honoured,
       "other.pem",
       {},
       {}},
      {"enrollmentGroups[].hubs[].certificateAuthority.grpc.tls.useSystemCAPool",
       Fate::Honoured,
       "!",
       {},
       {}},
      {"enrollmentGroups[].hubs[].certificateAuthority.grpc.keepAlive.time",
       Fate::Honoured,
       "17s",
       {},
       {}},
      {"enrollmentGroups[].hubs[].certificateAuthority.grpc.keepAlive.timeout",
       Fate::Honoured,
       "27s",
       {},
       {}},
      {"enrollmentGroups[].hubs[].certificateAuthority.grpc.keepAlive.permitWithoutStream",
       Fate::Honoured,
       "!",
       {},
       {}},
      {"enrollmentGroups[].hubs[].authorization.ownerClaim",
       Fate::Honoured,
       "https://plgd.dev/other",
       {},
       {}},
      {"enrollmentGroups[].hubs[].authorization.deviceIDClaim",
       Fate::Honoured,
       "https://plgd.dev/device",
       {},
       {}},
      {"enrollmentGroups[].hubs[].authorization.provider.name", Fate::Honoured, "other", {}, {}},
      {"enrollmentGroups[].hubs[].authorization.provider.authority",
       Fate::Honoured,
       "https://other.example.com",
       {},
       {}},
      {"enrollmentGroups[].hubs[].authorization.provider.clientID", Fate::Honoured, "c2", {}, {}},
      {"enrollmentGroups[].hubs[].authorization.provider.clientSecretFile",
       Fate::Honoured,
       "other.pem",
       {},
       {}},
      {"enrollmentGroups[].hubs[].authorization.provider.scopes",
       Fate::Honoured,
       "[profile]",
       {},
       {}},
      {"enrollmentGroups[].hubs[].authorization.provider.audience",
       Fate::Honoured,
       "aud-3",
       {},
       {}},
      {"enrollmentGroups[].hubs[].authorization.provider.http.tls.caPool",
       Fate::Honoured,
       "other.pem",
       {},
       {}},
      {"enrollmentGroups[].hubs[].authorization.provider.http.tls.useSystemCAPool",
       Fate::Honoured,
       "!",
       {},
       {}},
      {"enrollmentGroups[].hubs[].authorization.provider.http.tls.certFile",
       Fate::Warned,
       {},
       {},
       {}},
      {"enrollmentGroups[].hubs[].authorization.provider.http.tls.keyFile",
       Fate::Warned,
       {},
       {},
       {}},
      {"enrollmentGroups[].hubs[].authorization.provider.http.maxIdleConns",
       Fate::Inert,
       {},
       {},
       {}},
      {"enrollmentGroups[].hubs[].authorization.provider.http.maxConnsPerHost",
       Fate::Inert,
       {},
       {},
       {}},
      {"enrollmentGroups[].hubs[].authorization.provider.http.maxIdleConnsPerHost",
       Fate::Inert,
       {},
       {},
       {}},
      {"enrollmentGroups[].hubs[].authorization.provider.http.idleConnTimeout",
       Fate::Inert,
       {},
       {},
       {}},
      {"enrollmentGroups[].hubs[].authorization.provider.http.timeout", Fate::Warned, {}, {}, {}},
  };
  return all;
}

// A key of a fixture: where it is, and its pattern with plgd's `hub:` read as hubs[].
struct Leaf {
  std::string path;     // enrollmentGroups[0].hub.caPool
  std::string pattern;  // enrollmentGroups[].hubs[].caPool
};

void walk(const YAML::Node& node, const std::string& path, const std::string& pattern,
          std::vector<Leaf>& out) {
  auto join = [](const std::string& a, const std::string& b) {
    return a.empty() ? b : a + "." + b;
  };
  if (node.IsMap()) {
    for (const auto& entry : node) {
      const std::string name = entry.first.Scalar();
      const bool old_hub = name == "hub" && pattern == "enrollmentGroups[]";
      walk(entry.second, join(path, name), join(pattern, old_hub ? "hubs[]" : name), out);
    }
    return;
  }
  if (node.IsSequence() && node.size() > 0 && node[0].IsMap()) {
    for (size_t i = 0; i < node.size(); ++i) {
      walk(node[i], path + "[" + std::to_string(i) + "]", pattern + "[]", out);
    }
    return;
  }
  out.push_back({path, pattern});
}

std::vector<Leaf> leaves(std::string_view yaml) {
  std::vector<Leaf> out;
  walk(YAML::Load(std::string(yaml)), "", "", out);
  return out;
}

// The fate covering a pattern: its own, or the nearest enclosing key's.
const KeyFate* fate_of(std::string_view pattern) {
  for (;;) {
    for (const KeyFate& fate : fates()) {
      if (fate.pattern == pattern) return &fate;
    }
    size_t dot = pattern.rfind('.');
    if (dot == std::string_view::npos) return nullptr;
    pattern = pattern.substr(0, dot);
  }
}

// The concrete path of `fate` where it covers `leaf`: as many segments as the fate's pattern.
std::string fate_path(const KeyFate& fate, const Leaf& leaf) {
  size_t segments = std::count(fate.pattern.begin(), fate.pattern.end(), '.') + 1;
  size_t end = 0;
  for (size_t i = 0; i < segments; ++i) {
    end = leaf.path.find('.', end + (i ? 1 : 0));
    if (end == std::string::npos) return leaf.path;
  }
  return leaf.path.substr(0, end);
}

// `yaml` with the value at the dotted `path` ("a.b[0].c") replaced by `value` (YAML text).
std::string with_value(std::string_view yaml, const std::string& path, const std::string& value) {
  YAML::Node root = YAML::Load(std::string(yaml));
  YAML::Node node = root;
  static const std::regex segment(R"(([^.\[]+)(?:\[(\d+)\])?)");
  for (std::sregex_iterator it(path.begin(), path.end(), segment), end; it != end; ++it) {
    YAML::Node next = node[(*it)[1].str()];
    node.reset(next);
    if ((*it)[2].matched) {
      YAML::Node item = node[std::stoul((*it)[2].str())];
      node.reset(item);
    }
  }
  node = YAML::Load(value);
  YAML::Emitter out;
  out << root;
  return out.c_str();
}

std::string flip(std::string_view yaml, const std::string& path) {
  YAML::Node node = YAML::Load(std::string(yaml));
  static const std::regex segment(R"(([^.\[]+)(?:\[(\d+)\])?)");
  for (std::sregex_iterator it(path.begin(), path.end(), segment), end; it != end; ++it) {
    YAML::Node next = node[(*it)[1].str()];
    node.reset(next);
    if ((*it)[2].matched) {
      YAML::Node item = node[std::stoul((*it)[2].str())];
      node.reset(item);
    }
  }
  return node.as<bool>() ? "false" : "true";
}

bool warns_about(const std::vector<std::string>& warnings, const std::string& path) {
  return std::any_of(warnings.begin(), warnings.end(),
                     [&](const std::string& w) { return w.starts_with(path + ": "); });
}

class PlgdConfig : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string root = "-----BEGIN CERTIFICATE-----\nROOT\n-----END CERTIFICATE-----\n";
    for (const char* file : {"secrets/private/cert.key", "certs/client/tls.key",
                             "certs/coap/tls.key", "certs/client/tls.crt", "certs/coap/tls.crt"}) {
      dir_.write(file, kChainPem);
    }
    dir_.write("secrets/public/cert.crt", kChainPem);
    for (const char* file : {"secrets/public/rootca.crt", "certs/ca.crt", "certs/client/ca.crt",
                             "certs/coap/ca.crt"}) {
      dir_.write(file, root);
    }
    dir_.write("secrets/enrollmentgroups/psk", "0123456789012345");
    dir_.write("secrets/enrollmentgroups/certificatechain.crt", kChainPem);
    dir_.write("secrets/enrollmentgroups/clientsecret", "secret");
    dir_.write("other.pem",
               "-----BEGIN CERTIFICATE-----\nOTHERotherOTHER1\n-----END CERTIFICATE-----\n");
    dir_.write(
        "other-chain.pem",
        "-----BEGIN CERTIFICATE-----\nMIIBaDCCAQ6gAwIBAgIQOTHER\n-----END CERTIFICATE-----\n");
  }

  Result<Loaded> load(std::string_view yaml) const {
    return load_file(dir_.write("config.yaml", yaml));
  }

  // plgd's chart names MongoDB as the store; choosing dps's store is the one change it needs.
  static std::string chart_with_dps_store() {
    return with_value(testing::kPlgdChartYaml, "clients.storage.use", "sqlite");
  }

  // Every fate of every key of `yaml`, checked by loading it and variants of it.
  void check_fates(std::string_view yaml) {
    auto base = load(yaml);
    ASSERT_TRUE(base) << base.error().internal;
    std::vector<std::string> checked;  // fate paths, each checked once
    for (const Leaf& leaf : leaves(yaml)) {
      const KeyFate* fate = fate_of(leaf.pattern);
      ASSERT_NE(fate, nullptr) << leaf.path;
      const std::string path = fate_path(*fate, leaf);
      if (std::find(checked.begin(), checked.end(), path) != checked.end()) continue;
      checked.push_back(path);
      SCOPED_TRACE(path);
      check_fate(*fate, path, yaml, *base);
    }
  }

  void check_fate(const KeyFate& fate, const std::string& path, std::string_view yaml,
                  const Loaded& base) {
    const schema::Key* row = schema::find(fate.pattern);
    switch (fate.fate) {
      case Fate::Honoured: {
        ASSERT_TRUE(row && row->kind != schema::Kind::Ignored) << "no row that binds it";
        EXPECT_FALSE(warns_about(base.warnings, path));
        const std::string other = fate.other == "!" ? flip(yaml, path) : std::string(fate.other);
        auto changed = load(with_value(yaml, path, other));
        ASSERT_TRUE(changed) << changed.error().internal;
        if (fate.probe) {
          EXPECT_NE(fate.probe(changed->config), fate.probe(base.config)) << "value not used";
        } else {
          EXPECT_TRUE(changed->config.enrollment_groups != base.config.enrollment_groups ||
                      changed->config.hubs != base.config.hubs)
              << "value not used";
        }
        break;
      }
      case Fate::Refused: {
        auto refused = load(with_value(yaml, path, std::string(fate.other)));
        ASSERT_FALSE(refused) << "accepted " << fate.other;
        EXPECT_NE(refused.error().internal.find(path), std::string::npos)
            << refused.error().internal;
        EXPECT_NE(refused.error().internal.find(fate.because), std::string::npos)
            << refused.error().internal;
        break;
      }
      case Fate::Warned: {
        // A row without effect, or a map whose warning comes from code (clients.storage.mongoDB).
        ASSERT_TRUE(!row || row->kind == schema::Kind::Ignored);
        if (fate.other.empty()) {
          EXPECT_TRUE(warns_about(base.warnings, path)) << ::testing::PrintToString(base.warnings);
          break;
        }
        EXPECT_FALSE(warns_about(base.warnings, path)) << "plgd's value changes nothing";
        auto changed = load(with_value(yaml, path, std::string(fate.other)));
        ASSERT_TRUE(changed) << changed.error().internal;
        EXPECT_TRUE(warns_about(changed->warnings, path))
            << ::testing::PrintToString(changed->warnings);
        break;
      }
      case Fate::Inert:
        EXPECT_FALSE(warns_about(base.warnings, path));
        break;
    }
  }

  TempDir dir_;
};

TEST_F(PlgdConfig, EveryPlgdKeyHasAFate) {
  for (std::string_view yaml :
       {testing::kPlgdConfigYaml, testing::kPlgdChartYaml, testing::kPlgdGoOnlyYaml}) {
    for (const Leaf& leaf : leaves(yaml)) {
      EXPECT_NE(fate_of(leaf.pattern), nullptr)
          << leaf.path << ": a plgd key without a decided fate (add it to fates())";
    }
  }
  // And no fate names a key dps does not know.
  for (const KeyFate& fate : fates()) {
    EXPECT_TRUE(schema::find(fate.pattern) || !schema::child_names(fate.pattern).empty())
        << fate.pattern;
  }
}

TEST_F(PlgdConfig, ConfigYamlKeysMeetTheirFates) { check_fates(testing::kPlgdConfigYaml); }

TEST_F(PlgdConfig, ChartKeysMeetTheirFates) { check_fates(chart_with_dps_store()); }

TEST_F(PlgdConfig, ConfigGoOnlyKeysMeetTheirFates) { check_fates(testing::kPlgdGoOnlyYaml); }

TEST_F(PlgdConfig, ConfigYamlLoadsWithItsValues) {
  auto loaded = load(testing::kPlgdConfigYaml);
  ASSERT_TRUE(loaded) << loaded.error().internal;
  const Config& c = loaded->config;
  EXPECT_EQ(c.log.encoding, "json");
  EXPECT_EQ(c.coap.tls.cert_file, (dir_.path() / "secrets/public/cert.crt").string());
  EXPECT_FALSE(c.http.enabled);
  EXPECT_TRUE(c.http.client_certificate_required);
  EXPECT_NE(c.http.client_ca_pool.find("ROOT"), std::string::npos);
  EXPECT_TRUE(c.http.authorities.empty());  // plgd's endpoint has an empty authority
  ASSERT_EQ(c.hubs.size(), 1u);
  const store::Hub& hub = c.hubs[0];
  EXPECT_EQ(hub.id, "d03a1bb4-0a77-428c-b78c-1c46efe6a38e");
  EXPECT_EQ(hub.gateways, std::vector<std::string>{"coaps+tcp://hub.example.com:5684"});
  EXPECT_EQ(hub.certificate_authority.address, "api.example.com:443");
  EXPECT_EQ(hub.authorization.provider.client_secret, "secret");
}

// The start-up warnings of plgd's own file: one line per key whose value would do something in
// plgd, naming the key and never its value.
TEST_F(PlgdConfig, ConfigYamlWarnsOnlyAboutKeysThatWouldChangeSomething) {
  auto loaded = load(testing::kPlgdConfigYaml);
  ASSERT_TRUE(loaded) << loaded.error().internal;
  std::vector<std::string> keys;
  for (const auto& w : loaded->warnings) keys.push_back(w.substr(0, w.find(": ")));
  EXPECT_EQ(keys, (std::vector<std::string>{
                      "apis.coap.blockwiseTransfer",
                      "apis.http.authorization.endpoints[0].http",
                      // plgd's OAuth client presents a certificate and waits 10 s; dps does not.
                      "enrollmentGroups[0].hub.authorization.provider.http.timeout",
                      "enrollmentGroups[0].hub.authorization.provider.http.tls.keyFile",
                      "enrollmentGroups[0].hub.authorization.provider.http.tls.certFile",
                      "clients.storage.mongoDB",
                  }));
  for (const auto& w : loaded->warnings) {
    EXPECT_EQ(w.find("secrets/"), std::string::npos) << w;
    EXPECT_EQ(w.find("auth.example.com"), std::string::npos) << w;
  }
}

TEST_F(PlgdConfig, StoreChoiceRefusesAMongoUriWhenNoDpsStoreIsNamed) {
  auto refused = load(testing::kPlgdChartYaml);
  ASSERT_FALSE(refused);
  const std::string& message = refused.error().internal;
  EXPECT_NE(message.find("clients.storage.mongoDB.uri: dps does not use MongoDB"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("clients.storage.postgres.uri"), std::string::npos) << message;
  EXPECT_NE(message.find("clients.storage.use: sqlite"), std::string::npos) << message;
  EXPECT_EQ(message.find("mongodb-headless"), std::string::npos) << "the uri may hold a password";
}

TEST_F(PlgdConfig, StoreChoiceAcceptsMongoBesideADpsStoreWithAWarning) {
  for (const auto& [key, value] : {std::pair{"clients.storage.use", "sqlite"},
                                   {"clients.storage.sqlite.path", "dps.db"},
                                   {"clients.storage.postgres.uri", "postgresql://db/dps"}}) {
    SCOPED_TRACE(key);
    auto loaded = load(with_value(testing::kPlgdChartYaml, key, value));
    ASSERT_TRUE(loaded) << loaded.error().internal;
    EXPECT_TRUE(warns_about(loaded->warnings, "clients.storage.mongoDB"));
  }
}

TEST_F(PlgdConfig, StoreChoiceChecksUseAgainstThePostgresUri) {
  auto postgres = load(with_value(testing::kPlgdGoOnlyYaml, "clients.storage.use", "postgres"));
  ASSERT_FALSE(postgres);
  EXPECT_NE(postgres.error().internal.find(
                "clients.storage.postgres.uri: required with clients.storage.use: postgres"),
            std::string::npos)
      << postgres.error().internal;
  auto both = load(
      with_value(testing::kPlgdGoOnlyYaml, "clients.storage.postgres.uri", "postgresql://db/x"));
  ASSERT_FALSE(both);
  EXPECT_NE(both.error().internal.find("choose one store"), std::string::npos);
}

TEST_F(PlgdConfig, MutualTlsNeedsAPoolAndTls) {
  auto no_pool = load(with_value(chart_with_dps_store(), "apis.http.tls.caPool", "[]"));
  ASSERT_FALSE(no_pool);
  EXPECT_NE(no_pool.error().internal.find("apis.http.tls.caPool: required while "
                                          "clientCertificateRequired is true"),
            std::string::npos)
      << no_pool.error().internal;
  auto no_tls = load(with_value(chart_with_dps_store(), "apis.http.tls.enabled", "false"));
  ASSERT_FALSE(no_tls);
  EXPECT_NE(no_tls.error().internal.find("apis.http.tls.clientCertificateRequired: true needs "
                                         "apis.http.tls.enabled"),
            std::string::npos)
      << no_tls.error().internal;
}

TEST_F(PlgdConfig, OlderSingleAuthorityJoinsTheEndpoints) {
  auto loaded = load(with_value(chart_with_dps_store(), "apis.http.authorization.authority",
                                "https://old.example.com"));
  ASSERT_TRUE(loaded) << loaded.error().internal;
  EXPECT_EQ(loaded->config.http.authorities,
            (std::vector<std::string>{"https://auth.example.com", "https://old.example.com"}));
}

}  // namespace
}  // namespace dps::config
