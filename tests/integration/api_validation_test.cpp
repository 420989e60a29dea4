// Bad requests at the management API over real HTTPS (management-api.md): malformed JSON, wrong
// types, chains that do not verify, duplicate hub ids, unknown fields, file paths given as
// secrets, bad queries and methods. Each is answered with the gRPC error object naming the
// field at fault, and changes nothing in the store. A body over the server's limit is answered
// 413, which the client reads in full, and the connection then closes cleanly (close_notify both
// ways, no TCP reset). The bodies have no enum fields (json_codec.hpp: strings, booleans, string
// arrays and objects only), so there is no unknown enum name to send.
#include "support/api_fixture.hpp"

namespace dps::itest {
namespace {

using nlohmann::json;

constexpr const char* kOtherId = "e9e9e9e9-0000-4000-8000-000000000009";

/// One bad request and the error it must get.
struct RefusedBody {
  const char* name;
  Verb method;
  std::string target;
  std::string body;
  unsigned status;
  int code;
  std::string message_part;
};

class ApiValidation : public ApiTest {
 protected:
  void SetUp() override {
    ApiTest::SetUp();
    if (HasFatalFailure()) return;
    token_ = token_of(kOwnerA);
    hub_ = create(kHubsPath, hub_body(kApiHub), kOwnerA)["id"];
    hub2_ = create(kHubsPath, hub_body(kApiHub2), kOwnerA)["id"];
    group_ = create(kGroupsPath, group_body(kApiHub), kOwnerA)["id"];
  }

  /// What the owner has: every request below must leave it as it was.
  std::string snapshot() const {
    std::string all;
    for (const char* path : {kGroupsPath, kHubsPath}) all += call(Verb::get, path, token_).body;
    return all;
  }

  void expect_refused(const std::vector<RefusedBody>& cases) {
    const std::string before = snapshot();
    ASSERT_FALSE(before.empty());
    for (const auto& c : cases) {
      SCOPED_TRACE(std::string(c.name) + ": " +
                   std::string(boost::beast::http::to_string(c.method)) + " " + c.target + " " +
                   c.body.substr(0, 200));
      const auto answer =
          api().send({c.method, c.target, "Bearer " + token_, c.body, /*chunked=*/false});
      EXPECT_TRUE(is_api_error(answer, c.status, c.code, c.message_part));
      EXPECT_TRUE(snapshot() == before) << "the store changed";
    }
  }

  std::string group_path() const { return std::string(kGroupsPath) + "/" + group_; }
  std::string hub_path(const std::string& id) const { return std::string(kHubsPath) + "/" + id; }

  /// A valid group body with `change` put at JSON pointer `where` (removed when null).
  std::string group_with(const std::string& where, const json& change) const {
    json body = group_body(kApiHub);
    body["name"] = "valid";
    return edited(std::move(body), where, change);
  }
  /// A valid hub body (hubId kOtherId) with `change` put at `where` (removed when null).
  std::string hub_with(const std::string& where, const json& change) const {
    return edited(hub_body(kOtherId), where, change);
  }
  static std::string edited(json body, const std::string& where, const json& change) {
    const json::json_pointer pointer(where);
    if (change.is_null()) {
      body[pointer.parent_pointer()].erase(pointer.back());
    } else {
      body[pointer] = change;
    }
    return body.dump();
  }

