// The device's checks on dps's pre-configuration answers, at the documented bounds' edges.
#include <gtest/gtest.h>

#include "device/checks.hpp"
#include "response_builder.hpp"

namespace dps::device {
namespace {

using coap::Code;
using nlohmann::json;
using testing::response;

json update(std::string href, json rep) { return {{"href", std::move(href)}, {"rep", rep}}; }

// A vector, not a json: a one-element braced list would make nlohmann's json that element.
Result<std::vector<ResourceUpdate>> check(const std::vector<json>& updates) {
  return check_pre_configuration_response(
      response(Code::Content, {{"updates", json::array_t(updates.begin(), updates.end())}}));
}

std::string error_of(const Result<std::vector<ResourceUpdate>>& r) {
  return r ? std::string("accepted") : r.error().internal;
}

/// {"a": {"a": ... 1}} with `levels` maps: the scalar at depth `levels`, the representation at 0
/// (the management API's count).
json nested(size_t levels) {
  json value = 1;
  for (size_t i = 0; i < levels; ++i) value = json{{"a", value}};
  return value;
}

TEST(PreConfigurationChecks, AcceptsUpdatesInOrder) {
  auto r = check({update("/oc/con", {{"n", "lamp-1"}}), update("/light/1", {{"state", true}})});
  ASSERT_TRUE(r) << r.error().internal;
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0], (ResourceUpdate{"/oc/con", R"({"n":"lamp-1"})"}));
  EXPECT_EQ((*r)[1].href, "/light/1");
}

TEST(PreConfigurationChecks, AcceptsAnEmptyList) {
  auto r = check({});
  ASSERT_TRUE(r) << r.error().internal;
  EXPECT_TRUE(r->empty());
}

TEST(PreConfigurationChecks, RefusesAnswerWithoutUpdatesArray) {
  EXPECT_EQ(error_of(check_pre_configuration_response(response(Code::Content, {{"x", 1}}))),
            "updates: missing or not an array");
  EXPECT_NE(error_of(check_pre_configuration_response(
                response(Code::BadRequest, {{"updates", json::array()}}))),
            "accepted");
  EXPECT_NE(error_of(check_pre_configuration_response(
                response(Code::Content, {{"updates", json::array()}}, 50))),
            "accepted");
}

TEST(PreConfigurationChecks, RefusesMoreThanSixteenUpdates) {
  std::vector<json> updates;
  for (int i = 0; i < 16; ++i) updates.push_back(update("/r/" + std::to_string(i), {{"v", i}}));
  EXPECT_TRUE(check(updates));
  updates.push_back(update("/r/16", {{"v", 16}}));
  EXPECT_EQ(error_of(check(updates)), "updates: 17 entries, more than 16");
}

TEST(PreConfigurationChecks, RefusesHrefsThatAreNotAbsoluteOcfPaths) {
  for (const char* href : {"oc/con", "/oc/../d", "/oc/con?x=1", "/", "//oc"}) {
    EXPECT_NE(error_of(check({update(href, {{"n", "x"}})})).find("updates[0].href"),
              std::string::npos)
        << href;
  }
  EXPECT_EQ(error_of(check({json{{"rep", {{"n", "x"}}}}})),
            "updates[0].href: missing or not a string");
}

TEST(PreConfigurationChecks, RefusesTwoUpdatesOfOneResource) {
  EXPECT_EQ(error_of(check({update("/oc/con", {{"n", "a"}}), update("/oc/con", {{"n", "b"}})})),
            "updates: /oc/con updated twice");
}

TEST(PreConfigurationChecks, RefusesARepresentationThatIsNotAMap) {
  EXPECT_EQ(error_of(check({update("/oc/con", json::array({1}))})),
            "updates[0].rep: missing or not a map");
  EXPECT_EQ(error_of(check({json{{"href", "/oc/con"}}})), "updates[0].rep: missing or not a map");
}

TEST(PreConfigurationChecks, NestingBoundIsEightLevels) {
  EXPECT_TRUE(check({update("/oc/con", nested(8))}));
  EXPECT_EQ(error_of(check({update("/oc/con", nested(9))})),
            "updates[0].rep: nested deeper than 8 levels");
}

TEST(PreConfigurationChecks, RepresentationBoundIs4096BytesAndTotal16384) {
  // {"v": text} is 1 + 2 + 3 (string head, 256..65535 bytes) + text bytes as CBOR.
  auto rep_of = [](size_t cbor_bytes) {
    json rep = {{"v", std::string(cbor_bytes - 6, 'x')}};
    EXPECT_EQ(json::to_cbor(rep).size(), cbor_bytes);
    return rep;
  };
  EXPECT_TRUE(check({update("/a", rep_of(4096))}));
  EXPECT_EQ(error_of(check({update("/a", rep_of(4097))})),
            "updates[0].rep: 4097 bytes as CBOR, more than 4096");
  std::vector<json> updates;
  for (int i = 0; i < 4; ++i) updates.push_back(update("/r/" + std::to_string(i), rep_of(4096)));
  EXPECT_TRUE(check(updates));
  updates.push_back(update("/r/4", rep_of(300)));
  EXPECT_EQ(error_of(check(updates)), "updates: 16684 bytes as CBOR in all, more than 16384");
}

TEST(PreConfigurationChecks, RefusesAVariableLeftUnsubstituted) {
  // dps substitutes every {{name}}: one left would become the resource's value as is.
  EXPECT_EQ(error_of(check({update("/oc/con", {{"n", {{"deep", "lamp-{{deviceId}}"}}}})})),
            "updates[0].rep: \"{{\" left in \"lamp-{{deviceId}}\" (a variable dps did not "
            "substitute)");
}

TEST(PreConfigurationChecks, ReportAnswerIsChanged) {
  EXPECT_TRUE(check_pre_configuration_report_response(response(Code::Changed, json::object())));
  auto refused = check_pre_configuration_report_response(response(Code::BadRequest, {}, {}));
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().internal.find("expected 2.04, got 4.00"), std::string::npos);
}

}  // namespace
}  // namespace dps::device
