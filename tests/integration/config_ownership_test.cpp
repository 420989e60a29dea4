// Who owns what (issue 15): the enrollment groups and hubs of the config file are upserted at
// every start, so an API change to one would be undone by the next restart without a word. The
// API refuses such writes naming the file, through dpsctl too, and marks the objects; groups made
// through the API stay the API's. And hub references are checked when written (unknown hubId,
// record id for a hubId, deleting a hub a group names), through dpsctl.
#include <gtest/gtest.h>

#include <filesystem>

#include "support/api_fixture.hpp"
#include "support/dps_process.hpp"

namespace dps::itest {
namespace {

using nlohmann::json;

constexpr const char* kConfigOwner = "1";  // owner of the fixture's config group (GroupSpec)
constexpr const char* kNoHub = "0e0e0e0e-0000-4000-8000-00000000000e";

class ConfigOwnership : public ApiTest {
 protected:
  /// dpsctl against this dps as `owner`, from an environment without DPS_* variables.
  ProcessOutput dpsctl(const std::vector<std::string>& args,
                       const std::string& owner = kConfigOwner) const {
    std::vector<std::string> argv = without_dps_environment();
    argv.insert(argv.end(),
                {"--server", "https://127.0.0.1:" + std::to_string(dps_->api_port()), "--ca",
                 (spec_.data_dir / "ca.pem").string(), "--token", token_of(owner)});
    argv.insert(argv.end(), args.begin(), args.end());
    return run_process(argv);
  }

  static std::string describe(const ProcessOutput& out) {
    return "exit " + std::to_string(out.exit_code) + "\nstdout: " + out.out +
           "\nstderr: " + out.err;
  }

  std::string refusal() const {
    return std::string("enrollment group ") + kGroupId + " is defined in the config file " +
           std::filesystem::absolute(config_path_).lexically_normal().string() +
           " (enrollmentGroups); change it there and restart dps";
  }

  json config_group(const std::string& token) const {
    const auto groups = list(std::string(kGroupsPath) + "?idFilter=" + kGroupId, token);
    return groups.size() == 1 ? groups.front() : json();
  }
};

TEST_F(ConfigOwnership, WritesToTheConfigFilesObjectsAreRefusedAndARestartKeepsThem) {
  const std::string token = token_of(kConfigOwner);
  ASSERT_EQ(config_group(token).value("managedBy", ""), "configFile");

  const auto disabled = dpsctl({"groups", "update", kGroupId, "--disabled"});
  EXPECT_NE(disabled.exit_code, 0) << describe(disabled);
  EXPECT_NE(disabled.err.find(refusal()), std::string::npos) << describe(disabled);

  json body = group_body(mfg_, {kHubA});
  body["disabled"] = true;
  EXPECT_TRUE(
      is_api_error(call(Verb::put, std::string(kGroupsPath) + "/" + kGroupId, token, body.dump()),
                   409, 6, refusal()));
  EXPECT_TRUE(
      is_api_error(call(Verb::delete_, std::string(kGroupsPath) + "?idFilter=" + kGroupId, token),
                   409, 6, refusal()));
  // The config's hub: its record id is its hubId (HubSpec).
  const auto hubs = list(kHubsPath, token);
  ASSERT_EQ(hubs.size(), 1u);
  EXPECT_EQ(hubs.front().value("managedBy", ""), "configFile");
  EXPECT_TRUE(is_api_error(
      call(Verb::put, std::string(kHubsPath) + "/" + kHubA, token, hub_body(kHubA).dump()), 409, 6,
      std::string("hub ") + kHubA + " is defined in the config file "));

  EXPECT_FALSE(config_group(token).value("disabled", true));
  EXPECT_TRUE(provision(default_tls()).ok);  // the group still admits its devices

  stop_dps();
  start_dps();
  const json after = config_group(token_of(kConfigOwner));
  EXPECT_FALSE(after.value("disabled", true)) << after.dump();
  EXPECT_EQ(after.value("managedBy", ""), "configFile");
  EXPECT_TRUE(provision(default_tls()).ok);
}

TEST_F(ConfigOwnership, GroupsMadeThroughTheApiStayTheApis) {
  const json group = enroll_api_mfg(kOwnerA);
  const std::string id = group["id"];
  EXPECT_FALSE(group.contains("managedBy"));
  const auto disabled = dpsctl({"groups", "update", id, "--disabled"}, kOwnerA);
  ASSERT_EQ(disabled.exit_code, 0) << describe(disabled);

  stop_dps();
  start_dps();
  const auto groups = list(std::string(kGroupsPath) + "?idFilter=" + id, token_of(kOwnerA));
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_TRUE(groups.front().value("disabled", false)) << groups.front().dump();
  EXPECT_FALSE(groups.front().contains("managedBy"));
}

TEST_F(ConfigOwnership, HubReferencesAreCheckedWhenWritten) {
  const json group = enroll_api_mfg(kOwnerA);  // names kApiHub
  const std::string id = group["id"];
  const auto hubs = list(kHubsPath, token_of(kOwnerA));
  ASSERT_EQ(hubs.size(), 1u);
  const std::string record_id = hubs.front()["id"];

  const auto unknown = dpsctl({"groups", "update", id, "--hub", kNoHub}, kOwnerA);
  EXPECT_NE(unknown.exit_code, 0);
  EXPECT_NE(unknown.err.find(std::string("hubIds[0]: no hub with hubId \"") + kNoHub + "\""),
            std::string::npos)
      << describe(unknown);

  const auto by_record = dpsctl({"groups", "update", id, "--hub", record_id}, kOwnerA);
  EXPECT_NE(by_record.exit_code, 0);
  EXPECT_NE(
      by_record.err.find("hubIds[0]: \"" + record_id + "\" is the record id of hub \"" + kApiHub +
                         "\"; groups name hubs by their hubId (\"" + kApiHub + "\")"),
      std::string::npos)
      << describe(by_record);

  // The config owner's hub kHubA is another owner's: as absent as any.
  const auto foreign = dpsctl({"groups", "update", id, "--hub", kHubA}, kOwnerA);
  EXPECT_NE(foreign.err.find(std::string("no hub with hubId \"") + kHubA + "\""), std::string::npos)
      << describe(foreign);

  const auto removed = dpsctl({"hubs", "delete", record_id}, kOwnerA);
  EXPECT_NE(removed.exit_code, 0);
  EXPECT_NE(removed.err.find("deleting hub " + record_id + " (hubId \"" + kApiHub +
                             "\") is refused: enrollment group " + id + " name it"),
            std::string::npos)
      << describe(removed);
  EXPECT_EQ(list(kHubsPath, token_of(kOwnerA)).size(), 1u);
  EXPECT_TRUE(provision(api_mfg_tls()).ok);  // the group still reaches its hub
}

}  // namespace
}  // namespace dps::itest
