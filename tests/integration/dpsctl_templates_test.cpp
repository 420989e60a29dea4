// dpsctl enrollment-templates end to end: the real dpsctl binary against the real dps with its
// management API on, over HTTPS verified with <dataDirectory>/ca.pem. A template is made from an
// ACL file and a pre-configuration file, named by a group (`groups create --template`, with the
// proof of possession dps asks by default) and an individual enrollment, kept from deletion
// while the group names it, and the server's path-naming 400s reach the operator unchanged.
#include <sstream>

#include "support/api_client.hpp"
#include "support/dps_fixture.hpp"

namespace dps::itest {
// Named: the other dpsctl tests have file-local helpers of the same names and may share a unity
// batch.
namespace template_ctl {
namespace {

using nlohmann::json;

constexpr const char* kOwner = "7d7d7d7d-0000-4000-8000-0000000000f1";
constexpr const char* kOtherOwner = "7d7d7d7d-0000-4000-8000-0000000000f2";
constexpr const char* kHub = "c4c4c4c4-0000-4000-8000-0000000000f3";
constexpr const char* kGateway = "coaps+tcp://127.0.0.1:5684";

std::string describe(const ProcessOutput& out) {
  return "exit " + std::to_string(out.exit_code) + "\nstdout: " + out.out + "\nstderr: " + out.err;
}

const json kAcl = json::parse(R"([
  {"subject": {"role": "operator", "authority": "acme"},
   "resources": [{"href": "/light/1"}, {"wc": "+"}], "permission": 6},
  {"subject": {"conntype": "auth-crypt"}, "resources": [{"wc": "*"}], "permission": 2}
])");

const json kPreConfiguration = json::parse(R"([
  {"href": "/oic/con", "representation": {"n": "lamp-{{deviceId}}"}},
  {"href": "/light/1", "representation": {"owner": "{{owner}}", "hub": "{{hubId}}", "on": true}}
])");

class DpsctlTemplates : public DpsTest {
 protected:
  void configure(DpsConfigSpec& spec) override {
    spec.http_enabled = true;
    spec.require_proof_of_possession = true;  // dps's default: groups come with their proof
    mfg_ = make_manufacturer("itest template mfg");
  }

  /// dpsctl --server <api> --ca <ca.pem> --token <owner's admin token> `args`, with no DPS_*
  /// variable from the caller's environment.
  ProcessOutput run_as(const std::string& owner, const std::vector<std::string>& args) {
    std::vector<std::string> argv = without_dps_environment();
    argv.insert(argv.end(), {"--server", "https://127.0.0.1:" + std::to_string(dps_->api_port()),
                             "--ca", (spec_.data_dir / "ca.pem").string(), "--token",
                             admin_token(spec_.data_dir, owner)});
    argv.insert(argv.end(), args.begin(), args.end());
    return run_process(argv);
  }

  ProcessOutput run(const std::vector<std::string>& args) { return run_as(kOwner, args); }

  /// run(args + --json), expecting success and one JSON object.
  json run_json(std::vector<std::string> args, const std::string& owner = kOwner) {
    args.push_back("--json");
    const auto out = run_as(owner, args);
    EXPECT_EQ(out.exit_code, 0) << describe(out);
    std::istringstream lines(out.out);
    std::string line;
    std::getline(lines, line);
    return json::parse(line, nullptr, /*allow_exceptions=*/false);
  }

  /// Fails unless `out` exited with `code` and said `text` on stderr.
  static void expect_refused(const ProcessOutput& out, int code, const std::string& text) {
    EXPECT_EQ(out.exit_code, code) << describe(out);
    EXPECT_NE(out.err.find(text), std::string::npos) << describe(out);
  }

  std::string create_template() {
    const json created =
        run_json({"templates", "create", "--name", "lamps", "--acl-file",
                  write("acl.json", kAcl.dump()).string(), "--pre-configuration-file",
                  write("pre.json", kPreConfiguration.dump(2)).string(), "--certificate-validity",
                  "90d", "--token-lifetime", "1h"});
    EXPECT_EQ(created.value("name", ""), "lamps") << created.dump();
    EXPECT_EQ(created["accessControlList"], kAcl);
    EXPECT_EQ(created["preConfiguration"], kPreConfiguration);
    EXPECT_EQ(created.value("identityCertificateValiditySeconds", 0), 90 * 86400);
    EXPECT_EQ(created.value("tokenLifetimeSeconds", 0), 3600);
    return created.value("id", "");
  }