  std::string token_;
  std::string hub_;
  std::string hub2_;
  std::string group_;
};

constexpr const char* kChain = "attestationMechanism.x509.certificateChain";
constexpr const char* kNoFiles = "file paths are not accepted over the API";

TEST_F(ApiValidation, BadGroupBodiesAreRefusedNamingTheField) {
  const auto other = make_manufacturer("itest other mfg");
  const std::string chain = "/attestationMechanism/x509/certificateChain";
  // The intermediate signed by api_mfg_'s root, presented with another manufacturer's root.
  const std::string mixed_chain = api_mfg_.intermediate.cert_pem() + other.root.cert_pem();
  // Names the chain's intermediate as issuer but is signed by another key. (A CRL of an issuer
  // outside the chain is accepted: devices may send intermediates the group does not hold.)
  X509* listed[] = {api_mfg_.device.get()};
  const std::string forged_crl =
      test::make_crl_pem(api_mfg_.intermediate, listed, other.intermediate.key.get());
  const std::string g = kGroupsPath;
  const std::string put = group_path();
  const std::vector<RefusedBody> cases{
      {"MalformedJson", Verb::post, g, R"({"hubIds": [)", 400, 3, "body: not valid JSON"},
      {"EmptyBody", Verb::post, g, "", 400, 3, "body: not valid JSON"},
      {"TrailingGarbage", Verb::post, g, group_with("/name", "x") + "}", 400, 3,
       "body: not valid JSON"},
      {"NotAnObject", Verb::post, g, R"(["hubIds"])", 400, 3, "body: expected an object"},
      {"NameNotAString", Verb::post, g, group_with("/name", 5), 400, 3, "name: expected a string"},
      {"HubIdsNotAnArray", Verb::post, g, group_with("/hubIds", kApiHub), 400, 3,
       "hubIds: expected an array of strings"},
      {"HubIdsHoldANumber", Verb::put, put, group_with("/hubIds", json::array({1})), 400, 3,
       "hubIds: expected an array of strings"},
      {"HubIdNotAUuid", Verb::post, g, group_with("/hubIds", {kApiHub, "hub-b"}), 400, 3,
       "hubIds[1]: must be a UUID, got \"hub-b\""},
      {"NoHubIds", Verb::put, put, group_with("/hubIds", json::array()), 400, 3,
       "hubIds: at least one hub id required"},
      {"AttestationNotAnObject", Verb::post, g, group_with("/attestationMechanism", "x509"), 400, 3,
       "attestationMechanism: expected an object"},
      {"NoAttestation", Verb::post, g, group_with("/attestationMechanism", nullptr), 400, 3,
       std::string(kChain) + ": required"},
      {"ExpiredFlagNotABoolean", Verb::post, g,
       group_with("/attestationMechanism/x509/expiredCertificateEnabled", "yes"), 400, 3,
       "attestationMechanism.x509.expiredCertificateEnabled: expected true or false"},
      {"DisabledNotABoolean", Verb::put, put, group_with("/disabled", "true"), 400, 3,
       "disabled: expected true or false"},
      {"RevokedNotAnArray", Verb::put, put, group_with("/revokedCertificates", "01ab"), 400, 3,
       "revokedCertificates: expected an array of strings"},
      {"RevokedNotHex", Verb::put, put, group_with("/revokedCertificates", {"serial 1"}), 400, 3,
       "revokedCertificates: revoked entry \"serial 1\" is not a hex serial or SHA-256 hash"},
      {"ChainWithoutItsRoot", Verb::post, g, group_with(chain, api_mfg_.intermediate.cert_pem()),
       400, 3, kChain},
      {"ChainWithAnotherRoot", Verb::post, g, group_with(chain, mixed_chain), 400, 3, kChain},
      {"ChainNotPem", Verb::post, g, group_with(chain, "MIIB..."), 400, 3,
       std::string(kChain) + ": expected PEM text or a data: URI"},
      {"ChainBrokenPem", Verb::put, put,
       group_with(chain, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), 400, 3,
       kChain},
      {"ChainBadDataUri", Verb::post, g, group_with(chain, "data:;base64,!!!"), 400, 3, kChain},
      {"LeadNotInTheChain", Verb::post, g,
       group_with("/attestationMechanism/x509/leadCertificateName", "itest other mfg root"), 400, 3,
       "attestationMechanism.x509.leadCertificateName"},
      {"ShortPsk", Verb::post, g, group_with("/preSharedKey", "0123456789"), 400, 3,
       "preSharedKey: at least 16 bytes required, got 10"},
      {"CrlNotSignedByItsIssuer", Verb::put, put, group_with("/crl", forged_crl), 400, 3,
       "crl: CRL of \"itest api mfg intermediate\" is not signed by that certificate of the chain"},
      {"CrlNotPem", Verb::put, put, group_with("/crl", "not a crl"), 400, 3,
       "crl: expected PEM text or a data: URI"},
      {"UnknownField", Verb::post, g, group_with("/colour", "red"), 400, 3,
       "unknown field \"colour\""},
      {"UnknownNestedField", Verb::put, put, group_with("/attestationMechanism/x509/colour", "red"),
       400, 3, "unknown field \"attestationMechanism.x509.colour\""},
      {"FieldGivenTwice", Verb::post, g, group_with("/hub_ids", {kApiHub}), 400, 3,
       "field \"hubIds\" given twice"},
      {"IdOnCreate", Verb::post, g, group_with("/id", kOtherId), 400, 3,
       "id: is generated by the service"},
      {"IdOtherThanThePath", Verb::put, put, group_with("/id", kOtherId), 400, 3,
       "id: \"" + std::string(kOtherId) + "\" differs from the id in the path"},
      {"OwnerNotTheCaller", Verb::put, put, group_with("/owner", kOwnerB), 400, 3,
       "owner: \"" + std::string(kOwnerB) + "\" is not the caller's owner"},
      {"PathIdNotAUuid", Verb::put, g + "/group-1", group_with("/name", "x"), 400, 3,
       "id: must be a UUID, got \"group-1\""},
      {"UnknownGroup", Verb::put, g + "/" + kOtherId, group_with("/name", "x"), 404, 5,
       "enrollment group \"" + std::string(kOtherId) + "\" not found"},
      // Secrets and PEM are values, never file names: a remote caller must not make dps read
      // (and echo back) one of its files.
      {"ChainAsAFilePath", Verb::post, g, group_with(chain, "/etc/ssl/certs/ca-certificates.crt"),
       400, 3, std::string(kChain) + ": expected PEM text or a data: URI; " + kNoFiles},
      {"ChainAsAFileUri", Verb::put, put, group_with(chain, "file:///etc/dps/chain.pem"), 400, 3,
       std::string(kChain) + ": expected PEM text or a data: URI; " + kNoFiles},
      {"PskAsAnAbsolutePath", Verb::post, g, group_with("/preSharedKey", "/etc/dps/psk.bin"), 400,
       3, std::string("preSharedKey: ") + kNoFiles},
      {"PskAsARelativePath", Verb::put, put, group_with("/preSharedKey", "../data/token.key"), 400,
       3, std::string("preSharedKey: ") + kNoFiles},
      {"PskAsAHomePath", Verb::post, g, group_with("/preSharedKey", "~/psk-of-the-line"), 400, 3,
       std::string("preSharedKey: ") + kNoFiles},
      {"PskAsAFileUri", Verb::post, g, group_with("/preSharedKey", "FILE:/etc/passwd-0123456"), 400,
       3, std::string("preSharedKey: ") + kNoFiles},
      {"CrlAsAFilePath", Verb::put, put, group_with("/crl", "/var/lib/dps/mfg.crl"), 400, 3,
       std::string("crl: expected PEM text or a data: URI; ") + kNoFiles},
  };
  expect_refused(cases);
}

TEST_F(ApiValidation, BadHubBodiesAreRefusedNamingTheField) {
  const std::string h = kHubsPath;
  const std::string put = hub_path(hub2_);
  json provider{{"name", "oauth"},
                {"authority", "https://auth.example.com"},
                {"clientId", "dps"},
                {"clientSecret", "s3cret"}};
  auto provider_with = [&](const char* key, const json& value) {
    json changed = provider;
    if (value.is_null()) {
      changed.erase(key);
    } else {
      changed[key] = value;
    }
    return changed;
  };
  const std::string grpc = "/certificateAuthority/grpc";
  const std::vector<RefusedBody> cases{
      {"MalformedJson", Verb::post, h, R"({"gateways": ["a",)", 400, 3, "body: not valid JSON"},
      {"NotAnObject", Verb::put, put, "42", 400, 3, "body: expected an object"},
      {"HubIdReused", Verb::post, h, hub_with("/hubId", kApiHub), 409, 6,
       "hubId \"" + std::string(kApiHub) + "\" is already used by hub \"" + hub_ + "\""},
      {"HubIdReusedInUpperCase", Verb::post, h,
       hub_with("/hubId", "D4D4D4D4-0000-4000-8000-000000000004"), 409, 6,
       "hubId \"" + std::string(kApiHub) + "\" is already used"},
      {"HubIdTakenByPut", Verb::put, put, hub_with("/hubId", kApiHub), 409, 6,
       "hubId \"" + std::string(kApiHub) + "\" is already used by hub \"" + hub_ + "\""},
      {"HubIdNotAUuid", Verb::post, h, hub_with("/hubId", "hub-a"), 400, 3,
       "hubId: must be a UUID, got \"hub-a\""},
      {"HubIdNotAString", Verb::post, h, hub_with("/hubId", 7), 400, 3, "hubId: expected a string"},
      {"NoGateways", Verb::post, h, hub_with("/gateways", json::array()), 400, 3,
       "gateways: at least one gateway required"},
      {"GatewaysNotAnArray", Verb::put, put, hub_with("/gateways", kLocalGateway), 400, 3,
       "gateways: expected an array of strings"},
      {"GatewayNotCoap", Verb::post, h, hub_with("/gateways", {"https://hub.example.com"}), 400, 3,
       "gateways[0]: \"https://hub.example.com\" is not a CoAP URI"},
      {"GatewayWithoutHost", Verb::post, h, hub_with("/gateways", {kLocalGateway, "coaps+tcp://"}),
       400, 3, "gateways[1]: \"coaps+tcp://\" has no host"},
      {"EmptyGateway", Verb::post, h, hub_with("/gateways", {""}), 400, 3,
       "gateways[0]: must not be empty"},
      {"NoAuthorization", Verb::post, h, hub_with("/authorization", nullptr), 400, 3,
       "authorization.ownerClaim: required"},
      {"NoOwnerClaim", Verb::put, put, hub_with("/authorization/ownerClaim", nullptr), 400, 3,
       "authorization.ownerClaim: required"},
      {"AuthorityNotAUrl", Verb::post, h,
       hub_with("/authorization/provider", provider_with("authority", "auth.example.com")), 400, 3,
       "authorization.provider.authority: expected an http(s) URL"},
      {"ProviderWithoutClientId", Verb::post, h,
       hub_with("/authorization/provider", provider_with("clientId", nullptr)), 400, 3,
       "authorization.provider.clientId: required with provider.authority"},
      {"ScopesNotAnArray", Verb::post, h,
       hub_with("/authorization/provider", provider_with("scopes", "openid")), 400, 3,
       "authorization.provider.scopes: expected an array of strings"},
      {"CaAddressNotHostPort", Verb::post, h, hub_with(grpc + "/address", "ca.example.com"), 400, 3,
       "certificateAuthority.grpc.address: expected host:port, got \"ca.example.com\""},
      {"CaClientCertificateWithoutKey", Verb::put, put,
       hub_with(grpc + "/tls/cert", api_mfg_.device.cert_pem()), 400, 3,
       "certificateAuthority.grpc.tls.key: required with tls.cert"},
      {"UnknownField", Verb::post, h, hub_with("/colour", "red"), 400, 3,
       "unknown field \"colour\""},
      {"UnknownNestedField", Verb::put, put,
       hub_with("/authorization/provider", provider_with("colour", "red")), 400, 3,
       "unknown field \"authorization.provider.colour\""},
      {"IdOnCreate", Verb::post, h, hub_with("/id", kOtherId), 400, 3,
       "id: is generated by the service"},
      {"UnknownHub", Verb::put, hub_path(kOtherId), hub_with("/name", "x"), 404, 5,
       "hub \"" + std::string(kOtherId) + "\" not found"},
      {"ClientSecretAsAFilePath", Verb::post, h,
       hub_with("/authorization/provider", provider_with("clientSecret", "/etc/dps/secret")), 400,
       3, std::string("authorization.provider.clientSecret: ") + kNoFiles},
      {"ClientSecretAsAFileUri", Verb::put, put,
       hub_with("/authorization/provider", provider_with("clientSecret", "file:/etc/shadow")), 400,
       3, std::string("authorization.provider.clientSecret: ") + kNoFiles},
      {"CaPoolAsAFilePath", Verb::post, h,
       hub_with(grpc, {{"address", "ca.example.com:443"},
                       {"tls", {{"caPool", {"/etc/ssl/certs/ca-certificates.crt"}}}}}),
       400, 3,
       std::string("certificateAuthority.grpc.tls.caPool[0]: expected PEM text or a data: URI; ") +
           kNoFiles},
  };
  expect_refused(cases);
}

TEST_F(ApiValidation, BadQueriesAndMethodsAreRefused) {
  const std::string g = kGroupsPath;
  const std::string valid_group = group_with("/name", "x");
  const std::vector<RefusedBody> cases{
      // A typo must not widen a DELETE to everything.
      {"DeleteWithAMisspelledFilter", Verb::delete_, g + "?idfilter=" + group_, "", 400, 3,
       "unknown query parameter \"idfilter\""},
      {"DeleteGroupsWithoutIdFilter", Verb::delete_, g, "", 400, 3,
       "idFilter required: deleting all enrollment groups is refused"},
      {"DeleteHubsWithoutIdFilter", Verb::delete_, kHubsPath, "", 400, 3,
       "idFilter required: deleting all hubs is refused"},
      {"DeleteGroupsByHubId", Verb::delete_, g + "?hubIdFilter=" + std::string(kApiHub), "", 400, 3,
       "unknown query parameter \"hubIdFilter\" (accepted: idFilter)"},
      {"DeleteUnknownGroup", Verb::delete_, g + "?idFilter=" + std::string(kOtherId), "", 404, 5,
       "no enrollment group matches the idFilter"},
      {"DeleteUnknownHub", Verb::delete_, std::string(kHubsPath) + "?idFilter=" + kOtherId, "", 404,
       5, "no hub matches the idFilter"},
      {"EmptyFilterValue", Verb::get, g + "?idFilter=", "", 400, 3,
       "query parameter \"idFilter\" has an empty value"},
      {"QueryOnCreate", Verb::post, g + "?idFilter=" + group_, valid_group, 400, 3,
       "unknown query parameter \"idFilter\" (accepted: none)"},
      {"BadPercentEscape", Verb::get, g + "?idFilter=%zz", "", 400, 3, "%"},
      {"PatchIsNotAMethodOfTheApi", Verb::patch, g, valid_group, 405, 12,
       "PATCH is not allowed on /api/v1/enrollment-groups (allowed: GET, POST, DELETE)"},
      {"PostOnAGroup", Verb::post, group_path(), valid_group, 405, 12, "POST is not allowed on"},
      {"PutOnRecords", Verb::put, std::string(kRecordsPath) + "/" + kOtherId, "{}", 404, 5,
       "unknown path"},
      {"UnknownPath", Verb::get, "/api/v1/devices", "", 404, 5, "unknown path \"/api/v1/devices\""},
  };
  expect_refused(cases);
  const auto patch = api().send({Verb::patch, g, "Bearer " + token_, valid_group, false});
  EXPECT_EQ(patch.allow, "GET, POST, DELETE");
}

/// A JSON body of exactly `size` bytes: an object padded with whitespace.
std::string padded_body(size_t size) {
  std::string body = "{";
  body.append(size - 2, ' ');
  return body + "}";
}

TEST_F(ApiValidation, BodyOverTheLimitIs413AndTheConnectionIsClosedCleanly) {
  const std::string before = snapshot();
  // Exactly at the limit: read, then judged on its content.
  EXPECT_TRUE(is_api_error(call(Verb::post, kGroupsPath, token_, padded_body(kBodyLimit)), 400, 3,
                           std::string(kChain) + ": required"));
  const std::string message = "request body larger than " + std::to_string(kBodyLimit) + " bytes";
  struct Oversized {
    const char* name;
    std::optional<std::string> authorization;
    bool chunked;
  };
  for (const auto& o : {Oversized{"content-length", "Bearer " + token_, false},
                        Oversized{"chunked", "Bearer " + token_, true},
                        Oversized{"no token", std::nullopt, false}}) {
    SCOPED_TRACE(o.name);
    const auto answer = api().send(
        {Verb::post, kGroupsPath, o.authorization, padded_body(kBodyLimit + 1), o.chunked});
    // The limit is enforced before the token is looked at: 413 even without one.
    EXPECT_TRUE(is_api_error(answer, 413, 8, message));
    EXPECT_FALSE(answer.keep_alive) << "413 must announce Connection: close";
    // The answer was read in full and the connection closed both ways, no reset.
    EXPECT_EQ(answer.connection_end, HttpAnswer::kClosedCleanly);
  }
  EXPECT_TRUE(snapshot() == before) << "the store changed";
  // The server still serves, devices included.
  EXPECT_EQ(call(Verb::get, "/healthz", "").status, 200u);
  const auto device = provision(api_mfg_tls());
  EXPECT_TRUE(device.ok) << device.error;
}

}  // namespace
}  // namespace dps::itest
