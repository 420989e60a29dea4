// Enrollment templates reaching devices through the real dps (device-protocol "Pre-configuration
// of device resources", "ACLs from a template"): an owner's template with an extra ACE and
// resource updates naming {{deviceId}} and {{hubId}}, a group naming it, and devices that ask
// for their pre-configuration on the manufacturer or the identity session (the library and the
// dps-device CLI), one that updates a resource it lacks, and one that never asks (a plgd device),
// checked on the device and in the owner's provisioning records.
//
// Not here: owner B's group naming owner A's template is refused with 400 "templateId: no
// template" by the API (EnrollmentTemplates.AnotherOwnersTemplateIsAMissingOne, tests/unit/api).
#include <algorithm>
#include <nlohmann/json.hpp>

#include "device/report.hpp"
#include "support/api_fixture.hpp"
#include "support/dps_process.hpp"

namespace dps::itest {
// Named: integration tests share unity batches, where file-local names of two files meet.
namespace template_flow {
namespace {

using device::ProvisionResult;
using device::Session;
using device::Step;
using nlohmann::json;

constexpr const char* kTemplatesPath = "/api/v1/enrollment-templates";

/// The ACE every device of the template's group gets besides dps's own: an operator's client.
const json kTemplateAce = json::parse(R"({
  "subject": {"uuid": "0f0f0f0f-0000-4000-8000-0000000000ee"},
  "resources": [{"href": "/light/1"}], "permission": 6})");

const json kUpdates = json::parse(R"([
  {"href": "/oc/con", "representation": {"n": "plant-{{deviceId}}", "locn": "hall 4"}},
  {"href": "/light/1", "representation": {"name": "served by {{hubId}}", "state": true}}
])");

json step_names(const ProvisionResult& result) {
  json names = json::array();
  for (const auto& s : result.steps) names.push_back(device::step_name(s.step, s.session));
  return names;
}

class TemplateFlow : public ApiTest {
 protected:
  /// kApiHub, a template holding `ace` and `updates`, and a group of api_mfg_ naming it.
  void enroll_with_template(const json& updates, const json& ace = kTemplateAce) {
    create(kHubsPath, hub_body(kApiHub), kOwnerA);
    const json created = create(kTemplatesPath,
                                {{"name", "plant"},
                                 {"accessControlList", json::array({ace})},
                                 {"preConfiguration", updates}},
                                kOwnerA);
    template_id_ = created.value("id", "");
    json group = group_body(kApiHub);
    group["templateId"] = template_id_;
    const json named = create(kGroupsPath, group, kOwnerA);
    EXPECT_EQ(named.value("templateId", ""), template_id_) << named.dump();
  }

  /// A device of its own (own leaf: own device id and record) under api_mfg_'s intermediate.
  device::ClientTlsOptions device_tls(const std::string& cn) const {
    return tls_for(api_mfg_leaf(cn), &api_mfg_.intermediate);
  }

  /// Provisions; with `session` set, asks for the pre-configuration there.
  ProvisionResult provision_asking(const device::ClientTlsOptions& tls,
                                   std::optional<Session> session) {
    auto config = device_config();
    config.pre_configuration = session == Session::Manufacturer;
    std::optional<device::IdentitySessionSteps> identity;
    if (session == Session::Identity)
      identity = device::IdentitySessionSteps{true, true, false, true};
    return device::provision_blocking(config, tls, identity);
  }

  /// Owner A's record of `device_id` from the management API (null when none).
  json record_of_device(const std::string& device_id) {
    const auto found =
        list(std::string(kRecordsPath) + "?deviceIdFilter=" + device_id, token_of(kOwnerA));
    EXPECT_EQ(found.size(), 1u) << device_id;
    return found.empty() ? json() : found.front();
  }

  static json resource(const ProvisionResult& result, const std::string& href) {
    if (!result.pre_configuration) return json();
    const auto& tree = result.pre_configuration->resources;
    auto it = tree.find(href);
    return it == tree.end() ? json() : json::parse(it->second, nullptr, false);
  }

  /// The ACL answer the device accepted holds the template's ACE as OCF's oic.sec.ace2, and the
  /// record's ACL section (plgd's AccessControl) lists what the device received.
  void expect_template_ace_sent(const json& record, const ProvisionResult& result) {
    json answer;
    for (const auto& s : result.steps) {
      if (s.step == Step::Acls && s.session == Session::Manufacturer) {
        answer = json::parse(s.payload, nullptr, false);
      }
    }
    const json expected = {{"subject", kTemplateAce["subject"]},
                           {"resources", {{{"href", "/light/1"}, {"if", {"*"}}}}},
                           {"permission", 6},
                           {"tag", "dps"}};
    const json aces = answer.is_object() ? answer.value("aclist2", json::array()) : json();
    EXPECT_EQ(std::count(aces.begin(), aces.end(), expected), 1) << answer.dump();

    const json acl = record.value("acl", json::object()).value("accessControlList", json::array());
    EXPECT_EQ(acl.size(), result.ace_count) << acl.dump();
    const json plgd_form = {
        {"deviceSubject", {{"deviceId", kTemplateAce["subject"]["uuid"]}}},
        {"permissions", {"READ", "WRITE"}},
        {"resources", {{{"href", "/light/1"}, {"interfaces", {"*"}}, {"wildcard", "NONE"}}}}};
    EXPECT_EQ(std::count(acl.begin(), acl.end(), plgd_form), 1) << acl.dump();
  }

