// The web console in a real browser: dps (this fixture's, with the management API on TLS) and
// Debian's headless Chromium driven by puppeteer-core (tests/browser, npm ci'd by the test
// command). The scripts do the clicking and report through their exit code; this harness makes
// the PKI, provisions what a page must show, and hands both over in environment variables.
// Screenshots land in <build>/console-screenshots (the docs' images come from there).
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "support/api_fixture.hpp"
#include "support/oauth_server.hpp"
#include "support/random_hex.hpp"

namespace dps::itest {
namespace {

namespace fs = std::filesystem;

const fs::path kBrowserTests = DPS_BROWSER_TEST_DIR;
const fs::path kScreenshots = DPS_CONSOLE_SCREENSHOT_DIR;

class ConsoleBrowser : public ApiTest {
 protected:
  void SetUp() override {
    if (!fs::exists(kBrowserTests / "node_modules" / "puppeteer-core")) {
      GTEST_FAIL() << "puppeteer-core is not installed: run `npm ci --prefix tests/browser` "
                      "(scripts/test.sh does)";
    }
    ApiTest::SetUp();
    fs::create_directories(kScreenshots);
  }

  std::string console_url() const {
    return "https://127.0.0.1:" + std::to_string(dps_->api_port()) + "/console/";
  }

  /// `dps-device provision` of `leaf` (with api_mfg_'s intermediate) as one shell command line.
  std::string provision_command(const test::TestCert& leaf, const std::string& name) const {
    const auto cert = write(name + ".pem", leaf.cert_pem() + api_mfg_.intermediate.cert_pem());
    const auto key = write(name + ".key", leaf.key_pem());
    return dps_device_binary().string() +
           " provision --json --server 127.0.0.1:" + std::to_string(dps_->port()) + " --cert " +
           cert.string() + " --key " + key.string() + " --ca " +
           (spec_.data_dir / "ca.pem").string();
  }

  /// Runs `node tests/browser/<script>` with `env` added; the script's output on failure.
  void run_browser_script(const std::string& script,
                          const std::vector<std::pair<std::string, std::string>>& env) const {
    std::vector<std::string> argv = {"/usr/bin/env"};  // posix_spawn: no PATH search
    for (const auto& [name, value] : env) argv.push_back(name + "=" + value);
    argv.push_back("DPS_SCREENSHOT_DIR=" + kScreenshots.string());
    argv.push_back("node");
    argv.push_back((kBrowserTests / script).string());
    const auto out = run_process(argv, std::chrono::seconds(170));
    EXPECT_EQ(out.exit_code, 0) << script << " failed:\n" << out.out << "\n" << out.err;
    std::cout << out.out;
  }
};

// Sign in, a hub and a group created from PEM files with the proof of possession, a device
// provisioned and its record shown, the device revoked and refused, Explain on an admitted and a
// refused certificate, and hostile text shown as text (console_flow.mjs says each step).
TEST_F(ConsoleBrowser, OperatorFlowFromSignInToRevocationAndExplain) {
  const auto device = api_mfg_leaf("console flow device");
  const auto second = api_mfg_leaf("console second device");
  run_browser_script(
      "console_flow.mjs",
      {{"DPS_CONSOLE_URL", console_url()},
       {"DPS_ADMIN_TOKEN", token_of(kOwnerA)},
       {"DPS_OTHER_OWNER_TOKEN", token_of(kOwnerB)},
       {"DPS_CHAIN_PEM", write("chain.pem", api_mfg_.chain_pem()).string()},
       {"DPS_LEAD_CERT_PEM", write("lead.pem", api_mfg_.intermediate.cert_pem()).string()},
       {"DPS_LEAD_KEY_PEM", write("lead.key", api_mfg_.intermediate.key_pem()).string()},
       {"DPS_DEVICE_CERT_PEM", write("device-only.pem", device.cert_pem()).string()},
       {"DPS_DEVICE_PROVISION", provision_command(device, "flow-device")},
       {"DPS_SECOND_DEVICE_CERT", write("second.pem", second.cert_pem()).string()}});
}

// The pages that show what devices did: records with every step, the live view, individual
// enrollments and templates, and the reconnecting state (console_pages.mjs).
TEST_F(ConsoleBrowser, RecordsLiveIndividualAndTemplatePages) {
  enroll_api_mfg(kOwnerA);
  const auto device = api_mfg_leaf("console pages device");
  const auto out = run_process({"/bin/sh", "-c", provision_command(device, "pages-device")});
  ASSERT_EQ(out.exit_code, 0) << out.out << out.err;
  const auto report = nlohmann::json::parse(out.out);
  const auto individual = api_mfg_leaf("console individual device");
  run_browser_script(
      "console_pages.mjs",
      {{"DPS_CONSOLE_URL", console_url()},
       {"DPS_ADMIN_TOKEN", token_of(kOwnerA)},
       {"DPS_RECORD_DEVICE_ID", report.at("deviceId").get<std::string>()},
       {"DPS_DEVICE_CERT_PEM", write("individual.pem", individual.cert_pem()).string()}});
}

// "Sign in with <authority>": the console as a public client of a real OpenID Connect server
// (oidc-provider, tests/support/oauth), authorization code + PKCE, the authority's JWT accepted
// by the API for the account's owner (`sub`) and required audience, the token in sessionStorage
// only, and forged or replayed redirects back refused (console_oidc.mjs says each step). The
// groups are made first with dps's admin tokens; dps then restarts trusting the authority and
// requiring its audience. dps's port is chosen when it starts, so the test client accepts its
// redirect URI https://127.0.0.1/console/ on any loopback port (RFC 8252 §7.3's rule).
TEST_F(ConsoleBrowser, SignsInWithOpenIdConnectAuthorizationCodeAndPkce) {
  const std::string audience = "https://dps.test/api";
  const auto own = enroll_api_mfg(kOwnerA);
  create(kHubsPath, hub_body(kApiHub2), kOwnerB);
  const auto other =
      create(kGroupsPath, group_body(make_manufacturer("oidc other mfg"), {kApiHub2}), kOwnerB);

  test::OAuthServerOptions options;
  options.audiences = {audience};
  const std::string password = "pw " + test::random_hex(8);
  options.interactive_clients = {{.id = "dps-console",
                                  .redirect_uris = {"https://127.0.0.1/console/"},
                                  .any_loopback_port = true,
                                  .audience = audience,
                                  .accounts = {{.login = "alice",
                                                .password = password,
                                                .sub = kOwnerA,
                                                .claims = {{"name", "Alice"}}}}}};
  test::OAuthServer authority(options);

  stop_dps();
  spec_.api_authorities = {authority.authority()};
  spec_.api_audience = audience;
  spec_.console_oidc_client_id = "dps-console";
  start_dps();

  run_browser_script("console_oidc.mjs",
                     {{"DPS_CONSOLE_URL", console_url()},
                      {"DPS_OIDC_AUTHORITY", authority.authority()},
                      {"DPS_OIDC_LOGIN", "alice"},
                      {"DPS_OIDC_PASSWORD", password},
                      {"DPS_OIDC_OWNER", kOwnerA},
                      {"DPS_OIDC_AUDIENCE", audience},
                      {"DPS_OWN_GROUP_ID", own.at("id").get<std::string>()},
                      {"DPS_OTHER_GROUP_ID", other.at("id").get<std::string>()}});
}

}  // namespace
}  // namespace dps::itest
