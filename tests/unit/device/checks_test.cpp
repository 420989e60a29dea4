#include "device/checks.hpp"

#include <gtest/gtest.h>

#include "response_builder.hpp"

namespace dps::device {
namespace {

using coap::Code;
using nlohmann::json;
using testing::response;

constexpr const char* kOwner = "37dac31a-3f98-549d-a4d1-4d1b45fd08c9";

json hub_config() {
  return {{"apn", "plgd"},
          {"cis", "coaps+tcp://hub:5684"},
          {"at", "token"},
          {"sid", "11111111-2222-3333-4444-555555555555"},
          {"x.org.iotivity.servers",
           {{{"uri", "coaps+tcp://hub:5684"}, {"id", "11111111-2222-3333-4444-555555555555"}}}}};
}

json acls() {
  return {{"aclist2",
           {{{"subject", {{"uuid", kOwner}}},
             {"permission", 31},
             {"resources", {{{"wc", "*"}, {"if", {"*"}}}}},
             {"tag", "dps"}},
            {{"subject", {{"conntype", "anon-clear"}}},
             {"permission", 2},
             {"resources", {{{"href", "/oic/d"}, {"if", {"*"}}}}},
             {"tag", "dps"}}}}};
}

TEST(DeviceChecks, AnswerNestedTooDeepIsAnErrorNotACrash) {
  // A malicious server must not crash dps-device or dps-bench with one deep answer.
  auto answer = response(Code::Content, nlohmann::json::object());
  answer.payload.assign(100'000, 0x81);
  auto t = check_time_response(answer);
  ASSERT_FALSE(t);
  EXPECT_NE(t.error().internal.find("nests deeper than 32"), std::string::npos)
      << t.error().internal;
}

TEST(DeviceChecks, AcceptsTime) {
  auto t = check_time_response(response(Code::Content, {{"time", "2026-11-27T20:13:04.362856Z"}}));
  ASSERT_TRUE(t) << t.error().internal;
  EXPECT_EQ(t->time, "2026-11-27T20:13:04.362856Z");
}

TEST(DeviceChecks, RejectsTimeThatIsNotRfc3339) {
  EXPECT_FALSE(check_time_response(response(Code::Content, {{"time", "27/11/2026"}})));
  EXPECT_FALSE(check_time_response(response(Code::Content, {{"now", "2026-11-27T20:13:04Z"}})));
}

TEST(DeviceChecks, RejectsContentFormat50) {
  auto r = check_time_response(response(Code::Content, {{"time", "2026-11-27T20:13:04Z"}}, 50));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().internal.find("content format 60/10000"), std::string::npos);
}

TEST(DeviceChecks, RejectsMissingContentFormat) {
  EXPECT_FALSE(
      check_ownership_response(response(Code::Content, {{"devowneruuid", kOwner}}, std::nullopt)));
}

TEST(DeviceChecks, AcceptsContentFormat60) {
  EXPECT_TRUE(check_ownership_response(response(Code::Content, {{"devowneruuid", kOwner}}, 60)));
}

TEST(DeviceChecks, AcceptsOwnershipWithOnlyDevowneruuid) {
  auto owner = check_ownership_response(response(Code::Content, {{"devowneruuid", kOwner}}));
  ASSERT_TRUE(owner) << owner.error().internal;
  EXPECT_EQ(*owner, kOwner);
}

TEST(DeviceChecks, RejectsOwnershipWithExtraKey) {
  EXPECT_FALSE(check_ownership_response(
      response(Code::Content, {{"devowneruuid", kOwner}, {"owner", "1"}})));
}

TEST(DeviceChecks, RejectsOwnershipThatIsNotAUuid) {
  EXPECT_FALSE(check_ownership_response(response(Code::Content, {{"devowneruuid", "1"}})));
}

TEST(DeviceChecks, RejectsErrorCodeAndQuotesDiagnostic) {
  coap::Message m;
  m.code = Code::BadRequest;
  const std::string text = "bad di";
  m.payload.assign(text.begin(), text.end());
  auto r = check_ownership_response(m);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().internal.find("4.00"), std::string::npos);
  EXPECT_NE(r.error().internal.find("bad di"), std::string::npos);
}

TEST(DeviceChecks, RejectsWrongSuccessCode) {
  EXPECT_FALSE(check_ownership_response(response(Code::Changed, {{"devowneruuid", kOwner}})));
}

TEST(DeviceChecks, AcceptsCloudConfiguration) {
  auto hub = check_cloud_configuration_response(response(Code::Changed, hub_config()));
  ASSERT_TRUE(hub) << hub.error().internal;
  EXPECT_EQ(hub->apn, "plgd");
  EXPECT_EQ(hub->sid, "11111111-2222-3333-4444-555555555555");
  ASSERT_EQ(hub->servers.size(), 1u);
  EXPECT_EQ(hub->servers[0].uri, "coaps+tcp://hub:5684");
}

TEST(DeviceChecks, RejectsCloudConfigurationWithoutRequiredString) {
  for (const char* key : {"apn", "cis", "at", "sid"}) {
    json body = hub_config();
    body.erase(key);
    EXPECT_FALSE(check_cloud_configuration_response(response(Code::Changed, body))) << key;
    body[key] = 5;
    EXPECT_FALSE(check_cloud_configuration_response(response(Code::Changed, body))) << key;
  }
}

TEST(DeviceChecks, RejectsCloudConfigurationWithRedirect) {
  json body = hub_config();
  body["redirecturi"] = "coaps+tcp://elsewhere:1";
  EXPECT_FALSE(check_cloud_configuration_response(response(Code::Changed, body)));
}

TEST(DeviceChecks, RejectsMalformedServersList) {
  json body = hub_config();
  body["x.org.iotivity.servers"] = {{{"uri", "x"}}};
  EXPECT_FALSE(check_cloud_configuration_response(response(Code::Changed, body)));
}

TEST(DeviceChecks, AcceptsAcls) {
  auto n = check_acls_response(response(Code::Content, acls()));
  ASSERT_TRUE(n) << n.error().internal;
  EXPECT_EQ(*n, 2u);
}

TEST(DeviceChecks, RejectsAceWithoutTag) {
  json body = acls();
  body["aclist2"][1].erase("tag");
  EXPECT_FALSE(check_acls_response(response(Code::Content, body)));
}

TEST(DeviceChecks, RejectsAclsWithRowneruuid) {
  json body = acls();
  body["rowneruuid"] = kOwner;
  EXPECT_FALSE(check_acls_response(response(Code::Content, body)));
}

TEST(DeviceChecks, RejectsNonCborPayload) {
  coap::Message m = response(Code::Content, {});
  m.payload = {0xff, 0x00, 0x13};
  EXPECT_FALSE(check_acls_response(m));
}

TEST(DeviceChecks, ParsesRfc3339WithFractionAndOffset) {
  const auto utc = parse_rfc3339("2026-11-27T20:13:04.5Z");
  const auto offset = parse_rfc3339("2026-11-27T21:13:04.5+01:00");
  ASSERT_TRUE(utc && offset);
  EXPECT_EQ(*utc, *offset);
  EXPECT_FALSE(parse_rfc3339("2026-11-27T20:13:04"));
  EXPECT_FALSE(parse_rfc3339("2026-13-27T20:13:04Z"));
  EXPECT_FALSE(parse_rfc3339("2026-11-27T20:13:04.Z"));
}

TEST(DeviceChecks, RecognisesCanonicalUuids) {
  EXPECT_TRUE(is_uuid(kOwner));
  EXPECT_FALSE(is_uuid("37dac31a3f98549da4d14d1b45fd08c9"));
  EXPECT_FALSE(is_uuid("37dac31a-3f98-549d-a4d1-4d1b45fd08cg"));
}

TEST(DeviceChecks, AcceptsEachAceSubjectKindInItsFlatForm) {
  json answer = acls();
  answer["aclist2"].push_back({{"subject", {{"role", "operator"}, {"authority", "acme"}}},
                               {"permission", 6},
                               {"resources", {{{"href", "/light/1"}}}},
                               {"tag", "dps"}});
  answer["aclist2"].push_back({{"subject", {{"role", "viewer"}}},
                               {"permission", 2},
                               {"resources", {{{"wc", "*"}}}},
                               {"tag", "dps"}});
  auto count = check_acls_response(response(Code::Content, answer));
  ASSERT_TRUE(count) << count.error().internal;
  EXPECT_EQ(*count, 4u);
}

TEST(DeviceChecks, RejectsAceSubjectsTheDeviceCannotDecode) {
  // iotivity-lite reads every subject value as a text string: a nested role map is undefined
  // behaviour there, an unknown key leaves the ACE without subject.
  for (const json& subject :
       {json{{"role", {{"role", "operator"}, {"authority", "acme"}}}}, json{{"uuid", 7}},
        json{{"uuid", "not-a-uuid"}}, json{{"conntype", "any"}}, json{{"group", "x"}},
        json{{"uuid", kOwner}, {"conntype", "anon-clear"}}, json::object()}) {
    json answer = acls();
    answer["aclist2"][1]["subject"] = subject;
    auto count = check_acls_response(response(Code::Content, answer));
    ASSERT_FALSE(count) << subject.dump();
    EXPECT_NE(count.error().internal.find("ACE subject"), std::string::npos)
        << count.error().internal;
  }
}

}  // namespace
}  // namespace dps::device
