// Every way a config can be wrong, and the one-line message naming the dotted path that results.
#include <gtest/gtest.h>

#include "config/config.hpp"
#include "temp_dir.hpp"

namespace dps::config {
namespace {

using testing::kChainPem;
using testing::TempDir;

// A valid group; cases break one thing in it.
constexpr std::string_view kGroupWithoutHubs = R"yaml(
enrollmentGroups:
  - id: 5db6ccde-05e1-480b-a522-c1591ad7dfd2
    owner: "1"
    preSharedKeyFile: "data:,0123456789012345"
    attestationMechanism: {x509: {certificateChain: chain.pem}}
)yaml";
constexpr std::string_view kHubs = R"yaml(    hubs:
      - hubID: d03a1bb4-0a77-428c-b78c-1c46efe6a38e
        gateways: [hub.example.com:5684]
        authorization: {ownerClaim: https://plgd.dev/owner}
)yaml";
const std::string kGroup = std::string(kGroupWithoutHubs) + std::string(kHubs);

// A second group (another id) naming the same hub id with another gateway.
constexpr std::string_view kConflictingGroup = R"yaml(  - id: 6db6ccde-05e1-480b-a522-c1591ad7dfd2
    owner: "1"
    attestationMechanism: {x509: {certificateChain: chain.pem}}
    hubs:
      - hubID: d03a1bb4-0a77-428c-b78c-1c46efe6a38e
        gateways: [hub2.example.com:5684]
        authorization: {ownerClaim: https://plgd.dev/owner}
)yaml";

std::string group_with(std::string_view from, std::string_view to) {
  std::string yaml = kGroup;
  size_t at = yaml.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) yaml.replace(at, from.size(), to);
  return yaml;
}

