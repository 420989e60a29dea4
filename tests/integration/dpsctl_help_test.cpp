// An operator's first hour with the command lines (issue 15), through the real binaries: typos
// answered with the nearest name, --version on dpsctl, dps and dps-bench, a way back from every
// group setting, `get` showing every field, `records list` with time, record id, owner and the
// reason of a refusal, empty lists saying so on stderr, hubs named by either id, the start-up
// hint's --server, and the completion script run by bash.
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "support/api_client.hpp"
#include "support/dps_fixture.hpp"
#include "support/test_pki.hpp"

namespace dps::itest {
// Named: the other dpsctl tests have file-local helpers of the same names and may share a unity
// batch.
namespace dpsctl_help {
namespace {

using nlohmann::json;

// Not a UUID: the records table must show it as the API's JSON does, not the UUID the ownership
// step derives from it.
constexpr const char* kOwner = "team-blue";
constexpr const char* kHub = "c5c5c5c5-0000-4000-8000-0000000000a1";
constexpr const char* kUnknownId = "0f0f0f0f-0000-4000-8000-0000000000a2";
constexpr const char* kGateway = "coaps+tcp://127.0.0.1:5684";

std::string describe(const ProcessOutput& out) {
  return "exit " + std::to_string(out.exit_code) + "\nstdout: " + out.out + "\nstderr: " + out.err;
}

/// `binary args...` with no DPS_* variable from the caller's environment.
ProcessOutput run_tool(const std::string& binary, const std::vector<std::string>& args) {
  std::vector<std::string> argv = without_dps_environment({}, binary);
  argv.insert(argv.end(), args.begin(), args.end());
  return run_process(argv);
}

/// The value printed beside `key` by `get`'s key/value view ("" when the key is not there).
std::string detail(const std::string& text, const std::string& key) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(key + " ", 0) != 0) continue;
    const auto value = line.find_first_not_of(' ', key.size());
    return value == std::string::npos ? "" : line.substr(value);
  }
  return "";
}

class DpsctlFirstHour : public DpsTest {
 protected:
  void configure(DpsConfigSpec& spec) override {
    spec.http_enabled = true;
    spec.require_proof_of_possession = true;
    mfg_ = make_manufacturer("itest help mfg");
  }

  std::string server_url() const { return "https://127.0.0.1:" + std::to_string(dps_->api_port()); }

  ProcessOutput run(const std::vector<std::string>& args) {
    std::vector<std::string> full{"--server", server_url(),
                                  "--ca",     (spec_.data_dir / "ca.pem").string(),
                                  "--token",  admin_token(spec_.data_dir, kOwner)};
    full.insert(full.end(), args.begin(), args.end());
    return run_tool(dpsctl_binary().string(), full);
  }

  json run_json(std::vector<std::string> args) {
    args.push_back("--json");
    const auto out = run(args);
    EXPECT_EQ(out.exit_code, 0) << describe(out);
    return json::parse(out.out.substr(0, out.out.find('\n')), nullptr, false);
  }

  std::string create_group() {
    run_json({"hubs", "create", "--hub-id", kHub, "--gateway", kGateway});
    const auto chain = write("help-chain.pem", mfg_.chain_pem());
    const auto key = write("help-intermediate.key", mfg_.intermediate.key_pem());
    return run_json({"groups", "create", "--name", "help group", "--chain", chain.string(), "--hub",
                     kHub, "--proof-key", key.string()})
        .value("id", "");
  }

  Manufacturer mfg_;
};

TEST_F(DpsctlFirstHour, TyposAreAnsweredWithTheNearestNameAndTheUsageCode) {
  const auto command = run({"grups", "list"});
  EXPECT_EQ(command.exit_code, 2) << describe(command);
  EXPECT_NE(command.err.find("unknown command \"grups\" for dpsctl; did you mean \"groups\"?"),
            std::string::npos)
      << describe(command);
  EXPECT_EQ(command.err.find("subcommand is required"), std::string::npos) << describe(command);

  const auto option = run({"groups", "create", "--chian", "f", "--name", "n", "--hub", kHub});
  EXPECT_EQ(option.exit_code, 2) << describe(option);
  EXPECT_NE(option.err.find("unknown option \"--chian\" for dpsctl enrollment-groups create; did "
                            "you mean \"--chain\"?"),
            std::string::npos)
      << describe(option);
  EXPECT_EQ(option.err.find("is required"), std::string::npos) << describe(option);

  const auto verb = run({"hubs", "lsit"});
  EXPECT_NE(verb.err.find("did you mean \"list\"?"), std::string::npos) << describe(verb);
  // Nothing near: the names known there instead of a guess.
  const auto far = run({"hubs", "frobnicate"});
  EXPECT_EQ(far.exit_code, 2) << describe(far);
  EXPECT_NE(far.err.find("(known: list, get, create, update, delete)"), std::string::npos)
      << describe(far);

  const auto dps = run_tool(dps_binary().string(), {"recrods"});
  EXPECT_EQ(dps.exit_code, 2) << describe(dps);
  EXPECT_NE(dps.err.find("did you mean \"records\"?"), std::string::npos) << describe(dps);
  const auto bench = run_tool(dps_bench_binary().string(), {"--devcies", "5"});
  EXPECT_EQ(bench.exit_code, 2) << describe(bench);
  EXPECT_NE(bench.err.find("did you mean \"--devices\"?"), std::string::npos) << describe(bench);
}

