// dpsctl individual-enrollments end to end: the real dpsctl binary against the real dps with its
// management API on, over HTTPS verified with <dataDirectory>/ca.pem, with admin tokens the test
// mints from dps's own signing key (one per owner). An enrollment made by dpsctl from a
// certificate file admits its device at the next handshake, and its --disabled refuses it; lists
// are paged, so bulk-create and list are checked across page boundaries.
#include <algorithm>
#include <set>
#include <sstream>

#include "support/api_client.hpp"
#include "support/dps_fixture.hpp"
#include "support/random_hex.hpp"
#include "support/tpm_tools.hpp"

namespace dps::itest {
// Named: dpsctl_test.cpp has file-local helpers of the same names and may share a unity batch.
namespace individual_ctl {
namespace {

using nlohmann::json;

constexpr const char* kOwner = "5c5c5c5c-0000-4000-8000-0000000000e1";
constexpr const char* kOtherOwner = "5c5c5c5c-0000-4000-8000-0000000000e2";
constexpr const char* kHub = "c3c3c3c3-0000-4000-8000-0000000000e3";
constexpr const char* kGateway = "coaps+tcp://127.0.0.1:5684";

std::vector<json> json_lines(const std::string& text) {
  std::vector<json> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(json::parse(line, nullptr, false));
  }
  return out;
}

size_t line_count(const std::string& text) {
  return static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
}

std::string describe(const ProcessOutput& out) {
  return "exit " + std::to_string(out.exit_code) + "\nstdout: " + out.out + "\nstderr: " + out.err;
}

class DpsctlIndividual : public DpsTest {
 protected:
  void configure(DpsConfigSpec& spec) override {
    spec.http_enabled = true;
    // No enrollment group trusts this manufacturer: only an individual enrollment admits it.
    loner_ = make_manufacturer("itest individual mfg");
  }

  std::string server_url() const { return "https://127.0.0.1:" + std::to_string(dps_->api_port()); }

  /// dpsctl --server <api> --ca <ca.pem> --token <owner's admin token> `args`.
  ProcessOutput run_as(const std::string& owner, const std::vector<std::string>& args) {
    const std::string token = admin_token(spec_.data_dir, owner);
    std::vector<std::string> argv = without_dps_environment();
    argv.insert(argv.end(), {"--server", server_url(), "--ca", (spec_.data_dir / "ca.pem").string(),
                             "--token", token});
    argv.insert(argv.end(), args.begin(), args.end());
    ProcessOutput out = run_process(argv);
    EXPECT_EQ(out.out.find(token), std::string::npos) << "token printed on stdout";
    EXPECT_EQ(out.err.find(token), std::string::npos) << "token printed on stderr";
    return out;
  }

  ProcessOutput run(const std::vector<std::string>& args) { return run_as(kOwner, args); }

  /// run(args + --json), expecting success and one JSON object.
  json run_json(std::vector<std::string> args) {
    args.push_back("--json");
    const auto out = run(args);
    EXPECT_EQ(out.exit_code, 0) << describe(out);
    const auto lines = json_lines(out.out);
    EXPECT_EQ(lines.size(), 1u) << describe(out);
    return lines.empty() ? json() : lines.front();
  }

  /// Every enrollment of `owner`, through `list --json` with pages of `page_size`.
  std::vector<json> list_all(const std::string& owner, const std::string& page_size) {
    const auto out =
        run_as(owner, {"individual-enrollments", "list", "--page-size", page_size, "--json"});
    EXPECT_EQ(out.exit_code, 0) << describe(out);
    return json_lines(out.out);
  }

  device::ClientTlsOptions loner_tls() const {
    return tls_for(loner_.device, &loner_.intermediate);
  }