struct Case {
  std::string name;
  std::string yaml;
  std::string expected;  // the whole message; {dir} = the base directory
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class ConfigError : public ::testing::TestWithParam<Case> {};

TEST_P(ConfigError, NamesTheDottedPath) {
  TempDir dir;
  dir.write("chain.pem", kChainPem);
  auto loaded = load_text(GetParam().yaml, dir.path());
  ASSERT_FALSE(loaded) << "loaded without error";
  EXPECT_EQ(loaded.error().code, ErrorCode::BadRequest);
  std::string expected = GetParam().expected;
  if (size_t at = expected.find("{dir}"); at != std::string::npos) {
    expected.replace(at, 5, dir.path().string());
  }
  EXPECT_EQ(loaded.error().internal, expected);
}

const Case kCases[] = {
    {"UnknownKeySuggestsClosest", "apis:\n  coap:\n    adress: 0.0.0.0:1\n",
     "apis.coap.adress: unknown key (did you mean \"address\"?)"},
    {"UnknownKeyWithoutCloseMatch", "apis:\n  coap:\n    colour: blue\n",
     "apis.coap.colour: unknown key"},
    {"UnknownTopLevelKey", "enrolmentGroups: []\n",
     "enrolmentGroups: unknown key (did you mean \"enrollmentGroups\"?)"},
    {"UnknownKeyInListItemSuggestsCase", group_with("hubID:", "hubId:"),
     "enrollmentGroups[0].hubs[0].hubId: unknown key (did you mean \"hubID\"?)"},
    {"UnknownKeyInSingleHub", kGroup + "    hub: {gatway: x}\n",
     "enrollmentGroups[0].hub.gatway: unknown key (did you mean \"gateways\"?)"},
    {"WordForUnsigned", "apis:\n  coap:\n    maxMessageSize: big\n",
     "apis.coap.maxMessageSize: expected an unsigned integer, got \"big\""},
    {"NegativeForUnsigned", "apis:\n  coap:\n    maxMessageSize: -1\n",
     "apis.coap.maxMessageSize: expected an unsigned integer, got \"-1\""},
    {"MapForString", "apis:\n  coap:\n    address: {host: x}\n",
     "apis.coap.address: expected a string, got a map"},
    {"ScalarForMap", "apis: on\n", "apis: expected a map, got \"on\""},
    {"WordForBool", "log:\n  dumpBody: maybe\n", "log.dumpBody: expected a bool, got \"maybe\""},
    {"DumpBodyTrueIsRefused", "log:\n  dumpBody: true\n",
     "log.dumpBody: true is not supported: dps never logs request or response bodies (they carry "
     "PSKs, tokens and private keys); remove the key or set it to false"},
    {"DurationWithoutUnit", "apis:\n  coap:\n    inactivityMonitor:\n      timeout: 20\n",
     "apis.coap.inactivityMonitor.timeout: expected a duration such as \"20s\", \"1h30m\" or "
     "\"500ms\", got \"20\""},
    {"DurationInWords", "tokens:\n  validity: 10 minutes\n",
     "tokens.validity: expected a duration such as \"20s\", \"1h30m\" or \"500ms\", got \"10 "
     "minutes\""},
    {"ZeroTimeout", "apis:\n  coap:\n    handshakeTimeout: 0s\n",
     "apis.coap.handshakeTimeout: must be at least 1ms"},
    {"SubSecondValidity", "tokens:\n  validity: 500ms\n", "tokens.validity: must be at least 1s"},
    {"LevelNotInChoices", "log:\n  level: verbose\n",
     "log.level: expected one of debug, info, warn, error, got \"verbose\""},
    {"UdpTwice", "apis:\n  coap:\n    protocols: [udp, tcp, udp]\n",
     "apis.coap.protocols[2]: udp is listed twice"},
    {"UnknownProtocol", "apis:\n  coap:\n    protocols: [quic]\n",
     "apis.coap.protocols[0]: expected tcp or udp, got \"quic\""},
    {"NoProtocol", "apis:\n  coap:\n    protocols: []\n",
     "apis.coap.protocols: expected tcp, udp or both"},
    {"Uint32Overflow", "apis:\n  coap:\n    maxConnections: 5000000000\n",
     "apis.coap.maxConnections: expected at most 4294967295, got 5000000000"},
    {"TinyMaxMessageSize", "apis:\n  coap:\n    maxMessageSize: 100\n",
     "apis.coap.maxMessageSize: must be at least 1152 (RFC 8323 §5.3.1), got 100"},
    {"MissingTlsFile", "apis:\n  coap:\n    tls:\n      certFile: missing.crt\n",
     "apis.coap.tls.certFile: file \"{dir}/missing.crt\" not found"},
    {"DirectoryForTlsFile", "apis:\n  coap:\n    tls:\n      keyFile: /\n",
     "apis.coap.tls.keyFile: \"/\" is not a regular file"},
    {"BareHubKeyIsNoHub", std::string(kGroupWithoutHubs) + "    hub:\n",
     "enrollmentGroups[0].hubs: at least one hub required"},
    {"MissingCaFile", "certificateAuthority:\n  keyFile: /nonexistent/ca.key\n",
     "certificateAuthority.keyFile: file \"/nonexistent/ca.key\" not found"},
    {"MapForList", "enrollmentGroups: {a: 1}\n",
     "enrollmentGroups: expected a list of maps, got a map"},
    {"RootIsList", "- a\n", "(root): expected a map, got a list"},
    {"DuplicateKey", "log:\n  level: info\n  level: debug\n", "log.level: duplicate key"},
    {"YamlSyntax", "log: [info\n", "line 2, column 1: end of sequence flow not found"},
    {"GroupWithoutOwner", group_with("owner: \"1\"", "name: x"),
     "enrollmentGroups[0].owner: required"},
    {"GroupWithoutId", group_with("id: 5db6ccde-05e1-480b-a522-c1591ad7dfd2", "name: x"),
     "enrollmentGroups[0].id: required"},
    {"GroupIdNotUuid", group_with("5db6ccde-05e1-480b-a522-c1591ad7dfd2", "eg-1"),
     "enrollmentGroups[0].id: must be a UUID, got \"eg-1\""},
    {"HubIdNotUuid", group_with("d03a1bb4-0a77-428c-b78c-1c46efe6a38e", "hub-1"),
     "enrollmentGroups[0].hubs[0].hubID: must be a UUID, got \"hub-1\""},
    {"HubRecordIdNotUuid", group_with("hubID:", "id: x\n        hubID:"),
     "enrollmentGroups[0].hubs[0].id: must be a UUID, got \"x\""},
    {"HubWithoutIds", group_with("hubID: d03a1bb4-0a77-428c-b78c-1c46efe6a38e", "name: x"),
     "enrollmentGroups[0].hubs[0].hubID: required"},
    {"MissingChainFile", group_with("chain.pem", "missing/chain.pem"),
     "enrollmentGroups[0].attestationMechanism.x509.certificateChain: file "
     "\"{dir}/missing/chain.pem\" not found"},
    {"NoChain", group_with("attestationMechanism: {x509: {certificateChain: chain.pem}}", ""),
     "enrollmentGroups[0].attestationMechanism.x509.certificateChain: required"},
    {"ChainWithoutCertificate", group_with("chain.pem", "\"data:,not a chain\""),
     "enrollmentGroups[0].attestationMechanism.x509.certificateChain: no PEM certificate found"},
    {"PskTooShort", group_with("0123456789012345", "short"),
     "enrollmentGroups[0].preSharedKeyFile: at least 16 bytes required, got 5"},
    {"PskBadBase64", group_with("data:,0123456789012345", "data:;base64,***"),
     "enrollmentGroups[0].preSharedKeyFile: invalid base64 in data: URI"},
    {"PskBadPercentEscape", group_with("0123456789012345", "0123456789012345%G1"),
     "enrollmentGroups[0].preSharedKeyFile: invalid percent-escape in data: URI"},
    {"NoHub", std::string(kGroupWithoutHubs),
     "enrollmentGroups[0].hubs: at least one hub required"},
    {"EmptyHubList", std::string(kGroupWithoutHubs) + "    hubs: []\n",
     "enrollmentGroups[0].hubs: at least one hub required"},
    {"MisspelledHubs", group_with("hubs:", "hubz:"),
     "enrollmentGroups[0].hubz: unknown key (did you mean \"hubs\"?)"},
    {"NoGateway", group_with("gateways: [hub.example.com:5684]", "gateways: []"),
     "enrollmentGroups[0].hubs[0].gateways: at least one gateway required"},
    {"EmptyGateway", group_with("[hub.example.com:5684]", "[a:1, \"\"]"),
     "enrollmentGroups[0].hubs[0].gateways[1]: must not be empty"},
    {"GatewayNotCoap", group_with("hub.example.com:5684", "https://hub.example.com"),
     "enrollmentGroups[0].hubs[0].gateways[0]: \"https://hub.example.com\" is not a CoAP URI "
     "(coaps+tcp://host:port)"},
    {"NoOwnerClaim", group_with("{ownerClaim: https://plgd.dev/owner}", "{deviceIDClaim: x}"),
     "enrollmentGroups[0].hubs[0].authorization.ownerClaim: required"},
    {"ProviderWithoutClientId",
     group_with("{ownerClaim: https://plgd.dev/owner}",
                "{ownerClaim: o, provider: {name: p, authority: https://a, clientSecretFile: "
                "\"data:,s\"}}"),
     "enrollmentGroups[0].hubs[0].authorization.provider.clientID: required with "
     "provider.authority"},
    {"DuplicateGroupId", kGroup + kGroup.substr(kGroup.find("  - id")),
     "enrollmentGroups[1].id: \"5db6ccde-05e1-480b-a522-c1591ad7dfd2\" is also used by "
     "enrollmentGroups[0]"},
    {"SameHubDefinedTwiceDifferently", kGroup + std::string(kConflictingGroup),
     "enrollmentGroups[1].hubs[0]: hub \"d03a1bb4-0a77-428c-b78c-1c46efe6a38e\" is already "
     "defined differently at enrollmentGroups[0].hubs[0]"},
};

INSTANTIATE_TEST_SUITE_P(Cases, ConfigError, ::testing::ValuesIn(kCases),
                         [](const auto& test) { return test.param.name; });

}  // namespace
}  // namespace dps::config