TEST_F(DpsctlFirstHour, EveryToolPrintsItsVersionAndGitRevision) {
  const std::regex line(R"(^(\S+) \d+\.\d+\.\d+ \(git ([0-9a-f]{7,}|unknown)\)\n$)");
  std::set<std::string> revisions;
  for (const auto& [tool, binary] : std::vector<std::pair<std::string, std::string>>{
           {"dpsctl", dpsctl_binary().string()},
           {"dps", dps_binary().string()},
           {"dps-bench", dps_bench_binary().string()}}) {
    const auto out = run_tool(binary, {"--version"});
    EXPECT_EQ(out.exit_code, 0) << tool << ": " << describe(out);
    std::smatch parts;
    ASSERT_TRUE(std::regex_match(out.out, parts, line)) << tool << ": " << describe(out);
    EXPECT_EQ(parts[1], tool);
    revisions.insert(parts[2]);
  }
  EXPECT_EQ(revisions.size(), 1u) << "one build, one revision";
}

TEST_F(DpsctlFirstHour, EveryGroupSettingCanBeUndoneAndGetShowsEveryField) {
  const std::string id = create_group();
  ASSERT_FALSE(id.empty());
  X509* listed[] = {mfg_.device.get()};
  const auto crl = write("help.crl.pem", test::make_crl_pem(mfg_.intermediate, listed));
  const auto psk = write("help.psk", "0123456789abcdef-secret-psk");
  const json set =
      run_json({"groups", "update", id, "--revoked", "01ab", "--revoked", "02cd", "--crl-file",
                crl.string(), "--psk-file", psk.string(), "--expired-certificates-allowed"});
  EXPECT_EQ(set["revokedCertificates"], json::array({"01ab", "02cd"})) << set.dump();
  EXPECT_FALSE(set.value("crl", "").empty()) << set.dump();
  EXPECT_FALSE(set.value("preSharedKey", "").empty()) << set.dump();
  EXPECT_EQ(set["attestationMechanism"]["x509"].value("expiredCertificateEnabled", false), true);

  const auto shown = run({"groups", "get", id});
  ASSERT_EQ(shown.exit_code, 0) << describe(shown);
  EXPECT_EQ(detail(shown.out, "id"), id) << shown.out;
  EXPECT_EQ(detail(shown.out, "owner"), kOwner) << shown.out;
  EXPECT_EQ(detail(shown.out, "hubIds"), std::string("1: ") + kHub) << shown.out;
  EXPECT_EQ(detail(shown.out, "revokedCertificates"), "2: 01ab, 02cd") << shown.out;
  EXPECT_EQ(detail(shown.out, "crl"), "PEM, 1 CRL(s)") << shown.out;
  EXPECT_EQ(detail(shown.out, "preSharedKey"), "set (not shown)") << shown.out;
  EXPECT_EQ(detail(shown.out, "attestationMechanism.x509.expiredCertificateEnabled"), "true");
  EXPECT_EQ(detail(shown.out, "attestationMechanism.x509.certificateChain"),
            "PEM, 2 certificate(s)")
      << shown.out;
  EXPECT_EQ(detail(shown.out, "disabled"), "false") << shown.out;
  EXPECT_EQ(detail(shown.out, "templateId"), "none") << shown.out;
  EXPECT_EQ(shown.out.find(set.value("preSharedKey", "?")), std::string::npos) << "PSK shown";
  EXPECT_EQ(shown.out.find("BEGIN"), std::string::npos) << "PEM dumped:\n" << shown.out;

  // An empty file name is not "keep": it names the flag that removes the CRL.
  const auto empty = run({"groups", "update", id, "--crl-file", ""});
  EXPECT_EQ(empty.exit_code, 2) << describe(empty);
  EXPECT_NE(empty.err.find("--no-crl"), std::string::npos) << describe(empty);
  EXPECT_FALSE(run_json({"groups", "get", id}).value("crl", "").empty()) << "still there";

  const json undone = run_json({"groups", "update", id, "--clear-revoked", "--no-crl", "--no-psk",
                                "--expired-certificates-allowed=false"});
  EXPECT_EQ(undone.value("name", ""), "help group") << "not given, so kept";
  const json read_back = run_json({"groups", "get", id});
  EXPECT_TRUE(read_back.value("revokedCertificates", json::array()).empty()) << read_back.dump();
  EXPECT_EQ(read_back.value("crl", ""), "") << read_back.dump();
  EXPECT_EQ(read_back.value("preSharedKey", ""), "") << read_back.dump();
  EXPECT_EQ(read_back["attestationMechanism"]["x509"].value("expiredCertificateEnabled", true),
            false)
      << read_back.dump();
  const auto after = run({"groups", "get", id});
  EXPECT_EQ(detail(after.out, "revokedCertificates"), "none") << after.out;
  EXPECT_EQ(detail(after.out, "crl"), "none") << after.out;
  EXPECT_EQ(detail(after.out, "preSharedKey"), "not set") << after.out;
  EXPECT_EQ(detail(after.out, "attestationMechanism.x509.expiredCertificateEnabled"), "false");

  const auto bad = run({"groups", "update", id, "--expired-certificates-allowed=maybe"});
  EXPECT_EQ(bad.exit_code, 2) << describe(bad);
  const auto help = run_tool(dpsctl_binary().string(), {"groups", "update", "--help"});
  for (const char* text :
       {"--clear-revoked", "--no-crl", "--no-psk", "--expired-certificates-allowed=true|false"}) {
    EXPECT_NE(help.out.find(text), std::string::npos) << text << " in\n" << help.out;
  }
}

