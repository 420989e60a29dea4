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

}  // namespace
}  // namespace dps::device
