// The device side of TPM attestation (docs/device-protocol.md §5) against the real dps:
//  - the real dps-device --tpm with Debian's swtpm as the device's TPM, for RSA and ECC EKs
//    enrolled by dpsctl: attestation, ownership, then the identity session whose TLS key never
//    left the TPM (TPM2_Sign per handshake), its hub token, and the record at the API;
//  - the Provisioner's TPM flow with a software TPM in process, where the device code meets
//    dps's refusals: an EK no enrollment admits, a certificate-less session asking for ownership
//    first, a second challenge and a replayed activation on one session;
//  - dps-bench --tpm: a handful of TPM devices, with the server's CPU per provisioning.
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/data_uri.hpp"
#include "device/provisioner.hpp"
#include "device/requests.hpp"
#include "device/software_tpm.hpp"
#include "device/tpm_attestor.hpp"
#include "support/api_fixture.hpp"
#include "support/tpm_ek_certificate.hpp"
#include "support/tpm_tools.hpp"
#include "tpm/endorsement_key.hpp"

namespace dps::itest {
// Named: the other TPM tests have file-local helpers and may share a unity batch.
namespace tpm_provisioning {
namespace {

using coap::Code;
using device::Step;
using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kTpmEnrollmentsPath = "/api/v1/individual-enrollments";

class TpmProvisioning : public ApiTest {
 protected:
  void configure(DpsConfigSpec& spec) override {
    ApiTest::configure(spec);
    spec.client_certificate_required = false;  // TPM devices connect without a certificate
  }

  void SetUp() override {
    ApiTest::SetUp();
    create(kHubsPath, hub_body(kApiHub), kOwnerA);
  }

  std::string ca_file() const { return (spec_.data_dir / "ca.pem").string(); }
  std::string server() const { return "127.0.0.1:" + std::to_string(dps_->port()); }

  /// `dps-device provision --tpm <tcti> --tpm-ek <kind>` at this dps, with a JSON report.
  /// The API body of a TPM enrollment group of hub kApiHub trusting the vendor CA `chain_pem`.
  static json tpm_group_body(const std::string& chain_pem) {
    return json{{"name", "tpm vendor"},
                {"attestationMechanism", {{"tpm", {{"vendorCertificateChain", chain_pem}}}}},
                {"hubIds", {kApiHub}}};
  }

  std::vector<std::string> provision_args(const std::string& tcti, const std::string& kind) const {
    return {dps_device_binary().string(),
            "provision",
            "--server",
            server(),
            "--tpm",
            tcti,
            "--tpm-ek",
            kind,
            "--ca",
            ca_file(),
            "--json"};
  }

  /// What a TPM device trusts: dps's CA, no client certificate of its own.
  device::ClientTlsOptions trust() const {
    device::ClientTlsOptions options;
    options.ca_pem = server_ca_pem_;
    return options;
  }

  /// `dpsctl individual create --tpm-ek <file>` as owner A, for kApiHub.
  void enroll_with_dpsctl(const std::string& ek_file) {
    const auto out = run_process({dpsctl_binary().string(), "--server",
                                  "https://127.0.0.1:" + std::to_string(dps_->api_port()), "--ca",
                                  ca_file(), "--token", token_of(kOwnerA), "individual", "create",
                                  "--tpm-ek", ek_file, "--hub", kApiHub, "--name", "tpm device"});
    ASSERT_EQ(out.exit_code, 0) << out.out << out.err;
  }

  /// Owner A enrolls the EK `ek` (TPM2B_PUBLIC) through the API, as a data: URI.
  void enroll(const tpm::Bytes& ek) {
    create(
        kTpmEnrollmentsPath,
        json{{"name", "software tpm"},
             {"attestationMechanism",
              {{"tpm", {{"endorsementKey", encode_data_uri(std::string(ek.begin(), ek.end()))}}}}},
             {"hubIds", {kApiHub}}},
        kOwnerA);
  }