TEST_F(DpsctlFirstHour, RecordsShowTimeIdOwnerAndWhyADeviceWasRefused) {
  const std::string group = create_group();
  ASSERT_FALSE(group.empty());
  const auto tls = tls_for(mfg_.device, &mfg_.intermediate);
  const auto provisioned = provision(tls);
  ASSERT_TRUE(provisioned.ok) << provisioned.error;
  const json record = run_json({"records", "list", "--group", group});
  const std::string record_id = record.value("id", "");
  ASSERT_FALSE(record_id.empty()) << record.dump();
  EXPECT_EQ(record.value("owner", ""), kOwner) << record.dump();

  const auto table = run({"records", "list", "--group", group});
  ASSERT_EQ(table.exit_code, 0) << describe(table);
  EXPECT_EQ(table.out.rfind("TIME", 0), 0u) << table.out;
  for (const char* header : {"ID", "DEVICE-ID", "GROUP", "OWNER", "STATUS", "REASON"}) {
    EXPECT_NE(table.out.find(header), std::string::npos) << header << " in\n" << table.out;
  }
  const std::string row = table.out.substr(table.out.find('\n') + 1);
  EXPECT_TRUE(std::regex_search(row, std::regex(R"(^20\d\d-\d\d-\d\dT\d\d:\d\d:\d\dZ  )"))) << row;
  EXPECT_NE(row.find(record_id), std::string::npos) << row;
  EXPECT_NE(row.find(provisioned.device_id), std::string::npos) << row;
  EXPECT_NE(row.find(std::string("  ") + kOwner + "  "), std::string::npos) << row;

  // Refused at the handshake: the record keeps why, and the table shows it.
  run_json({"groups", "update", group, "--disabled"});
  EXPECT_TRUE(handshake_refused(tls));
  std::string refused_row;
  for (int attempt = 0; attempt < 50 && refused_row.find("refused") == std::string::npos;
       ++attempt) {
    // The refusal is written after the handshake, without holding the device up.
    const auto again = run({"records", "list", "--id", record_id});
    refused_row = again.out.substr(again.out.find('\n') + 1);
    if (refused_row.find("refused") == std::string::npos) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  EXPECT_NE(refused_row.find("attestation: refused"), std::string::npos) << refused_row;
  EXPECT_NE(refused_row.find("attestation failed"), std::string::npos) << refused_row;
}

TEST_F(DpsctlFirstHour, EmptyResultsSaySoOnStderrOnly) {
  for (const auto& args :
       std::vector<std::vector<std::string>>{{"groups", "list", "--hub", kUnknownId},
                                             {"hubs", "list", "--hub-id", kUnknownId},
                                             {"records", "list", "--device", kUnknownId},
                                             {"individual-enrollments", "list", "--id", kUnknownId},
                                             {"templates", "list", "--id", kUnknownId}}) {
    for (const bool as_json : {false, true}) {
      auto full = args;
      if (as_json) full.push_back("--json");
      const auto out = run(full);
      EXPECT_EQ(out.exit_code, 0) << args[0] << ": " << describe(out);
      EXPECT_EQ(out.out, "") << args[0] << ": nothing for a script to read, not even a header";
      EXPECT_NE(out.err.find(" matched"), std::string::npos) << args[0] << ": " << describe(out);
    }
  }
  const auto groups = run({"groups", "list", "--hub", kUnknownId});
  EXPECT_EQ(groups.err, "dpsctl: no enrollment groups matched\n");
}

TEST_F(DpsctlFirstHour, HubCommandsTakeTheRecordIdOrTheHubId) {
  const json hub = run_json({"hubs", "create", "--hub-id", kHub, "--gateway", kGateway});
  const std::string record_id = hub.value("id", "");
  ASSERT_FALSE(record_id.empty());
  for (const std::string& id : {record_id, std::string(kHub)}) {
    const auto shown = run({"hubs", "get", id});
    ASSERT_EQ(shown.exit_code, 0) << id << ": " << describe(shown);
    EXPECT_EQ(detail(shown.out, "id"), record_id) << shown.out;
    EXPECT_EQ(detail(shown.out, "hubId"), kHub) << shown.out;
    EXPECT_EQ(detail(shown.out, "gateways"), std::string("1: ") + kGateway) << shown.out;
    EXPECT_EQ(detail(shown.out, "authorization.ownerClaim"), "https://plgd.dev/owner");
  }
  const json renamed = run_json({"hubs", "update", kHub, "--name", "renamed by hubId"});
  EXPECT_EQ(renamed.value("id", ""), record_id);
  EXPECT_EQ(renamed.value("name", ""), "renamed by hubId");
  const auto missing = run({"hubs", "get", kUnknownId});
  EXPECT_EQ(missing.exit_code, 4) << describe(missing);
  const auto help = run_tool(dpsctl_binary().string(), {"hubs", "get", "--help"});
  EXPECT_NE(help.out.find("record id or hubId"), std::string::npos) << help.out;

  const auto deleted = run({"hubs", "delete", kHub});
  EXPECT_EQ(deleted.exit_code, 0) << describe(deleted);
  EXPECT_EQ(deleted.out, "deleted 1 hub(s)\n");
  EXPECT_EQ(run({"hubs", "get", record_id}).exit_code, 4);
}

TEST_F(DpsctlFirstHour, StartupHintNamesThisDpsAndWorksAsPrinted) {
  // The hint as an operator would type it: token and CA from the data directory, this dps's API.
  const auto out = run_tool(dpsctl_binary().string(), {"--data-dir", spec_.data_dir.string(),
                                                       "--server", server_url(), "hubs", "list"});
  EXPECT_EQ(out.exit_code, 0) << describe(out);
  const std::string hint =
      "(dpsctl --data-dir " + spec_.data_dir.string() + " --server " + server_url() + " ...)";
  // Printed after the listening lines the fixture waits for: give the pipe a moment.
  for (int attempt = 0; attempt < 50 && dps_->output().find(hint) == std::string::npos; ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_NE(dps_->output().find(hint), std::string::npos) << dps_->output();
}

TEST_F(DpsctlFirstHour, BashCompletesCommandsOptionsAndFiles) {
  const auto complete = [](const std::string& words) {
    const std::string script =
        "source <(\"$0\" completion bash) || exit 9\n"
        "COMP_WORDS=(" +
        words +
        ")\n"
        "COMP_CWORD=$((${#COMP_WORDS[@]} - 1))\n"
        "_dpsctl\n"
        "echo \"${COMPREPLY[*]}\"\n";
    return run_process({"/bin/bash", "-c", script, dpsctl_binary().string()});
  };
  const auto commands = complete("dpsctl gro");
  EXPECT_EQ(commands.out, "groups\n") << describe(commands);
  const auto verbs = complete("dpsctl --json hubs ''");
  EXPECT_EQ(verbs.out,
            "--ca --data-dir --help --insecure --json --server --timeout --token "
            "--token-file --version create delete get list update\n")
      << describe(verbs);
  const auto options = complete("dpsctl groups update ID --no-");
  EXPECT_EQ(options.out, "--no-crl --no-psk --no-template\n") << describe(options);
  // After an option that takes a value: file names, and the value is not read as a command.
  const auto files = complete("dpsctl --ca /etc/host");
  EXPECT_NE(files.out.find("/etc/hostname"), std::string::npos) << describe(files);
  const auto past_value = complete("dpsctl --server hubs gro");
  EXPECT_EQ(past_value.out, "groups\n") << describe(past_value);

  const auto zsh = run_tool(dpsctl_binary().string(), {"completion", "zsh"});
  EXPECT_EQ(zsh.exit_code, 0) << describe(zsh);
  EXPECT_NE(zsh.out.find("bashcompinit"), std::string::npos);
  EXPECT_EQ(run_tool(dpsctl_binary().string(), {"completion", "fish"}).exit_code, 2);
}

}  // namespace
}  // namespace dpsctl_help
}  // namespace dps::itest
