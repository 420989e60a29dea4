#include "api_fixture.hpp"

#include <cctype>

namespace dps::itest {

using nlohmann::json;

std::string upper(std::string text) {
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

::testing::AssertionResult is_api_error(const HttpAnswer& answer, unsigned status, int code,
                                        std::string_view message_part) {
  const json body = answer.object();
  auto failure = [&] {
    return ::testing::AssertionFailure()
           << "expected " << status << " {code " << code << ", message containing \""
           << message_part << "\", details []}, got " << answer.status << " " << answer.body;
  };
  if (answer.status != status || !body.is_object() || body.size() != 3) return failure();
  const auto message = body.find("message");
  if (body.value("code", -1) != code || message == body.end() || !message->is_string() ||
      body.value("details", json()) != json::array()) {
    return failure();
  }
  if (message->get<std::string>().find(message_part) == std::string::npos) return failure();
  return ::testing::AssertionSuccess();
}

void ApiTest::configure(DpsConfigSpec& spec) {
  spec.http_enabled = true;
  api_mfg_ = make_manufacturer("itest api mfg");
}

ApiClient ApiTest::api() const {
  if (!dps_) throw std::runtime_error("dps is not running");
  return ApiClient(dps_->api_port(), server_ca_pem_);
}

std::string ApiTest::token_of(const std::string& owner) const {
  return admin_token(spec_.data_dir, owner);
}

std::vector<json> ApiTest::list(const std::string& target, const std::string& token) const {
  const auto answer = call(Verb::get, target, token);
  EXPECT_EQ(answer.status, 200u) << target << ": " << answer.body;
  std::vector<json> out;
  for (auto& line : answer.lines()) {
    EXPECT_TRUE(line.is_object() && line.size() == 1 && line.contains("result"))
        << target << ": " << line.dump();
    if (line.contains("result")) out.push_back(std::move(line["result"]));
  }
  return out;
}

json ApiTest::hub_body(const std::string& hub_id, const std::string& gateway) {
  return {{"hubId", hub_id},
          {"gateways", {gateway}},
          {"authorization",
           {{"ownerClaim", "https://plgd.dev/owner"}, {"provider", {{"name", "plgd"}}}}}};
}

json ApiTest::group_body(const Manufacturer& mfg, const std::vector<std::string>& hub_ids) {
  return {{"attestationMechanism", {{"x509", {{"certificateChain", mfg.chain_pem()}}}}},
          {"hubIds", hub_ids}};
}

json ApiTest::create(const std::string& path, const json& body, const std::string& owner) {
  const auto answer = call(Verb::post, path, token_of(owner), body.dump());
  EXPECT_EQ(answer.status, 200u) << path << ": " << answer.body;
  json created = answer.object();
  EXPECT_TRUE(created.is_object() && created.contains("id")) << answer.body;
  return created;
}

json ApiTest::enroll_api_mfg(const std::string& owner) {
  create(kHubsPath, hub_body(kApiHub), owner);
  return create(kGroupsPath, group_body(kApiHub), owner);
}

json ApiTest::put_group(const std::string& group_id, const json& fields) {
  json body = group_body(kApiHub);
  body.update(fields);
  const auto answer =
      call(Verb::put, std::string(kGroupsPath) + "/" + group_id, token_of(kOwnerA), body.dump());
  EXPECT_EQ(answer.status, 200u) << answer.body;
  return answer.object();
}

test::TestCert ApiTest::api_mfg_leaf(const std::string& cn) const {
  test::LeafOptions options;
  options.common_name = cn;
  return test::make_leaf(api_mfg_.intermediate, options);
}

}  // namespace dps::itest
