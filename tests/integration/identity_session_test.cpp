// The identity session against the real dps (device-protocol §1): a provisioned device comes back
// with the certificate dps issued it, refreshes its hub token, fetches its ACLs and renews that
// certificate; ownership and another device's id are refused there; dps-device does the same from
// the command line.
#include <sys/stat.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "auth/base64url.hpp"
#include "device/identity_files.hpp"
#include "support/dps_fixture.hpp"

namespace dps::itest {
namespace {

using coap::Code;
using device::IdentitySessionSteps;
using device::ProvisionResult;
using device::Session;
using device::Step;
using nlohmann::json;

json jwt_claims(const std::string& jwt) {
  const size_t first = jwt.find('.');
  const size_t second = jwt.find('.', first + 1);
  if (first == std::string::npos || second == std::string::npos) return json();
  const auto payload = auth::base64url_decode(jwt.substr(first + 1, second - first - 1));
  return json::parse(payload.value_or("null"), nullptr, /*allow_exceptions=*/false);
}

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class IdentitySession : public DpsTest {
 protected:
  /// How a device trusts dps: its CA only (the client certificate comes with the identity).
  device::ClientTlsOptions trust(bool tls12 = false) const {
    device::ClientTlsOptions options;
    options.ca_pem = server_ca_pem_;
    options.force_tls12 = tls12;
    return options;
  }

  /// A device coming back later with `identity`, sending `di` (its own id unless told otherwise).
  ProvisionResult come_back(const device::IssuedCredentials& identity, IdentitySessionSteps steps,
                            std::string di = {}) {
    auto config = device_config();
    config.device_id = di.empty() ? identity.subject_uuid : std::move(di);
    return device::identity_session_blocking(config, identity, trust(), steps);
  }

  ProvisionResult provisioned(const device::ClientTlsOptions& tls) {
    auto result = provision(tls);
    EXPECT_TRUE(result.ok) << result.error;
    return result;
  }

  /// The identity steps of `result`, in order.
  static std::vector<device::StepOutcome> identity_steps(const ProvisionResult& result) {
    std::vector<device::StepOutcome> steps;
    for (const auto& s : result.steps) {
      if (s.session == Session::Identity) steps.push_back(s);
    }
    return steps;
  }
};

class IdentitySessionTls : public IdentitySession, public ::testing::WithParamInterface<bool> {};

TEST_P(IdentitySessionTls, RefreshesTheHubTokenAndFetchesAcls) {
  auto tls = device::ClientTls::create(default_tls(GetParam()));
  ASSERT_TRUE(tls) << tls.error().internal;
  device::Provisioner device(device_config(), *tls);
  const auto first = run_coro<ProvisionResult>(
      [&]() -> awaitable<ProvisionResult> { co_return co_await device.run(); });
  ASSERT_TRUE(first.ok) << first.error;
  const auto first_claims = jwt_claims(first.hub.at);

  const auto after = run_coro<ProvisionResult>([&]() -> awaitable<ProvisionResult> {
    co_return co_await device.identity_session(first.credentials, trust(GetParam()),
                                               IdentitySessionSteps{true, true, false});
  });
  ASSERT_TRUE(after.ok) << after.error;
  const auto steps = identity_steps(after);
  ASSERT_EQ(steps.size(), 2u);
  EXPECT_EQ(steps[0].step, Step::CloudConfiguration);
  EXPECT_EQ(steps[0].code, Code::Changed);
  EXPECT_EQ(steps[1].step, Step::Acls);
  EXPECT_EQ(steps[1].code, Code::Content);
  EXPECT_EQ(after.steps.size(), 7u) << "the manufacturer session's five steps come first";

  // The refreshed token: a hub token for this device that is valid now, issued no earlier than
  // the first one (the same token only if dps cached it, and then still valid).
  EXPECT_EQ(after.hub.sid, kHubA);
  EXPECT_EQ(after.hub.cis, kGatewayA);
  const auto claims = jwt_claims(after.hub.at);
  ASSERT_TRUE(claims.is_object()) << after.hub.at;
  EXPECT_GT(claims.value("exp", int64_t{0}), unix_now());
  EXPECT_GE(claims.value("iat", int64_t{0}), first_claims.value("iat", int64_t{0}));
  EXPECT_GE(after.ace_count, 3u);
  // No renewal asked: the identity is unchanged.
  EXPECT_EQ(after.credentials.cert_chain_pem, first.credentials.cert_chain_pem);
}

INSTANTIATE_TEST_SUITE_P(Tls, IdentitySessionTls, ::testing::Bool(), tls_version_name);

// Hub tokens that live 2 s: the device comes back after its first one expired.
class IdentitySessionShortTokens : public IdentitySession {
 protected:
  void configure(DpsConfigSpec& spec) override { spec.token_validity = "2s"; }
};

TEST_F(IdentitySessionShortTokens, RefreshesTheHubTokenAfterTheFirstOneExpired) {
  const auto first = provisioned(default_tls());
  ASSERT_TRUE(first.ok);
  const auto first_claims = jwt_claims(first.hub.at);
  const int64_t expired_at = first_claims.value("exp", int64_t{0});
  ASSERT_GT(expired_at, 0) << first.hub.at;
  while (unix_now() <= expired_at) std::this_thread::sleep_for(std::chrono::milliseconds(100));

  const auto after = come_back(first.credentials, IdentitySessionSteps{true, false, false});
  ASSERT_TRUE(after.ok) << after.error;
  const auto claims = jwt_claims(after.hub.at);
  EXPECT_GT(claims.value("exp", int64_t{0}), unix_now()) << "the new token is valid now";
  EXPECT_GT(claims.value("exp", int64_t{0}), expired_at);
  EXPECT_NE(after.hub.at, first.hub.at);
}

TEST_F(IdentitySession, RenewalIssuesANewKeyAndRetiresTheOldCertificate) {
  const auto first = provisioned(default_tls());
  ASSERT_TRUE(first.ok);
  const auto renewed = come_back(first.credentials, IdentitySessionSteps{true, true, true});
  ASSERT_TRUE(renewed.ok) << renewed.error;
  const auto steps = identity_steps(renewed);
  ASSERT_EQ(steps.size(), 3u);
  EXPECT_EQ(steps[2].step, Step::Credentials);
  EXPECT_EQ(steps[2].code, Code::Changed);
  EXPECT_EQ(renewed.credentials.subject_uuid, first.device_id);
  EXPECT_NE(renewed.credentials.private_key_pem, first.credentials.private_key_pem);
  EXPECT_NE(renewed.credentials.cert_chain_pem, first.credentials.cert_chain_pem);
  EXPECT_TRUE(
      test::chains_to(renewed.credentials.cert_chain_pem, renewed.credentials.trust_ca_pem));

  // The renewed identity opens identity sessions; the one it replaced no longer does.
  const auto with_new = come_back(renewed.credentials, IdentitySessionSteps{true, false, false});
  EXPECT_TRUE(with_new.ok) << with_new.error;
  const auto with_old = come_back(first.credentials, IdentitySessionSteps{true, false, false});
  EXPECT_FALSE(with_old.ok) << "dps still accepts the certificate the renewal replaced";
  EXPECT_EQ(with_old.failed_step, Step::CloudConfiguration) << with_old.error;
  EXPECT_EQ(with_old.failed_session, Session::Identity);
  EXPECT_TRUE(with_old.hub.at.empty()) << "a retired identity got a hub token";
}

TEST_F(IdentitySession, OwnershipIsForbidden) {
  const auto first = provisioned(default_tls());
  ASSERT_TRUE(first.ok);
  auto config = device_config();
  config.device_id = first.device_id;
  device::Provisioner device(config, nullptr);
  const auto outcome = run_coro<device::StepOutcome>([&]() -> awaitable<device::StepOutcome> {
    auto session = co_await device.connect_identity(first.credentials, trust());
    if (!session) {
      co_return device::StepOutcome{
          Step::Ownership, false, Code::Empty, {}, 0, "connect: " + session.error().internal};
    }
    auto answer = co_await device.ownership(**session);
    co_await (*session)->close();
    co_return answer;
  });
  EXPECT_EQ(outcome.code, Code::Forbidden) << outcome.error;
  EXPECT_EQ(outcome.session, Session::Identity);
  EXPECT_EQ(device.result().failed_session, Session::Identity);
  EXPECT_TRUE(device.result().owner_uuid.empty());
}

TEST_F(IdentitySession, AnotherDevicesIdIsForbidden) {
  const auto victim_leaf = test::make_leaf(mfg_.intermediate);
  const auto victim = provisioned(tls_for(victim_leaf, &mfg_.intermediate));
  const auto attacker = provisioned(default_tls());
  ASSERT_TRUE(victim.ok && attacker.ok);
  ASSERT_NE(victim.device_id, attacker.device_id);

  // The attacker's genuine identity certificate, asking for the victim's hub token.
  const auto stolen =
      come_back(attacker.credentials, IdentitySessionSteps{true, false, false}, victim.device_id);
  EXPECT_FALSE(stolen.ok);
  ASSERT_FALSE(stolen.steps.empty()) << stolen.error;
  EXPECT_EQ(stolen.steps.front().code, Code::Forbidden) << stolen.error;
  EXPECT_TRUE(stolen.hub.at.empty());
  // Its own id still works: the refusal was about the id, not the certificate.
  EXPECT_TRUE(come_back(attacker.credentials, IdentitySessionSteps{true, false, false}).ok);
}

class IdentitySessionCli : public IdentitySession {
 protected:
  std::vector<std::string> provision_args(const std::filesystem::path& identity_dir) {
    return {dps_device_binary().string(),
            "provision",
            "--server",
            server(),
            "--cert",
            write("device.pem", mfg_.device.cert_pem() + mfg_.intermediate.cert_pem()).string(),
            "--key",
            write("device.key", mfg_.device.key_pem()).string(),
            "--ca",
            ca_file(),
            "--save-identity",
            identity_dir.string()};
  }
  std::vector<std::string> refresh_args(const std::filesystem::path& identity_dir) {
    return {dps_device_binary().string(), "refresh", "--server", server(), "--identity",
            identity_dir.string(),        "--ca",    ca_file()};
  }
  std::string server() const { return "127.0.0.1:" + std::to_string(dps_->port()); }
  std::string ca_file() const { return (spec_.data_dir / "ca.pem").string(); }
};

TEST_F(IdentitySessionCli, SavesTheIdentityAndRefreshesWithIt) {
  const auto identity_dir = dir_.path() / "identity";
  const auto provisioned = run_process(provision_args(identity_dir));
  ASSERT_EQ(provisioned.exit_code, 0) << provisioned.out << provisioned.err;
  struct stat st {};
  ASSERT_EQ(::stat((identity_dir / device::identity_file::kKey).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  auto args = refresh_args(identity_dir);
  const auto text = run_process(args);
  ASSERT_EQ(text.exit_code, 0) << text.out << text.err;
  EXPECT_NE(text.out.find("identity cloud-configuration"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("hub token refreshed"), std::string::npos) << text.out;

  args.push_back("--json");
  const auto refreshed = run_process(args);
  ASSERT_EQ(refreshed.exit_code, 0) << refreshed.out << refreshed.err;
  const auto report = json::parse(refreshed.out, nullptr, false);
  ASSERT_FALSE(report.is_discarded()) << refreshed.out;
  ASSERT_EQ(report["steps"].size(), 1u) << refreshed.out;
  EXPECT_EQ(report["steps"][0]["step"], "cloud-configuration");
  EXPECT_EQ(report["steps"][0]["session"], "identity");
  EXPECT_EQ(report["steps"][0]["code"], "2.04");
  EXPECT_TRUE(report["identitySession"]["tokenRefreshed"].get<bool>());
  EXPECT_EQ(report["hub"]["sid"], kHubA);
}

TEST_F(IdentitySessionCli, RenewalSavesTheNewIdentity) {
  const auto identity_dir = dir_.path() / "identity";
  ASSERT_EQ(run_process(provision_args(identity_dir)).exit_code, 0);
  const auto before = device::load_identity(identity_dir);
  ASSERT_TRUE(before) << before.error().internal;

  auto renew = refresh_args(identity_dir);
  renew.push_back("--acls");
  renew.push_back("--renew");
  const auto renewed = run_process(renew);
  ASSERT_EQ(renewed.exit_code, 0) << renewed.out << renewed.err;
  EXPECT_NE(renewed.out.find("certificate renewed"), std::string::npos) << renewed.out;
  const auto after = device::load_identity(identity_dir);
  ASSERT_TRUE(after) << after.error().internal;
  EXPECT_EQ(after->subject_uuid, before->subject_uuid);
  EXPECT_NE(after->private_key_pem, before->private_key_pem);

  // The saved (renewed) identity keeps working.
  const auto again = run_process(refresh_args(identity_dir));
  EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
}

TEST_F(IdentitySessionCli, ProvisionRunsTheIdentitySessionAfterTheFlow) {
  auto args = provision_args(dir_.path() / "identity");
  args.push_back("--identity-session");
  args.push_back("--renew");
  args.push_back("--json");
  const auto out = run_process(args);
  ASSERT_EQ(out.exit_code, 0) << out.out << out.err;
  const auto report = json::parse(out.out, nullptr, false);
  ASSERT_FALSE(report.is_discarded()) << out.out;
  ASSERT_EQ(report["steps"].size(), 8u) << out.out;
  for (size_t i = 5; i < 8; ++i) EXPECT_EQ(report["steps"][i]["session"], "identity") << i;
  EXPECT_TRUE(report["identitySession"]["renewed"].get<bool>());
  // The saved identity is the renewed one (the first is retired).
  const auto saved = device::load_identity(dir_.path() / "identity");
  ASSERT_TRUE(saved) << saved.error().internal;
  EXPECT_EQ(saved->cert_chain_pem, report["credentials"]["certificateChainPem"]);
}

TEST_F(IdentitySessionCli, BadIdentityDirectoryIsAUsageError) {
  const auto empty = dir_.path() / "empty";
  std::filesystem::create_directories(empty);
  const auto out = run_process(refresh_args(empty));
  EXPECT_EQ(out.exit_code, 2) << out.out << out.err;
  EXPECT_NE(out.err.find("device-id: missing"), std::string::npos) << out.err;
  // --renew without --identity-session means nothing to renew over.
  auto args = provision_args(dir_.path() / "identity");
  args.push_back("--renew");
  EXPECT_EQ(run_process(args).exit_code, 2);
}

}  // namespace
}  // namespace dps::itest
