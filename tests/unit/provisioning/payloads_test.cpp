#include "provisioning/payloads.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "provisioning/content.hpp"

namespace dps::provisioning {
namespace {

using nlohmann::json;

std::set<std::string> keys_of(const json& object) {
  std::set<std::string> keys;
  for (const auto& [key, value] : object.items()) keys.insert(key);
  return keys;
}

const std::string kOwner = "b80c8fef-a677-5340-85fb-2c162d75df03";
const std::string kDevice = "5f5e1a2b-0c3d-4e5f-8a9b-0c1d2e3f4a5b";

TEST(TimePayload, IsRfc3339UtcWithFractionalSecondsAndNothingElse) {
  auto body = time_payload(
      std::chrono::system_clock::time_point(std::chrono::microseconds(1'795'810'384'362'856LL)));
  EXPECT_EQ(keys_of(body), std::set<std::string>{"time"});
  EXPECT_EQ(body["time"], "2026-11-27T20:13:04.362856Z");
}

TEST(OwnershipPayload, HasOnlyDevOwnerUuid) {
  auto body = ownership_payload(kOwner);
  EXPECT_EQ(keys_of(body), std::set<std::string>{"devowneruuid"});
  EXPECT_EQ(body["devowneruuid"], kOwner);
}

TEST(CloudConfigurationPayload, HasRequiredKeysAndServers) {
  CloudConfiguration config{"plgd",
                            "coaps+tcp://hub:5684",
                            "token",
                            "hub-id",
                            {{"coaps+tcp://hub:5684", "hub-id"}, {"coaps+tcp://b:5684", "h2"}}};
  auto body = cloud_configuration_payload(config);
  EXPECT_EQ(keys_of(body),
            (std::set<std::string>{"apn", "cis", "at", "sid", "x.org.iotivity.servers"}));
  EXPECT_EQ(body["apn"], "plgd");
  EXPECT_EQ(body["cis"], "coaps+tcp://hub:5684");
  EXPECT_EQ(body["at"], "token");
  EXPECT_EQ(body["sid"], "hub-id");
  ASSERT_EQ(body["x.org.iotivity.servers"].size(), 2u);
  EXPECT_EQ(keys_of(body["x.org.iotivity.servers"][1]), (std::set<std::string>{"uri", "id"}));
  EXPECT_EQ(body["x.org.iotivity.servers"][1]["id"], "h2");
}

TEST(CloudConfigurationPayload, OmitsEmptyServerList) {
  auto body = cloud_configuration_payload({"plgd", "coaps+tcp://hub:5684", "t", "h", {}});
  EXPECT_FALSE(body.contains("x.org.iotivity.servers"));
  EXPECT_FALSE(body.contains("redirecturi"));
}

TEST(CredentialsPayload, OrdersPskCertTrustCaAndTagsEveryCred) {
  IssuedCredentials creds{kOwner, kDevice, "CHAIN", "ROOT", "0123456789abcdef"};
  auto body = credentials_payload(creds);
  EXPECT_EQ(keys_of(body), std::set<std::string>{"creds"});
  const auto& list = body["creds"];
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0]["credtype"], 1);
  EXPECT_EQ(list[0]["subjectuuid"], kOwner);
  EXPECT_EQ(list[0]["privatedata"]["encoding"], "oic.sec.encoding.raw");
  ASSERT_TRUE(list[0]["privatedata"]["data"].is_binary());
  EXPECT_EQ(list[0]["privatedata"]["data"].get_binary().size(), 16u);
  EXPECT_EQ(keys_of(list[0]),
            (std::set<std::string>{"credtype", "subjectuuid", "privatedata", "tag"}));
  EXPECT_EQ(list[1]["credtype"], 8);
  EXPECT_EQ(list[1]["subjectuuid"], kDevice);
  EXPECT_EQ(list[1]["credusage"], "oic.sec.cred.cert");
  EXPECT_EQ(list[1]["publicdata"], (json{{"data", "CHAIN"}, {"encoding", "oic.sec.encoding.pem"}}));
  EXPECT_EQ(list[2]["credusage"], "oic.sec.cred.trustca");
  EXPECT_EQ(list[2]["subjectuuid"], kOwner);
  EXPECT_EQ(list[2]["publicdata"]["data"], "ROOT");
  for (const auto& cred : list) {
    EXPECT_EQ(cred["tag"], "dps");
    EXPECT_FALSE(cred.contains("rowneruuid"));
  }
  EXPECT_EQ(keys_of(list[1]),
            (std::set<std::string>{"credtype", "subjectuuid", "credusage", "publicdata", "tag"}));
}

TEST(CredentialsPayload, HasNoPskCredWithoutKey) {
  auto body = credentials_payload({kOwner, kDevice, "CHAIN", "ROOT", ""});
  ASSERT_EQ(body["creds"].size(), 2u);
  EXPECT_EQ(body["creds"][0]["credusage"], "oic.sec.cred.cert");
}

TEST(AclsPayload, GrantsOwnerAnonymousAndEachDistinctHub) {
  auto body = acls_payload(kOwner, {"hub-a", "hub-b", "hub-a"});
  EXPECT_EQ(keys_of(body), std::set<std::string>{"aclist2"});
  const auto& aces = body["aclist2"];
  ASSERT_EQ(aces.size(), 4u);
  for (const auto& ace : aces) {
    EXPECT_EQ(keys_of(ace), (std::set<std::string>{"subject", "resources", "permission", "tag"}));
    EXPECT_EQ(ace["tag"], "dps");
  }
  EXPECT_EQ(aces[0]["subject"], (json{{"uuid", kOwner}}));
  EXPECT_EQ(aces[0]["permission"], 31);
  ASSERT_EQ(aces[0]["resources"].size(), 7u);
  EXPECT_EQ(aces[0]["resources"][0], (json{{"href", "/CoapCloudConfResURI"}, {"if", {"*"}}}));
  EXPECT_EQ(aces[0]["resources"][6], (json{{"wc", "*"}, {"if", {"*"}}}));
  EXPECT_EQ(aces[1]["subject"], (json{{"conntype", "anon-clear"}}));
  EXPECT_EQ(aces[1]["permission"], 2);
  std::vector<std::string> anonymous;
  for (const auto& r : aces[1]["resources"]) anonymous.push_back(r["href"]);
  EXPECT_EQ(anonymous, (std::vector<std::string>{"/oic/d", "/oic/p", "/oic/res", "/oic/sec/sdi",
                                                 "/oic/sec/doxm"}));
  EXPECT_EQ(aces[2]["subject"], (json{{"uuid", "hub-a"}}));
  EXPECT_EQ(aces[3]["subject"], (json{{"uuid", "hub-b"}}));
  std::vector<json> hub_resources = aces[2]["resources"];
  ASSERT_EQ(hub_resources.size(), 5u);
  EXPECT_EQ(hub_resources[3]["href"], "/x.plgd.dev/time");
  EXPECT_EQ(hub_resources[4]["wc"], "*");
}

}  // namespace
}  // namespace dps::provisioning

namespace dps::provisioning {
namespace {

// A 5.03 tells the device when to retry (RFC 7252 §5.9.3.4); other errors make it start over
// and carry no Max-Age.
TEST(ErrorResponse, ServiceUnavailableCarriesMaxAgeOthersDoNot) {
  coap::Message request;
  request.token = {1, 2};
  const auto unavailable =
      make_error_response(request, coap::Code::ServiceUnavailable, "authority down");
  EXPECT_EQ(unavailable.uint_option(coap::option::kMaxAge), kRetryAfterSeconds);
  EXPECT_EQ(unavailable.token, request.token);
  const auto bad = make_error_response(request, coap::Code::BadRequest, "no");
  EXPECT_EQ(bad.uint_option(coap::option::kMaxAge), std::nullopt);
}

}  // namespace
}  // namespace dps::provisioning