  std::optional<json> record_at_api(const std::string& owner, const std::string& id) {
    for (auto& record : list(kRecordsPath, token_of(owner))) {
      if (record.value("id", "") == id) return record;
    }
    return std::nullopt;
  }
};

// --- dps-device --tpm against swtpm ---------------------------------------------------------

struct TpmRun {
  const char* ek;   // --tpm-ek
  bool tls12;       // the identity session's handshake signed by TPM2_Sign in TLS 1.2 or 1.3
  bool tpm2_tools;  // the EK file from tpm2_createek (the operator guide's way), else dps-device
};

void PrintTo(const TpmRun& run, std::ostream* out) {
  *out << "--tpm-ek " << run.ek << (run.tls12 ? " --tls12" : "")
       << (run.tpm2_tools ? ", EK from tpm2_createek" : ", EK from dps-device tpm-ek");
}

class DpsDeviceTpm : public TpmProvisioning, public ::testing::WithParamInterface<TpmRun> {};

TEST_P(DpsDeviceTpm, AttestsGetsItsHubTokenOverTheIdentitySessionAndLeavesTheTpmEmpty) {
  ASSERT_TRUE(tpm::test::have_programs({"swtpm", "tpm2_createek", "tpm2_getcap"}));
  const tpm::test::Swtpm tpm;
  ASSERT_TRUE(tpm.running()) << tpm.error();
  const std::string kind = GetParam().ek;
  const std::string ek_file = tpm.file("ek.pub");
  if (GetParam().tpm2_tools) {
    // swtpm has no resource manager: the EK tpm2_createek leaves loaded is flushed by hand.
    const auto made = tpm.tools("tpm2_createek -c ek.ctx -G " + kind +
                                " -u ek.pub && "
                                "tpm2_flushcontext -t");
    ASSERT_EQ(made.exit_code, 0) << made.output;
  } else {
    const auto written = run_process({dps_device_binary().string(), "tpm-ek", "--tpm", tpm.tcti(),
                                      "--tpm-ek", kind, "--out", ek_file});
    ASSERT_EQ(written.exit_code, 0) << written.out << written.err;
    EXPECT_NE(written.out.find("dpsctl individual create --tpm-ek " + ek_file), std::string::npos)
        << written.out;
  }
  std::vector<std::string> args = provision_args(tpm.tcti(), kind);
  args.push_back("--show-secrets");
  if (GetParam().tls12) args.push_back("--tls12");
  // Not enrolled yet: refused at the challenge, and told how to enroll.
  const auto early = run_process(args, 50s);
  EXPECT_EQ(early.exit_code, 1) << early.out << early.err;
  EXPECT_NE(early.err.find("likely cause: no enabled enrollment names this TPM's endorsement key"),
            std::string::npos)
      << early.err;

  enroll_with_dpsctl(ek_file);
  const auto out = run_process(args, 50s);
  ASSERT_EQ(out.exit_code, 0) << out.out << out.err;
  const json report = json::parse(out.out, nullptr, false);
  ASSERT_TRUE(report.is_object()) << out.out;
  EXPECT_TRUE(report["ok"].get<bool>()) << out.out;
  std::vector<std::string> steps;
  for (const auto& step : report["steps"]) {
    const bool identity = step.value("session", "") == "identity";
    steps.push_back((identity ? "identity " : "") + step.value("step", ""));
    EXPECT_TRUE(step["ok"].get<bool>()) << step.dump();
  }
  EXPECT_EQ(steps, (std::vector<std::string>{"time", "tpm challenge", "tpm activation", "ownership",
                                             "identity cloud-configuration", "identity acls"}))
      << out.out;
  // The token came over the identity session, whose key only the TPM can use.
  EXPECT_EQ(report["hub"].value("sid", ""), kApiHub);
  EXPECT_FALSE(report["hub"].value("at", "").empty()) << report["hub"].dump();
  EXPECT_TRUE(report["credentials"].value("privateKeyPem", "").empty())
      << "the identity key left the TPM";
  EXPECT_GT(report["aceCount"].get<int>(), 0);

  // The record at the API: this EK's, named by the record id the device computed, every step.
  const auto ek = tpm::test::read_file(ek_file);
  const std::string registration = report.value("registrationId", "");
  EXPECT_EQ(registration, device::tpm_registration_id(ek));
  EXPECT_EQ(report.value("deviceId", ""), device::tpm_device_id(ek));
  const auto record = record_at_api(kOwnerA, registration);
  ASSERT_TRUE(record) << "no record " << registration;
  const auto hash = tpm::endorsement_key_hash(std::string(ek.begin(), ek.end()));
  ASSERT_TRUE(hash) << hash.error().internal;
  EXPECT_EQ((*record)["attestation"]["tpm"].value("endorsementKeySha256", ""), *hash)
      << record->dump();
  EXPECT_EQ(record->value("deviceId", ""), report.value("deviceId", ""));
  for (const char* section : {"ownership", "credential", "cloud", "acl"}) {
    EXPECT_TRUE(record->contains(section)) << section << ": " << record->dump();
  }
  EXPECT_FALSE(record_at_api(kOwnerB, registration));

  // dps-device flushed everything it loaded: the EK, the AK, the storage primary, the key.
  for (const char* handles : {"handles-transient", "handles-loaded-session"}) {
    const auto listed = tpm.tools(std::string("tpm2_getcap ") + handles);
    EXPECT_EQ(listed.exit_code, 0) << listed.output;
    EXPECT_EQ(listed.output.find("0x"), std::string::npos) << handles << ":\n" << listed.output;
  }
}

INSTANTIATE_TEST_SUITE_P(Ek, DpsDeviceTpm,
                         ::testing::Values(TpmRun{"rsa", false, false}, TpmRun{"ecc", true, true}),
                         [](const ::testing::TestParamInfo<TpmRun>& p) {
                           return std::string(p.param.ek) + (p.param.tls12 ? "Tls12" : "Tls13");
                         });

// --- TPM enrollment groups: the EK certificate decides ---------------------------------------

// A TPM as its maker ships it (swtpm_setup: an RSA EK and its certificate in NV, by swtpm's local
// CA) is admitted by owner A's TPM group of that CA, end to end through dps-device --tpm; owner B
// sees nothing, and a group of another CA admits nothing.
TEST_F(TpmProvisioning, ATpmGroupAdmitsTheTpmWhoseEkCertificateInNvItsVendorCaIssued) {
  ASSERT_TRUE(tpm::test::have_programs({"swtpm", "swtpm_setup", "tpm2_getcap"}));
  const tpm::test::ManufacturedTpmState state;
  ASSERT_TRUE(state.ok()) << state.error();
  const tpm::test::Swtpm tpm(state.state_dir());
  ASSERT_TRUE(tpm.running()) << tpm.error();
  const std::vector<std::string> args = provision_args(tpm.tcti(), "rsa");
  // Another vendor's group: the certificate does not chain to it.
  const auto other = test::make_root_ca("TPM Vendor Root");
  create(kGroupsPath, tpm_group_body(other.chain_pem()), kOwnerA);
  const auto refused = run_process(args, 50s);
  EXPECT_EQ(refused.exit_code, 1) << refused.out << refused.err;
  EXPECT_NE((refused.out + refused.err).find("does not chain to any TPM enrollment group"),
            std::string::npos)
      << refused.out << refused.err;

  const json group = create(kGroupsPath, tpm_group_body(state.vendor_chain_pem()), kOwnerA);
  const auto out = run_process(args, 50s);
  ASSERT_EQ(out.exit_code, 0) << out.out << out.err;
  const json report = json::parse(out.out, nullptr, false);
  ASSERT_TRUE(report.is_object()) << out.out;
  EXPECT_EQ(report["hub"].value("sid", ""), kApiHub);
  const auto record = record_at_api(kOwnerA, report.value("registrationId", ""));
  ASSERT_TRUE(record) << out.out;
  EXPECT_EQ(record->value("enrollmentGroupId", ""), group.value("id", "")) << record->dump();
  EXPECT_FALSE((*record)["attestation"]["tpm"].value("endorsementKeySha256", "").empty());
  for (const char* section : {"ownership", "credential", "cloud", "acl"}) {
    EXPECT_TRUE(record->contains(section)) << section << ": " << record->dump();
  }
  EXPECT_FALSE(record_at_api(kOwnerB, report.value("registrationId", "")));
}

// A software TPM with a P-256 EK whose certificate a test vendor CA issued: the Provisioner's
// flow through the identity session; the same EK's individual enrollment, once it exists, wins
// over the group.
// A TPM without an EK certificate in NV, and the certificate its vendor issued given as a file
// (dps-device --tpm-ek-cert): admitted by the group of that vendor CA, end to end.
TEST_F(TpmProvisioning, AnEkCertificateFromAFileIsSentForTheTpmGroup) {
  ASSERT_TRUE(tpm::test::have_programs({"swtpm", "tpm2_createek", "tpm2_flushcontext"}));
  const tpm::test::Swtpm tpm;
  ASSERT_TRUE(tpm.running()) << tpm.error();
  const auto made = tpm.tools("tpm2_createek -c ek.ctx -G ecc -u ek.pub && tpm2_flushcontext -t");
  ASSERT_EQ(made.exit_code, 0) << made.output;
  const auto vendor = test::make_root_ca("TPM Vendor Root");
  const tpm::Bytes certificate =
      tpm::test::issue_ek_certificate(vendor, tpm::test::read_file(tpm.file("ek.pub")));
  const std::string certificate_file = tpm.file("ek-certificate.der");
  std::ofstream(certificate_file, std::ios::binary)
      .write(reinterpret_cast<const char*>(certificate.data()),
             static_cast<std::streamsize>(certificate.size()));
  const json group = create(kGroupsPath, tpm_group_body(vendor.chain_pem()), kOwnerA);
  std::vector<std::string> args = provision_args(tpm.tcti(), "ecc");
  // Without the file the TPM has no certificate to send, and no enrollment names its EK.
  const auto refused = run_process(args, 50s);
  EXPECT_EQ(refused.exit_code, 1) << refused.out << refused.err;
  args.insert(args.end(), {"--tpm-ek-cert", certificate_file});
  const auto out = run_process(args, 50s);
  ASSERT_EQ(out.exit_code, 0) << out.out << out.err;
  const json report = json::parse(out.out, nullptr, false);
  ASSERT_TRUE(report.is_object()) << out.out;
  const auto record = record_at_api(kOwnerA, report.value("registrationId", ""));
  ASSERT_TRUE(record) << out.out;
  EXPECT_EQ(record->value("enrollmentGroupId", ""), group.value("id", "")) << record->dump();
}

TEST_F(TpmProvisioning, ATpmGroupAdmitsASoftwareTpmByItsEkCertificate) {
  auto made = device::SoftwareTpm::create(device::SoftwareTpm::EkKind::P256);
  ASSERT_TRUE(made) << made.error().internal;
  const auto vendor = test::make_root_ca("TPM Vendor Root");
  made->set_ek_certificate(tpm::test::issue_ek_certificate(vendor, made->endorsement_key_tpm2b()));
  device::SoftwareTpmAttestor tpm(std::move(*made));
  const json group = create(kGroupsPath, tpm_group_body(vendor.chain_pem()), kOwnerA);
  const auto result =
      device::provision_tpm_blocking(device_config(), trust(), tpm, device::IdentitySessionSteps{});
  ASSERT_TRUE(result.ok) << result.error;
  const auto record = record_at_api(kOwnerA, result.registration_id);
  ASSERT_TRUE(record);
  EXPECT_EQ(record->value("enrollmentGroupId", ""), group.value("id", "")) << record->dump();

  enroll(tpm.endorsement_key_tpm2b());
  const auto again =
      device::provision_tpm_blocking(device_config(), trust(), tpm, device::IdentitySessionSteps{});
  ASSERT_TRUE(again.ok) << again.error;
  const auto individually = record_at_api(kOwnerA, again.registration_id);
  ASSERT_TRUE(individually);
  EXPECT_FALSE(individually->value("individualEnrollmentId", "").empty()) << individually->dump();
}

TEST_F(TpmProvisioning, DpsDeviceRefusesTpmOptionsThatCannotWork) {
  const std::string device = dps_device_binary().string();
  // A TPM identity's key cannot be saved to a file, nor renewed with one of a file's.
  for (const std::vector<std::string>& extra :
       {std::vector<std::string>{"--save-identity", dir_.file("id")},
        std::vector<std::string>{"--identity-session", "--renew"},
        std::vector<std::string>{"--cert", ca_file()}}) {
    std::vector<std::string> args = {
        device, "provision", "--server", server(),
        "--ca", ca_file(),   "--tpm",    "swtpm:host=127.0.0.1,port=1"};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto out = run_process(args);
    EXPECT_EQ(out.exit_code, 2) << extra[0] << ": " << out.out << out.err;
  }
  const auto neither = run_process({device, "provision", "--server", server(), "--ca", ca_file()});
  EXPECT_EQ(neither.exit_code, 2);
  EXPECT_NE(neither.err.find("--cert and --key"), std::string::npos) << neither.err;
  // No TPM there: refused naming the TCTI, before dps is asked anything.
  const auto unreachable = run_process({device, "provision", "--server", server(), "--ca",
                                        ca_file(), "--tpm", "swtpm:host=127.0.0.1,port=1"});
  EXPECT_EQ(unreachable.exit_code, 1);
  EXPECT_NE(unreachable.err.find("--tpm swtpm:host=127.0.0.1,port=1"), std::string::npos)
      << unreachable.err;
  EXPECT_TRUE(list(kRecordsPath, token_of(kOwnerA)).empty());
}

// --- the Provisioner's TPM flow with a software TPM ------------------------------------------

TEST_F(TpmProvisioning, TheProvisionerFlowMeetsDpsRefusals) {
  auto made = device::SoftwareTpm::create(device::SoftwareTpm::EkKind::P256);
  ASSERT_TRUE(made) << made.error().internal;
  device::SoftwareTpmAttestor tpm(std::move(*made));

  // Not enrolled: the challenge is refused (4.03), nothing further is asked, no record.
  const auto refused =
      device::provision_tpm_blocking(device_config(), trust(), tpm, device::IdentitySessionSteps{});
  EXPECT_FALSE(refused.ok);
  ASSERT_EQ(refused.failed_step, Step::TpmChallenge) << refused.error;
  ASSERT_EQ(refused.steps.size(), 2u) << refused.error;  // the time, then the refusal
  EXPECT_EQ(refused.steps[1].code, Code::Forbidden) << refused.steps[1].payload;
  EXPECT_NE(refused.error.find("no enrollment admits"), std::string::npos) << refused.error;
  EXPECT_TRUE(list(kRecordsPath, token_of(kOwnerA)).empty());

  enroll(tpm.endorsement_key_tpm2b());
  auto ctx = device::ClientTls::create(trust());
  ASSERT_TRUE(ctx) << ctx.error().internal;
  auto config = device_config();
  config.device_id = device::tpm_device_id(tpm.endorsement_key_tpm2b());
  device::Provisioner provisioner(config, *ctx);
  struct Seen {
    device::StepOutcome ownership_first, challenge, second_challenge, activation, ownership;
    Result<coap::Message> replay = fail(ErrorCode::Internal, "not sent");
  };
  // Every refusal ends its session (as plgd's DPS does): one session per refusal.
  const auto seen = run_coro<Seen>([&]() -> awaitable<Seen> {
    Seen s;
    auto connect = [&]() -> awaitable<device::DeviceSessionPtr> {
      auto session = co_await provisioner.connect(Step::TpmChallenge);
      if (!session) throw std::runtime_error(session.error().internal);
      co_return std::move(*session);
    };
    // Ownership before any attestation: 4.01.
    auto first = co_await connect();
    s.ownership_first = co_await provisioner.ownership(*first);
    co_await first->close();
    // A second challenge on one session: 4.03 (one EK cannot be ground at on one session).
    auto twice = co_await connect();
    co_await provisioner.tpm_challenge(*twice, tpm);
    s.second_challenge = co_await provisioner.tpm_challenge(*twice, tpm);
    co_await twice->close();
    // The whole attestation, then the same activation again: its challenge is used up.
    auto session = co_await connect();
    s.challenge = co_await provisioner.tpm_challenge(*session, tpm);
    s.activation = co_await provisioner.tpm_activation(*session, tpm);
    s.ownership = co_await provisioner.ownership(*session);
    s.replay = co_await session->request(
        device::make_tpm_post(device::uri::kTpmActivation, provisioner.last_tpm_activation()));
    co_await session->close();
    co_return s;
  });
  EXPECT_EQ(seen.ownership_first.code, Code::Unauthorized) << seen.ownership_first.payload;
  EXPECT_FALSE(seen.ownership_first.ok);
  EXPECT_EQ(seen.second_challenge.code, Code::Forbidden) << seen.second_challenge.payload;
  EXPECT_NE(seen.second_challenge.error.find("one TPM challenge per session"), std::string::npos)
      << seen.second_challenge.error;
  EXPECT_TRUE(seen.challenge.ok) << seen.challenge.error;
  ASSERT_TRUE(seen.activation.ok) << seen.activation.error << ": " << seen.activation.payload;
  EXPECT_TRUE(seen.ownership.ok) << seen.ownership.error;
  ASSERT_TRUE(seen.replay) << seen.replay.error().internal;
  EXPECT_EQ(seen.replay->code, Code::Forbidden) << seen.replay->payload_text();
  EXPECT_NE(seen.replay->payload_text().find("no TPM challenge outstanding"), std::string::npos)
      << seen.replay->payload_text();
  EXPECT_FALSE(provisioner.result().credentials.cert_chain_pem.empty());

  // The issued identity works: the identity session gets the hub token.
  device::ClientTlsOptions back = trust();
  const auto identity = device::identity_session_blocking(config, provisioner.result().credentials,
                                                          back, device::IdentitySessionSteps{});
  EXPECT_TRUE(identity.ok) << identity.error;
  EXPECT_FALSE(identity.hub.at.empty());
  expect_server_serves();
}

// --- dps-bench --tpm ----------------------------------------------------------------------------

TEST(DpsBenchTpm, AHandfulOfTpmDevicesProvisionAndTheServerCpuIsMeasured) {
  const auto out =
      run_process({dps_bench_binary().string(), "--start-dps", dps_binary().string(), "--devices",
                   "6", "--concurrency", "3", "--tpm", "--json", "--floor-seconds", "0.1"},
                  50s);
  ASSERT_EQ(out.exit_code, 0) << out.out << out.err;
  const json report = json::parse(out.out, nullptr, false);
  ASSERT_TRUE(report.is_object()) << out.out << out.err;
  EXPECT_EQ(report["succeeded"], 6);
  EXPECT_EQ(report["failed"], 0);
  for (const char* name : {"time", "tpm challenge", "tpm activation", "ownership",
                           "identity cloud-configuration", "identity acls", "total"}) {
    const json& latency = report["latencyUs"][name];
    ASSERT_TRUE(latency.is_object()) << name << ": " << report["latencyUs"].dump();
    EXPECT_EQ(latency["count"].get<int>(), 6) << name;
  }
  EXPECT_FALSE(report["latencyUs"].contains("credentials")) << "no certificate flow step";
  ASSERT_TRUE(report["server"].is_object()) << report.dump();
  EXPECT_GT(report["server"]["cpuUsPerProvisioning"].get<double>(), 0);

  // --tpm needs a dps it starts on its own config: the EKs go into that database first.
  const auto usage =
      run_process({dps_bench_binary().string(), "--server", "127.0.0.1:1", "--mfg-dir", "/", "--ca",
                   "/dev/null", "--devices", "1", "--tpm"});
  EXPECT_EQ(usage.exit_code, 2) << usage.err;
  EXPECT_NE(usage.err.find("--tpm"), std::string::npos) << usage.err;
}

}  // namespace
}  // namespace tpm_provisioning
}  // namespace dps::itest
