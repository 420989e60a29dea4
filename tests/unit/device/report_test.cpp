#include "device/report.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace dps::device {
namespace {

TEST(DeviceReport, ParsesHostPort) {
  EXPECT_EQ(parse_host_port("127.0.0.1:15684"),
            (std::pair<std::string, uint16_t>{"127.0.0.1", 15684}));
  EXPECT_EQ(parse_host_port("[::1]:5684"), (std::pair<std::string, uint16_t>{"::1", 5684}));
  EXPECT_FALSE(parse_host_port("localhost"));
  EXPECT_FALSE(parse_host_port("host:0"));
  EXPECT_FALSE(parse_host_port("host:70000"));
  EXPECT_FALSE(parse_host_port(":1"));
}

TEST(DeviceReport, NamesTheFailedStep) {
  ProvisionResult r;
  r.device_id = "d";
  r.failed_step = Step::Credentials;
  r.error = "credentials: expected 2.04, got 4.00";
  r.steps.push_back({Step::Credentials, false, coap::Code::BadRequest, "", 12, "expected 2.04"});
  const std::string text = format_text(r);
  EXPECT_NE(text.find("FAILED at step credentials"), std::string::npos);
  const auto j = nlohmann::json::parse(format_json(r));
  EXPECT_EQ(j["failedStep"], "credentials");
  EXPECT_EQ(j["steps"][0]["code"], "4.00");
  EXPECT_FALSE(j["ok"].get<bool>());
}

TEST(DeviceReport, NamesTheStepsOfAnIdentitySession) {
  ProvisionResult r;
  r.ok = true;
  r.device_id = "d";
  r.hub.sid = "hub";
  r.hub.cis = "coaps+tcp://hub:5684";
  r.steps.push_back({Step::Acls, true, coap::Code::Content, "", 10, ""});
  StepOutcome refreshed{Step::CloudConfiguration, true, coap::Code::Changed, "", 11, ""};
  refreshed.session = Session::Identity;
  r.steps.push_back(refreshed);
  const std::string text = format_text(r);
  EXPECT_NE(text.find("identity cloud-configuration"), std::string::npos) << text;
  EXPECT_NE(text.find("hub token refreshed (hub at coaps+tcp://hub:5684)"), std::string::npos)
      << text;
  const auto j = nlohmann::json::parse(format_json(r));
  EXPECT_EQ(j["steps"][0]["session"], "manufacturer");
  EXPECT_EQ(j["steps"][1]["session"], "identity");
  EXPECT_TRUE(j["identitySession"]["tokenRefreshed"].get<bool>());
  EXPECT_FALSE(j["identitySession"]["renewed"].get<bool>());
}

TEST(DeviceReport, NamesAFailedIdentityStep) {
  ProvisionResult r;
  r.device_id = "d";
  r.failed_step = Step::CloudConfiguration;
  r.failed_session = Session::Identity;
  r.error = "identity cloud-configuration: expected 2.04, got 4.03";
  StepOutcome refused{Step::CloudConfiguration, false, coap::Code::Forbidden, "", 9, "4.03"};
  refused.session = Session::Identity;
  r.steps.push_back(refused);
  const std::string text = format_text(r);
  EXPECT_NE(text.find("identity session of device d FAILED at step identity cloud-configuration"),
            std::string::npos)
      << text;
  const auto j = nlohmann::json::parse(format_json(r));
  EXPECT_EQ(j["failedStep"], "cloud-configuration");
  EXPECT_EQ(j["failedSession"], "identity");
}

TEST(DeviceReport, PrintsEachPreConfigurationResult) {
  ProvisionResult r;
  r.ok = true;
  r.device_id = "d";
  StepOutcome step{Step::PreConfiguration, true, coap::Code::Changed, "", 10, ""};
  step.session = Session::Identity;
  r.steps.push_back(step);
  PreConfigurationResult pre;
  pre.session = Session::Identity;
  pre.updates = {{"/oc/con", R"({"n":"lamp-d"})"}, {"/x.vendor/mode", R"({"m":1})"}};
  pre.results = {{"/oc/con", true, ""}, {"/x.vendor/mode", false, "4.04"}};
  pre.reported = true;
  pre.resources = {{"/oc/con", R"({"n":"lamp-d"})"}};
  r.pre_configuration = pre;

  const std::string text = format_text(r);
  EXPECT_NE(text.find("identity pre-configuration"), std::string::npos) << text;
  EXPECT_NE(text.find("pre-configuration on the identity session: 2 updates, 1 applied, report "
                      "accepted"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(R"(/oc/con                          applied {"n":"lamp-d"})"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("/x.vendor/mode                   FAILED 4.04"), std::string::npos) << text;

  const auto j = nlohmann::json::parse(format_json(r))["preConfiguration"];
  EXPECT_EQ(j["session"], "identity");
  EXPECT_EQ(j["updates"][0]["rep"]["n"], "lamp-d");
  EXPECT_EQ(j["results"][1],
            nlohmann::json({{"href", "/x.vendor/mode"}, {"ok", false}, {"error", "4.04"}}));
  EXPECT_EQ(j["results"][0], nlohmann::json({{"href", "/oc/con"}, {"ok", true}}));
  EXPECT_EQ(j["resources"]["/oc/con"]["n"], "lamp-d");
}

TEST(DeviceReport, PreConfigurationIsNullWhenItDidNotRun) {
  ProvisionResult r;
  r.ok = true;
  EXPECT_TRUE(nlohmann::json::parse(format_json(r))["preConfiguration"].is_null());
  EXPECT_EQ(format_text(r).find("pre-configuration"), std::string::npos);
}

}  // namespace
}  // namespace dps::device