  std::string template_id_;
};

class TemplateFlowSession : public TemplateFlow, public ::testing::WithParamInterface<Session> {};

TEST_P(TemplateFlowSession, DeviceAppliesTheSubstitutedUpdatesAndTheRecordKeepsItsReport) {
  enroll_with_template(kUpdates);
  const auto result = provision_asking(device_tls("templated device"), GetParam());
  ASSERT_TRUE(result.ok) << result.error << "\n" << device::format_text(result);
  const std::string& id = result.device_id;

  // The step ran once, last, on the session asked for.
  const json names = step_names(result);
  ASSERT_FALSE(names.empty());
  EXPECT_EQ(names.back(), device::step_name(Step::PreConfiguration, GetParam())) << names.dump();
  EXPECT_EQ(
      std::count(names.begin(), names.end(), device::step_name(Step::PreConfiguration, GetParam())),
      1);

  // The device's tree holds dps's substitutions; what the update left out is kept.
  ASSERT_TRUE(result.pre_configuration);
  const auto& pre = *result.pre_configuration;
  EXPECT_EQ(pre.session, GetParam());
  EXPECT_TRUE(pre.reported);
  EXPECT_EQ(resource(result, "/oc/con")["n"], "plant-" + id);
  EXPECT_EQ(resource(result, "/oc/con")["locn"], "hall 4");
  EXPECT_EQ(resource(result, "/light/1")["name"], std::string("served by ") + kApiHub);
  EXPECT_EQ(resource(result, "/light/1")["state"], true);
  EXPECT_EQ(resource(result, "/light/1")["power"], 0);
  EXPECT_EQ(resource(result, "/oic/d")["n"], "dps-device");
  ASSERT_EQ(pre.results.size(), 2u);
  EXPECT_TRUE(pre.results[0].ok && pre.results[1].ok);

  const json record = record_of_device(id);
  expect_template_ace_sent(record, result);
  ASSERT_TRUE(record.contains("preConfiguration")) << record.dump();
  const json& section = record["preConfiguration"];
  EXPECT_EQ(section["updates"],
            json::parse(R"([{"href": "/oc/con", "representation": {"n": "plant-)" + id +
                        R"(", "locn": "hall 4"}}, {"href": "/light/1", "representation": )"
                        R"({"name": "served by )" +
                        kApiHub + R"(", "state": true}}])"))
      << section.dump();
  EXPECT_EQ(section["results"], json::parse(R"([{"href": "/oc/con", "ok": true},
                                                {"href": "/light/1", "ok": true}])"))
      << section.dump();
}

INSTANTIATE_TEST_SUITE_P(OnEachSession, TemplateFlowSession,
                         ::testing::Values(Session::Manufacturer, Session::Identity),
                         [](const auto& p) { return std::string(to_string(p.param)); });

TEST_F(TemplateFlow, UpdatesOfResourcesTheDeviceLacksOrCannotChangeAreReportedFailed) {
  json updates = kUpdates;
  updates.push_back({{"href", "/x.vendor/mode"}, {"representation", {{"mode", "eco"}}}});
  updates.push_back({{"href", "/oic/d"}, {"representation", {{"n", "renamed"}}}});
  enroll_with_template(updates);
  const auto result = provision_asking(device_tls("lacking device"), Session::Manufacturer);
  // The step succeeds: the device answered; its resources refused.
  ASSERT_TRUE(result.ok) << result.error;
  ASSERT_TRUE(result.pre_configuration);
  const auto& pre = *result.pre_configuration;
  ASSERT_EQ(pre.results.size(), 4u);
  EXPECT_EQ(pre.results[2], (device::ResourceUpdateResult{"/x.vendor/mode", false, "4.04"}));
  EXPECT_EQ(pre.results[3], (device::ResourceUpdateResult{"/oic/d", false, "4.05"}));
  EXPECT_EQ(resource(result, "/x.vendor/mode"), json());  // an update creates nothing
  EXPECT_EQ(resource(result, "/oic/d")["n"], "dps-device");
  EXPECT_EQ(resource(result, "/oc/con")["n"], "plant-" + result.device_id);

  const json record = record_of_device(result.device_id);
  EXPECT_EQ(record["preConfiguration"]["results"], json::parse(R"([
      {"href": "/oc/con", "ok": true}, {"href": "/light/1", "ok": true},
      {"href": "/x.vendor/mode", "ok": false, "error": "4.04"},
      {"href": "/oic/d", "ok": false, "error": "4.05"}])"))
      << record.dump();
  EXPECT_EQ(record["preConfiguration"]["updates"].size(), 4u) << record.dump();
}

