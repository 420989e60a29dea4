// Hub JSON: defaults, gateway normalisation, authorization and CA rules, rendering.
#include <gtest/gtest.h>

#include <functional>

#include "api/json_codec.hpp"
#include "api_fixture.hpp"
#include "common/data_uri.hpp"

namespace dps::api::testing {
namespace {

constexpr const char* kHubRecordId = "cccccccc-cccc-4ccc-8ccc-cccccccccccc";
const BodyContext kHubCreate{kAlice, kHubRecordId, true};

Result<store::Hub> decode_hub(const json& body, const BodyContext& context = kHubCreate) {
  return hub_from_json(body.dump(), context, ApiTokenNames{});
}

TEST(HubCodec, DefaultsHubIdAndNameToTheRecordId) {
  auto hub = decode_hub(hub_body(""));
  ASSERT_TRUE(hub) << hub.error().internal;
  EXPECT_EQ(hub->id, kHubRecordId);
  EXPECT_EQ(hub->hub_id, kHubRecordId);
  EXPECT_EQ(hub->name, kHubRecordId);
  EXPECT_EQ(hub->owner, kAlice);
  EXPECT_EQ(hub->gateways, std::vector<std::string>{"coaps+tcp://hub.example.com:5684"});
  EXPECT_EQ(hub->authorization.owner_claim, "https://plgd.dev/owner");
  EXPECT_TRUE(hub->certificate_authority.address.empty());  // built-in CA
}

TEST(HubCodec, CanonicalisesHubId) {
  EXPECT_EQ(decode_hub(hub_body("11111111-1111-4111-8111-111111111111"))->hub_id, kHubA);
  auto hub = decode_hub(hub_body("AAAAAAAA-AAAA-4AAA-8AAA-AAAAAAAAAAAA"));
  EXPECT_EQ(hub->hub_id, "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa");
}

TEST(HubCodec, NormalisesGatewaysKeepingOrderAndDroppingDuplicates) {
  json body = hub_body();
  body["gateways"] = {"b.example.com:5684", "coap+tcp://a.example.com:5683",
                      "coaps+tcp://b.example.com:5684", "coaps://c:5684", "coap://d:5683"};
  EXPECT_EQ(
      decode_hub(body)->gateways,
      (std::vector<std::string>{"coaps+tcp://b.example.com:5684", "coap+tcp://a.example.com:5683",
                                "coaps://c:5684", "coap://d:5683"}));
}

TEST(HubCodec, ReadsFullCaAndProviderConfigurationAndIgnoresUnusedPlgdFields) {
  const std::string ca_pem = Pki::get().root.cert_pem();
  json body = hub_body();
  body["name"] = "hub a";
  body["certificateAuthority"] = {
      {"grpc",
       {{"address", "ca.example.com:443"},
        {"keepAlive", {{"time", "10000000000"}, {"permitWithoutStream", true}}},
        {"tls", {{"caPool", {encode_data_uri(ca_pem)}}, {"useSystemCaPool", true}}}}}};
  body["authorization"] = {{"ownerClaim", "sub"},
                           {"deviceIdClaim", "https://plgd.dev/deviceId"},
                           {"provider",
                            {{"name", "plgd"},
                             {"authority", "https://auth.example.com"},
                             {"clientId", "dps"},
                             {"clientSecret", "data:;base64,c2VjcmV0"},
                             {"scopes", {"a", "b"}},
                             {"audience", "https://api.example.com"},
                             {"http", {{"timeout", "0"}, {"tls", {{"useSystemCaPool", true}}}}}}}};
  auto hub = decode_hub(body);
  ASSERT_TRUE(hub) << hub.error().internal;
  EXPECT_EQ(hub->name, "hub a");
  EXPECT_EQ(hub->certificate_authority.address, "ca.example.com:443");
  EXPECT_EQ(hub->certificate_authority.ca_pool, ca_pem);
  EXPECT_EQ(hub->authorization.device_id_claim, "https://plgd.dev/deviceId");
  const auto& provider = hub->authorization.provider;
  EXPECT_EQ(provider.name, "plgd");
  EXPECT_EQ(provider.authority, "https://auth.example.com");
  EXPECT_EQ(provider.client_id, "dps");
  EXPECT_EQ(provider.client_secret, "secret");
  EXPECT_EQ(provider.scopes, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(provider.audience, "https://api.example.com");

  // caPool as one string, several entries concatenated.
  body["certificateAuthority"]["grpc"]["tls"]["caPool"] = ca_pem;
  EXPECT_EQ(decode_hub(body)->certificate_authority.ca_pool, ca_pem);
  body["certificateAuthority"]["grpc"]["tls"]["caPool"] = {ca_pem,
                                                           Pki::get().other_root.cert_pem()};
  EXPECT_EQ(decode_hub(body)->certificate_authority.ca_pool,
            ca_pem + Pki::get().other_root.cert_pem());
}

TEST(HubCodec, RenderedHubDecodesBackToItself) {
  json body = hub_body();
  body["certificateAuthority"] = {
      {"grpc", {{"address", "ca:443"}, {"tls", {{"caPool", Pki::get().root.cert_pem()}}}}}};
  body["authorization"]["provider"] = {{"name", "plgd"},
                                       {"authority", "https://auth"},
                                       {"clientId", "dps"},
                                       {"clientSecret", "data:,/looks/like/a/path"}};
  store::Hub hub = decode_hub(body).value();
  json out = to_json(hub);
  EXPECT_EQ(out["certificateAuthority"]["grpc"]["tls"]["caPool"],
            json::array({Pki::get().root.cert_pem()}));
  EXPECT_TRUE(out["authorization"]["provider"]["clientSecret"].get<std::string>().starts_with(
      "data:;base64,"));
  auto again = decode_hub(out, {kAlice, kHubRecordId, false});
  ASSERT_TRUE(again) << again.error().internal;
  EXPECT_EQ(*again, hub);
}

TEST(HubCodec, RendersMinimalHubWithoutEmptyObjects) {
  store::Hub hub = decode_hub(hub_body()).value();
  EXPECT_EQ(to_json(hub), (json{{"id", kHubRecordId},
                                {"hubId", kHubA},
                                {"owner", kAlice},
                                {"name", kHubRecordId},
                                {"gateways", {"coaps+tcp://hub.example.com:5684"}},
                                {"authorization", {{"ownerClaim", "https://plgd.dev/owner"}}}}));
}

struct BadHub {
  const char* name;
  std::function<void(json&)> mutate;
  std::string message;
};

void PrintTo(const BadHub& bad, std::ostream* out) { *out << bad.name; }

class HubBadBody : public ::testing::TestWithParam<BadHub> {};

TEST_P(HubBadBody, IsRefusedWithAMessageNamingTheField) {
  json body = hub_body();
  GetParam().mutate(body);
  auto hub = decode_hub(body);
  ASSERT_FALSE(hub);
  EXPECT_EQ(hub.error().code, ErrorCode::BadRequest);
  EXPECT_EQ(hub.error().internal, GetParam().message);
}

json& provider(json& body) {
  body["authorization"]["provider"] = {{"name", "plgd"},
                                       {"authority", "https://auth.example.com"},
                                       {"clientId", "dps"},
                                       {"clientSecret", "secret"}};
  return body["authorization"]["provider"];
}

json& grpc(json& body) { return body["certificateAuthority"]["grpc"]; }

INSTANTIATE_TEST_SUITE_P(
    Fields, HubBadBody,
    ::testing::Values(
        BadHub{"HubIdNotUuid", [](json& b) { b["hubId"] = "hub-a"; },
               "hubId: must be a UUID, got \"hub-a\""},
        BadHub{"IdOnCreate", [](json& b) { b["id"] = kHubRecordId; },
               "id: is generated by the service and must not be given"},
        BadHub{"NoGateways", [](json& b) { b.erase("gateways"); },
               "gateways: at least one gateway required"},
        BadHub{"GatewaysNotArray", [](json& b) { b["gateways"] = "coaps+tcp://a:1"; },
               "gateways: expected an array of strings"},
        BadHub{"HttpGateway",
               [](json& b) {
                 b["gateways"] = {"a:1", "https://hub:443"};
               },
               "gateways[1]: \"https://hub:443\" is not a CoAP URI (coaps+tcp://host:port)"},
        BadHub{"EmptyGateway", [](json& b) { b["gateways"] = {""}; },
               "gateways[0]: must not be empty"},
        BadHub{"GatewayWithoutHost", [](json& b) { b["gateways"] = {"coaps+tcp://"}; },
               "gateways[0]: \"coaps+tcp://\" has no host"},
        BadHub{"NoAuthorization", [](json& b) { b.erase("authorization"); },
               "authorization.ownerClaim: required"},
        BadHub{"NoOwnerClaim", [](json& b) { b["authorization"].erase("ownerClaim"); },
               "authorization.ownerClaim: required"},
        BadHub{"UnknownAuthorizationField", [](json& b) { b["authorization"]["x"] = 1; },
               "unknown field \"authorization.x\""},
        BadHub{"ProviderWithoutClientId", [](json& b) { provider(b).erase("clientId"); },
               "authorization.provider.clientId: required with provider.authority"},
        BadHub{"ProviderWithoutSecret", [](json& b) { provider(b).erase("clientSecret"); },
               "authorization.provider.clientSecret: required with provider.authority"},
        BadHub{"ProviderAuthorityNotUrl", [](json& b) { provider(b)["authority"] = "auth:443"; },
               "authorization.provider.authority: expected an http(s) URL, got \"auth:443\""},
        BadHub{"ClientSecretFilePath",
               [](json& b) { provider(b)["clientSecret"] = "/secrets/client"; },
               "authorization.provider.clientSecret: file paths are not accepted over the API "
               "(give the value inline or as a data: URI)"},
        BadHub{"ScopesNotArray", [](json& b) { provider(b)["scopes"] = "openid"; },
               "authorization.provider.scopes: expected an array of strings"},
        BadHub{"CaAddressNotHostPort", [](json& b) { grpc(b)["address"] = "ca.example.com"; },
               "certificateAuthority.grpc.address: expected host:port, got \"ca.example.com\""},
        BadHub{"CaPoolWithoutAddress",
               [](json& b) { grpc(b)["tls"]["caPool"] = {Pki::get().root.cert_pem()}; },
               "certificateAuthority.grpc.address: required with tls.caPool"},
        BadHub{"CaPoolFilePath",
               [](json& b) {
                 grpc(b)["address"] = "ca:443";
                 grpc(b)["tls"]["caPool"] = {"/etc/ca.pem"};
               },
               "certificateAuthority.grpc.tls.caPool[0]: expected PEM text or a data: URI; file "
               "paths are not accepted over the API"},
        BadHub{"CaClientCertificate",
               [](json& b) {
                 grpc(b)["address"] = "ca:443";
                 grpc(b)["tls"]["cert"] = "data:,x";
               },
               "certificateAuthority.grpc.tls.key: required with tls.cert"},
        BadHub{"CaClientKeyNotPem",
               [](json& b) {
                 grpc(b)["address"] = "ca:443";
                 grpc(b)["tls"]["cert"] = test::make_root_ca("cert").cert_pem();
                 grpc(b)["tls"]["key"] = "data:,not a key";
               },
               "certificateAuthority.grpc.tls.key: not a PEM private key"},
        BadHub{"NegativeKeepAlive",
               [](json& b) {
                 grpc(b)["address"] = "ca:443";
                 grpc(b)["keepAlive"]["time"] = "-1";
               },
               "certificateAuthority.grpc.keepAlive.time: must not be negative"},
        BadHub{"UnknownCaField", [](json& b) { b["certificateAuthority"]["http"] = 1; },
               "unknown field \"certificateAuthority.http\""},
        BadHub{"OldCoapGatewayField", [](json& b) { b["coapGateway"] = "a:1"; },
               "unknown field \"coapGateway\""}),
    [](const auto& test) { return std::string(test.param.name); });

}  // namespace
}  // namespace dps::api::testing