  Manufacturer loner_;
};

TEST_F(DpsctlIndividual, CertificateFileEnrollsItsDeviceUntilDisabledThenDeleted) {
  run_json({"hubs", "create", "--hub-id", kHub, "--gateway", kGateway});
  std::string why;
  ASSERT_TRUE(handshake_refused(loner_tls(), &why)) << "no enrollment yet, yet: " << why;

  const auto certificate = write("device.pem", loner_.device.cert_pem());
  const json created = run_json({"individual", "create", "--certificate", certificate.string(),
                                 "--name", "loner", "--hub", kHub});
  const std::string id = created.value("id", "");
  ASSERT_FALSE(id.empty()) << created.dump();
  EXPECT_EQ(created.value("name", ""), "loner");
  EXPECT_EQ(created["hubIds"], json::array({kHub}));
  EXPECT_EQ(created.value("disabled", true), false);
  const std::string key_hash = created["attestationMechanism"].value("publicKeySha256", "");
  EXPECT_EQ(key_hash.size(), 64u) << created.dump();
  EXPECT_TRUE(created["attestationMechanism"].contains("x509")) << created.dump();

  const auto provisioned = provision(loner_tls());
  ASSERT_TRUE(provisioned.ok) << provisioned.error;
  EXPECT_EQ(provisioned.hub.sid, kHub);

  const auto table = run({"individual-enrollments", "list"});
  ASSERT_EQ(table.exit_code, 0) << describe(table);
  EXPECT_EQ(table.out.rfind("ID", 0), 0u) << table.out;
  for (const std::string& expected :
       {std::string("PUBLIC-KEY-SHA256"), std::string("DISABLED"), id, key_hash,
        std::string("loner"), std::string("certificate"), std::string(kHub)}) {
    EXPECT_NE(table.out.find(expected), std::string::npos) << expected << " in\n" << table.out;
  }
  const auto by_hash = run({"individual", "list", "--key-hash", key_hash, "--json"});
  ASSERT_EQ(by_hash.exit_code, 0) << describe(by_hash);
  EXPECT_EQ(json_lines(by_hash.out), std::vector<json>{created});
  EXPECT_EQ(run_json({"individual", "get", id}), created);

  // Update keeps what it is not told (the certificate, the hubs, the name).
  const json disabled = run_json({"individual", "update", id, "--disabled"});
  EXPECT_EQ(disabled.value("disabled", false), true) << disabled.dump();
  EXPECT_EQ(disabled["hubIds"], json::array({kHub})) << "not given, so kept";
  EXPECT_EQ(disabled.value("name", ""), "loner") << "not given, so kept";
  EXPECT_EQ(disabled["attestationMechanism"], created["attestationMechanism"]);
  EXPECT_EQ(run_json({"individual", "get", id}), disabled);
  EXPECT_TRUE(handshake_refused(loner_tls(), &why)) << "disabled enrollment, yet: " << why;

  const json enabled = run_json({"individual", "update", id, "--enabled", "--name", "back"});
  EXPECT_EQ(enabled.value("disabled", true), false) << enabled.dump();
  EXPECT_EQ(enabled.value("name", ""), "back");

  EXPECT_EQ(run_json({"individual", "delete", id}), json({{"count", "1"}}));
  const auto gone = run({"individual", "get", id});
  EXPECT_EQ(gone.exit_code, 4) << describe(gone);
  const auto again = run({"individual", "delete", id});
  EXPECT_EQ(again.exit_code, 4) << describe(again);
  EXPECT_TRUE(handshake_refused(loner_tls(), &why)) << "deleted enrollment, yet: " << why;
}

TEST_F(DpsctlIndividual, BulkCreateOfFiftyListsAcrossPageBoundaries) {
  constexpr size_t kCount = 50;
  run_json({"hubs", "create", "--hub-id", kHub, "--gateway", kGateway});  // enrollments name hubs
  run_json({"hubs", "create", "--hub-id", "c3c3c3c3-0000-4000-8000-0000000000e4", "--gateway",
            kGateway});
  std::set<std::string> hashes;
  std::string lines;
  for (size_t i = 0; i < kCount; ++i) {
    const std::string hash = test::random_hex(32);
    hashes.insert(hash);
    // Half name their hubs, half take --hub; a blank line in between is skipped.
    json body{{"name", "bulk-" + std::to_string(i)},
              {"attestationMechanism", {{"publicKeySha256", hash}}}};
    if (i % 2 == 0) body["hubIds"] = json::array({kHub});
    lines += body.dump() + (i == 10 ? "\n\n" : "\n");
  }
  const auto file = write("fleet.jsonl", lines);
  const auto loaded =
      run({"individual", "bulk-create", file.string(), "--parallel", "4", "--hub",
           "c3c3c3c3-0000-4000-8000-0000000000e4", "--progress-interval", "0", "--json"});
  ASSERT_EQ(loaded.exit_code, 0) << describe(loaded);
  EXPECT_EQ(json_lines(loaded.out), std::vector<json>{json({{"count", "50"}})});
  EXPECT_NE(loaded.err.find("bulk-create: 50 created"), std::string::npos) << loaded.err;

  // 50 = 7 pages of 7 and a short one; 10 = 5 full pages and an empty one.
  for (const char* page_size : {"7", "10", "1000"}) {
    const auto listed = list_all(kOwner, page_size);
    ASSERT_EQ(listed.size(), kCount) << "pages of " << page_size;
    std::set<std::string> seen;
    std::string previous;
    for (const auto& enrollment : listed) {
      seen.insert(enrollment["attestationMechanism"].value("publicKeySha256", ""));
      const std::string id = enrollment.value("id", "");
      EXPECT_LT(previous, id) << "ids ascend across pages of " << page_size;
      previous = id;
      const bool named_hub = std::stoul(enrollment.value("name", "bulk-1").substr(5)) % 2 == 0;
      EXPECT_EQ(enrollment["hubIds"],
                json::array({named_hub ? kHub : "c3c3c3c3-0000-4000-8000-0000000000e4"}))
          << enrollment.dump();
    }
    EXPECT_EQ(seen, hashes) << "pages of " << page_size;
  }
  const auto table = run({"individual", "list", "--page-size", "7"});
  ASSERT_EQ(table.exit_code, 0) << describe(table);
  EXPECT_EQ(line_count(table.out), kCount + 1) << "one header over all pages\n" << table.out;

  // The first failing line stops the run and is named; the lines before it were created.
  const std::string fresh = test::random_hex(32);
  const auto stopping = write(
      "stopping.jsonl",
      json({{"attestationMechanism", {{"publicKeySha256", fresh}}}, {"hubIds", {kHub}}}).dump() +
          "\n\n" +
          json({{"attestationMechanism", {{"publicKeySha256", *hashes.begin()}}},
                {"hubIds", {kHub}}})
              .dump() +
          "\n" +
          json({{"attestationMechanism", {{"publicKeySha256", test::random_hex(32)}}}}).dump() +
          "\n");
  const auto taken = run({"individual", "bulk-create", stopping.string(), "--parallel", "1"});
  EXPECT_EQ(taken.exit_code, 1) << "409 for a key already enrolled\n" << describe(taken);
  EXPECT_NE(taken.err.find(stopping.string() + ":3: "), std::string::npos) << taken.err;
  EXPECT_NE(taken.err.find("stopped after creating 1 "), std::string::npos) << taken.err;
  EXPECT_EQ(list_all(kOwner, "1000").size(), kCount + 1);

  const auto not_json = write("bad.jsonl", "\n{\"name\": \"x\"\n");
  const auto refused = run({"individual", "bulk-create", not_json.string()});
  EXPECT_EQ(refused.exit_code, 2) << describe(refused);
  EXPECT_NE(refused.err.find(not_json.string() + ":2: not a JSON object"), std::string::npos)
      << refused.err;
}

TEST_F(DpsctlIndividual, AnotherOwnerNeitherSeesNorChangesThem) {
  run_json({"hubs", "create", "--hub-id", kHub, "--gateway", kGateway});  // enrollments name hubs
  const json created = run_json({"individual", "create", "--key-hash", test::random_hex(32),
                                 "--hub", kHub, "--name", "mine"});
  const std::string id = created.value("id", "");
  ASSERT_FALSE(id.empty()) << created.dump();

  EXPECT_TRUE(list_all(kOtherOwner, "10").empty());
  const auto by_hash =
      run_as(kOtherOwner,
             {"individual", "list", "--key-hash",
              created["attestationMechanism"]["publicKeySha256"].get<std::string>(), "--json"});
  EXPECT_EQ(by_hash.exit_code, 0) << describe(by_hash);
  EXPECT_TRUE(by_hash.out.empty()) << by_hash.out;
  const auto get = run_as(kOtherOwner, {"individual", "get", id});
  EXPECT_EQ(get.exit_code, 4) << describe(get);
  const auto update = run_as(kOtherOwner, {"individual", "update", id, "--disabled"});
  EXPECT_EQ(update.exit_code, 4) << describe(update);
  const auto removed = run_as(kOtherOwner, {"individual", "delete", id});
  EXPECT_EQ(removed.exit_code, 4) << describe(removed);

  EXPECT_EQ(run_json({"individual", "get", id}), created) << "unchanged by the other owner";
}

TEST_F(DpsctlIndividual, BadDeviceOptionsAreUsageErrorsBeforeAnyRequest) {
  const auto certificate = write("device.pem", loner_.device.cert_pem());
  const auto der = write("device.der", "\x30\x82\x01\x00");
  const std::string hash = test::random_hex(32);
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
      {{"individual", "create", "--hub", kHub}, "give one of --certificate"},
      {{"individual", "create", "--hub", kHub, "--key-hash", hash, "--certificate",
        certificate.string()},
       "give only one of --certificate"},
      {{"individual", "create", "--hub", kHub, "--key-hash", hash.substr(1)},
       "--key-hash: \"" + hash.substr(1) + "\" is not a SHA-256"},
      {{"individual", "create", "--hub", kHub, "--public-key", der.string()}, "is not PEM"},
      {{"individual", "create", "--hub", kHub, "--certificate", "/nonexistent.pem"},
       "--certificate: cannot read"},
      {{"individual", "list", "--page-size", "10001"}, "--page-size"},
      {{"individual", "update", "0f0f0f0f-0000-4000-8000-00000000000f", "--enabled", "--disabled"},
       "excludes"},
  };
  for (const auto& [args, message] : cases) {
    const auto out = run(args);
    EXPECT_EQ(out.exit_code, 2) << describe(out);
    EXPECT_NE(out.err.find(message), std::string::npos) << message << " in\n" << out.err;
  }
  EXPECT_TRUE(list_all(kOwner, "1000").empty()) << "nothing was created";
  const auto no_hub = run({"individual", "create", "--key-hash", hash});
  EXPECT_EQ(no_hub.exit_code, 1) << "the API's 400: hubIds required\n" << describe(no_hub);
  EXPECT_NE(no_hub.err.find("hubIds"), std::string::npos) << no_hub.err;
}

// A TPM device is enrolled by the files Debian's tpm2-tools write for its endorsement key: the
// binary TPM2B_PUBLIC (`tpm2_createek -u`) and the PEM form (`-f pem`), from a real (software) TPM.
TEST_F(DpsctlIndividual, TpmEndorsementKeyFilesFromTpm2CreateekEnrollOneDeviceEach) {
  ASSERT_TRUE(tpm::test::have_programs({"swtpm", "tpm2_createek", "openssl"}));
  run_json({"hubs", "create", "--hub-id", kHub, "--gateway", kGateway});
  run_as(kOtherOwner, {"hubs", "create", "--hub-id", kHub, "--gateway", kGateway});
  tpm::test::Swtpm tpm;
  ASSERT_TRUE(tpm.running()) << tpm.error();
  for (const std::string alg : {"rsa", "ecc"}) {
    const std::string binary = tpm.file(alg + "-ek.pub");
    const std::string pem = tpm.file(alg + "-ek.pem");
    auto made =
        tpm.tools("tpm2_createek -c " + tpm.file(alg + "-ek.ctx") + " -G " + alg + " -u " + binary);
    ASSERT_EQ(made.exit_code, 0) << made.output;
    made = tpm.tools("tpm2_createek -c " + tpm.file(alg + "-ek2.ctx") + " -G " + alg +
                     " -f pem -u " + pem + " && tpm2_flushcontext -t");
    ASSERT_EQ(made.exit_code, 0) << made.output;
    // The key hash as an independent tool computes it: SHA-256 of the DER SubjectPublicKeyInfo.
    const auto hashed = tpm::test::run("openssl pkey -pubin -in " + pem +
                                       " -outform DER | openssl dgst -sha256 -r | cut -c1-64");
    ASSERT_EQ(hashed.exit_code, 0) << hashed.output;
    const std::string expected = hashed.output.substr(0, 64);

    const json created =
        run_json({"individual", "create", "--tpm-ek", binary, "--hub", kHub, "--name", alg});
    EXPECT_EQ(created["attestationMechanism"].value("publicKeySha256", ""), expected)
        << created.dump();
    const std::string ek = created["attestationMechanism"]["tpm"].value("endorsementKey", "");
    EXPECT_EQ(ek.rfind("data:;base64,", 0), 0u) << created.dump();
    const auto table = run({"individual", "list", "--key-hash", expected});
    EXPECT_NE(table.out.find(" tpm "), std::string::npos) << table.out;

    // The PEM of the same EK names the same device: taken, for this owner and for another
    // (whose message names neither the enrollment nor its owner).
    for (const std::string owner : {kOwner, kOtherOwner}) {
      const auto again = run_as(owner, {"individual", "create", "--tpm-ek", pem, "--hub", kHub});
      EXPECT_EQ(again.exit_code, 1) << describe(again);
      EXPECT_NE(again.err.find("409"), std::string::npos) << again.err;
      EXPECT_EQ(again.err.find(created.value("id", "")), std::string::npos) << again.err;
      EXPECT_EQ(again.err.find(kOwner), std::string::npos) << again.err;
    }
  }
  // Not an endorsement key: a plain signing key made by the same TPM (transient objects flushed
  // after each command: swtpm holds only three).
  const std::string signing = tpm.file("signing.pub");
  auto made = tpm.tools("tpm2_createprimary -C o -G ecc -c " + tpm.file("primary.ctx") +
                        " && tpm2_create -C " + tpm.file("primary.ctx") + " -G ecc -u " + signing +
                        " -r " + tpm.file("signing.priv"));
  ASSERT_EQ(made.exit_code, 0) << made.output;
  const auto refused = run({"individual", "create", "--tpm-ek", signing, "--hub", kHub});
  EXPECT_EQ(refused.exit_code, 1) << describe(refused);
  EXPECT_NE(refused.err.find("attestationMechanism.tpm.endorsementKey: EK: "), std::string::npos)
      << refused.err;
  EXPECT_EQ(list_all(kOwner, "1000").size(), 2u);
}

// dps's API limits with a small burst: a client that ignored 429 and connections closed at
// accept would stop at the first refused line.
class DpsctlIndividualLimited : public DpsctlIndividual {
 protected:
  void configure(DpsConfigSpec& spec) override {
    DpsctlIndividual::configure(spec);
    spec.api_rate_per_token = 20;
    spec.api_rate_burst = 5;
    spec.api_connection_rate_per_source = 20;
    spec.api_connection_rate_burst = 5;
  }
};

TEST_F(DpsctlIndividualLimited, BulkCreateWaitsOutRateLimitsWithoutPacing) {
  constexpr size_t kCount = 30;
  run_json({"hubs", "create", "--hub-id", kHub, "--gateway", kGateway});  // enrollments name hubs
  std::string lines;
  for (size_t i = 0; i < kCount; ++i) {
    lines += json({{"attestationMechanism", {{"publicKeySha256", test::random_hex(32)}}},
                   {"hubIds", {kHub}}})
                 .dump() +
             "\n";
  }
  const auto file = write("fleet.jsonl", lines);
  const auto loaded = run({"individual", "bulk-create", file.string(), "--rate", "0", "--parallel",
                           "4", "--progress-interval", "0"});
  ASSERT_EQ(loaded.exit_code, 0) << describe(loaded);
  EXPECT_EQ(loaded.out, "created 30 individual enrollment(s)\n");
  // The run spent the connection burst: list once dps accepts connections again.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  ProcessOutput listed = run({"individual", "list", "--json"});
  while (listed.exit_code == 5 && std::chrono::steady_clock::now() < deadline) {
    listed = run({"individual", "list", "--json"});
  }
  ASSERT_EQ(listed.exit_code, 0) << describe(listed);
  EXPECT_EQ(json_lines(listed.out).size(), kCount);
}

// --help needs no server: every verb explains its options, the environment and the exit codes.
TEST(DpsctlIndividualHelp, EveryVerbExplainsItsOptions) {
  const std::vector<std::pair<std::vector<std::string>, std::vector<std::string>>> commands{
      {{"individual-enrollments"}, {"bulk-create"}},
      {{"individual", "list"}, {"--id", "--key-hash", "--page-size"}},
      {{"individual", "get"}, {"id"}},
      {{"individual", "create"},
       {"--certificate", "--public-key", "--key-hash", "--hub", "--name", "--disabled"}},
      {{"individual", "update"}, {"--certificate", "--hub", "--disabled", "--enabled"}},
      {{"individual", "delete"}, {"ids"}},
      {{"individual", "bulk-create"},
       {"one JSON object per line", "publicKeySha256", "--parallel", "--progress-interval",
        "--hub"}},
  };
  for (const auto& [command, options] : commands) {
    std::vector<std::string> argv = without_dps_environment();
    argv.insert(argv.end(), command.begin(), command.end());
    argv.push_back("--help");
    const auto out = run_process(argv);
    EXPECT_EQ(out.exit_code, 0) << describe(out);
    std::vector<std::string> expected = options;
    expected.insert(expected.end(), {"Options:", "DPS_TOKEN", "Exit codes:"});
    for (const auto& text : expected) {
      EXPECT_NE(out.out.find(text), std::string::npos) << command.back() << ": " << text << " in\n"
                                                       << out.out;
    }
  }
}

}  // namespace
}  // namespace individual_ctl
}  // namespace dps::itest