TEST_F(TemplateFlow, ADeviceThatDoesNotAskProvisionsAsBefore) {
  enroll_with_template(kUpdates);
  for (const auto session : {std::optional<Session>{}, std::optional<Session>{Session::Identity}}) {
    // Identity session without pre-configuration: cloud-configuration and acls only.
    auto config = device_config();
    std::optional<device::IdentitySessionSteps> identity;
    if (session) identity = device::IdentitySessionSteps{true, true, false, false};
    const auto result = device::provision_blocking(
        config, device_tls(session ? "plain identity device" : "plain device"), identity);
    ASSERT_TRUE(result.ok) << result.error;
    json expected = {"time", "ownership", "cloud-configuration", "credentials", "acls"};
    if (session) expected.insert(expected.end(), {"identity cloud-configuration", "identity acls"});
    EXPECT_EQ(step_names(result), expected);
    EXPECT_FALSE(result.pre_configuration);

    const json record = record_of_device(result.device_id);
    expect_template_ace_sent(record, result);  // the template's ACE reaches every device
    EXPECT_FALSE(record.contains("preConfiguration")) << record.dump();
  }
}

// oic.sec.ace2's role subject is oic.sec.roletype, flat: {"role", "authority"}. iotivity-lite
// reads both as text strings (oc_acl.c), so a nested {"role": {"role", "authority"}} would be
// undefined behaviour on the device (the device's checks refuse it; the API accepts only the flat
// form and stores it as sent).
TEST_F(TemplateFlow, RoleSubjectReachesTheDeviceInOcfForm) {
  const json ace = json::parse(R"({"subject": {"role": "operator", "authority": "acme"},
                                   "resources": [{"href": "/light/1"}], "permission": 6})");
  enroll_with_template(kUpdates, ace);
  const auto result = provision_asking(device_tls("role device"), std::nullopt);
  ASSERT_TRUE(result.ok) << result.error;
  const json answer = json::parse(result.steps.at(4).payload, nullptr, false);
  const json expected = {{"subject", {{"role", "operator"}, {"authority", "acme"}}},
                         {"resources", {{{"href", "/light/1"}, {"if", {"*"}}}}},
                         {"permission", 6},
                         {"tag", "dps"}};
  const json aces = answer.value("aclist2", json::array());
  EXPECT_EQ(std::count(aces.begin(), aces.end(), expected), 1) << answer.dump();
  const json record = record_of_device(result.device_id);
  const json acl = record["acl"]["accessControlList"];
  const json role = {{"role", "operator"}, {"authority", "acme"}};
  EXPECT_EQ(std::count_if(acl.begin(), acl.end(),
                          [&](const json& a) { return a.value("roleSubject", json()) == role; }),
            1)
      << acl.dump();
}

TEST_F(TemplateFlow, DpsDeviceCliPrintsEachResultAndItsJson) {
  json updates = kUpdates;
  updates.push_back({{"href", "/x.vendor/mode"}, {"representation", {{"mode", "eco"}}}});
  enroll_with_template(updates);
  const auto leaf = api_mfg_leaf("cli device");
  auto args = [&](bool json_output, bool identity) {
    std::vector<std::string> argv{
        dps_device_binary().string(),
        "provision",
        "--server",
        "127.0.0.1:" + std::to_string(dps_->port()),
        "--cert",
        write("cli.pem", leaf.cert_pem() + api_mfg_.intermediate.cert_pem()).string(),
        "--key",
        write("cli.key", leaf.key_pem()).string(),
        "--ca",
        (spec_.data_dir / "ca.pem").string(),
        "--pre-configuration"};
    if (identity) argv.push_back("--identity-session");
    if (json_output) argv.push_back("--json");
    return argv;
  };

  const auto text = run_process(args(false, false));
  ASSERT_EQ(text.exit_code, 0) << text.out << text.err;
  EXPECT_NE(text.out.find("pre-configuration on the manufacturer session: 3 updates, 2 applied, "
                          "report accepted"),
            std::string::npos)
      << text.out;
  EXPECT_NE(text.out.find("/x.vendor/mode                   FAILED 4.04"), std::string::npos)
      << text.out;
  EXPECT_NE(text.out.find("/oc/con                          applied {\"locn\":\"hall 4\""),
            std::string::npos)
      << text.out;

  const auto out = run_process(args(true, true));
  ASSERT_EQ(out.exit_code, 0) << out.out << out.err;
  const json report = json::parse(out.out, nullptr, false);
  ASSERT_TRUE(report.is_object()) << out.out;
  const json& pre = report["preConfiguration"];
  EXPECT_EQ(pre["session"], "identity") << out.out;
  EXPECT_EQ(pre["results"][2],
            json({{"href", "/x.vendor/mode"}, {"ok", false}, {"error", "4.04"}}));
  EXPECT_EQ(pre["resources"]["/oc/con"]["n"], "plant-" + report["deviceId"].get<std::string>());
  // On the identity session only: the manufacturer session ends with acls.
  EXPECT_EQ(report["steps"][4]["step"], "acls");
  EXPECT_EQ(report["steps"].back()["step"], "pre-configuration");
  EXPECT_EQ(report["steps"].back()["session"], "identity");
}

}  // namespace
}  // namespace template_flow
}  // namespace dps::itest