  std::vector<std::string> group_args(const std::string& verb) {
    return {"groups",      verb,
            "--name",      "lamps",
            "--chain",     write("chain.pem", mfg_.chain_pem()).string(),
            "--hub",       kHub,
            "--proof-key", write("intermediate.key", mfg_.intermediate.key_pem()).string()};
  }

  Manufacturer mfg_;
};

TEST_F(DpsctlTemplates, AGroupCreatedWithATemplateKeepsItFromDeletion) {
  run_json({"hubs", "create", "--hub-id", kHub, "--gateway", kGateway});
  const std::string id = create_template();
  ASSERT_FALSE(id.empty());

  // The table view names what the template holds.
  const auto table = run({"templates", "get", id});
  EXPECT_EQ(table.exit_code, 0) << describe(table);
  EXPECT_NE(table.out.find("7776000s"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("/oic/con,/light/1"), std::string::npos) << table.out;

  std::vector<std::string> create = group_args("create");
  create.insert(create.end(), {"--template", id});
  const json group = run_json(create);
  EXPECT_EQ(group.value("templateId", ""), id) << group.dump();
  const std::string group_id = group.value("id", "");

  expect_refused(run({"templates", "delete", id}), 1,
                 "enrollment template \"" + id + "\" is used by enrollment group \"" + group_id);
  EXPECT_EQ(run_json({"templates", "get", id}).value("id", ""), id);

  // An update that leaves the template out keeps it; --no-template lets it go.
  EXPECT_EQ(run_json({"groups", "update", group_id, "--name", "renamed"}).value("templateId", ""),
            id);
  EXPECT_FALSE(run_json({"groups", "update", group_id, "--no-template"}).contains("templateId"));
  const auto deleted = run({"templates", "delete", id});
  EXPECT_EQ(deleted.exit_code, 0) << describe(deleted);
  expect_refused(run({"templates", "get", id}), 4, "");
}

TEST_F(DpsctlTemplates, UpdatesIndividualEnrollmentsAndTheServersRefusals) {
  run_json({"hubs", "create", "--hub-id", kHub, "--gateway", kGateway});  // enrollments name hubs
  const std::string id = create_template();
  ASSERT_FALSE(id.empty());

  // update: what is not given is kept; "0" goes back to the default.
  const json updated = run_json({"templates", "update", id, "--certificate-validity", "0"});
  EXPECT_EQ(updated.value("identityCertificateValiditySeconds", -1), 0);
  EXPECT_EQ(updated.value("tokenLifetimeSeconds", 0), 3600);
  EXPECT_EQ(updated["accessControlList"], kAcl);

  const json individual = run_json({"individual", "create", "--key-hash", std::string(64, 'b'),
                                    "--hub", kHub, "--template", id});
  EXPECT_EQ(individual.value("templateId", ""), id) << individual.dump();
  const std::string individual_id = individual.value("id", "");
  EXPECT_FALSE(
      run_json({"individual", "update", individual_id, "--no-template"}).contains("templateId"));

  // The server's precise messages reach the operator.
  json bad_acl = kAcl;
  bad_acl[1]["permission"] = 32;
  expect_refused(run({"templates", "update", id, "--acl-file",
                      write("bad-acl.json", bad_acl.dump()).string()}),
                 1, "accessControlList[1].permission: must be 0..31, got 32");
  json bad_pre = kPreConfiguration;
  bad_pre[0]["href"] = "/a/../b";
  expect_refused(run({"templates", "update", id, "--pre-configuration-file",
                      write("bad-pre.json", bad_pre.dump()).string()}),
                 1, "preConfiguration[0].href: has a \".\" or \"..\" segment");
  expect_refused(run({"templates", "update", id, "--token-lifetime", "10s"}), 1,
                 "tokenLifetimeSeconds: must be 0 (the default) or 60..31536000, got 10");
  // Local mistakes are usage errors, caught before any request.
  expect_refused(
      run({"templates", "create", "--name", "x", "--acl-file", write("not.json", "{").string()}), 2,
      "--acl-file: ");
  expect_refused(run({"templates", "create", "--name", "x", "--pre-configuration-file",
                      write("object.json", "{}").string()}),
                 2, "must hold a JSON array");
  expect_refused(run({"templates", "create", "--name", "x", "--token-lifetime", "1 fortnight"}), 2,
                 "");

  // Another owner can neither see the template nor name it.
  expect_refused(run_as(kOtherOwner, {"templates", "get", id}), 4, "");
  expect_refused(run_as(kOtherOwner, {"individual", "create", "--key-hash", std::string(64, 'c'),
                                      "--hub", kHub, "--template", id}),
                 1, "templateId: no template \"" + id + "\"");
}

}  // namespace
}  // namespace template_ctl
}  // namespace dps::itest
