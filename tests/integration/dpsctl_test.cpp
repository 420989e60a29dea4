// dpsctl end to end: the real dpsctl binary against the real dps with its management API on,
// over HTTPS verified with <dataDirectory>/ca.pem, with an admin token the test mints from dps's
// own signing key. Hubs and groups made by dpsctl govern the next device handshake; every exit
// code of exit_codes.hpp is produced by the situation it names.
#include <boost/asio/ip/tcp.hpp>
#include <fstream>
#include <sstream>

#include "auth/admin_token.hpp"
#include "auth/embedded_token_minter.hpp"
#include "support/api_client.hpp"
#include "support/dps_fixture.hpp"

namespace dps::itest {
namespace {

using nlohmann::json;

constexpr const char* kCtlOwner = "5c5c5c5c-0000-4000-8000-00000000000c";
constexpr const char* kCtlHub = "c3c3c3c3-0000-4000-8000-000000000003";
constexpr const char* kNoSuchId = "0f0f0f0f-0000-4000-8000-00000000000f";
constexpr const char* kCtlGateway = "coaps+tcp://127.0.0.1:5684";

std::vector<json> json_lines(const std::string& text) {
  std::vector<json> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    out.push_back(json::parse(line, nullptr, false));
  }
  return out;
}

std::string describe(const ProcessOutput& out) {
  return "exit " + std::to_string(out.exit_code) + "\nstdout: " + out.out + "\nstderr: " + out.err;
}

/// A TCP port on 127.0.0.1 that nothing listens on (bound, then released).
uint16_t closed_port() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor acceptor(
      io, boost::asio::ip::tcp::endpoint(boost::asio::ip::address_v4::loopback(), 0));
  return acceptor.local_endpoint().port();
}

class Dpsctl : public DpsTest {
 protected:
  void configure(DpsConfigSpec& spec) override {
    spec.http_enabled = true;
    spec.require_proof_of_possession = true;           // dps's default: dpsctl does the round trip
    ctl_mfg_ = make_manufacturer("itest dpsctl mfg");  // enrolled only through dpsctl
  }

  std::string token() {
    if (token_.empty()) token_ = token_of(kCtlOwner);
    return token_;
  }

  std::string token_of(const std::string& owner) const {
    return admin_token(spec_.data_dir, owner);
  }

  std::string server_url() const { return "https://127.0.0.1:" + std::to_string(dps_->api_port()); }
  std::string ca_file() const { return (spec_.data_dir / "ca.pem").string(); }

  /// dpsctl with `args` exactly (plus `env` assignments "NAME=value"); checks that neither
  /// output ever shows the test's token.
  ProcessOutput run_raw(const std::vector<std::string>& args,
                        const std::vector<std::string>& env = {}) {
    std::vector<std::string> argv = without_dps_environment(env);
    argv.insert(argv.end(), args.begin(), args.end());
    ProcessOutput out = run_process(argv);
    if (!token_.empty()) {
      EXPECT_EQ(out.out.find(token_), std::string::npos) << "token printed on stdout";
      EXPECT_EQ(out.err.find(token_), std::string::npos) << "token printed on stderr";
    }
    return out;
  }

  /// dpsctl --server <api> --ca <ca.pem> --token <admin token> `args`.
  ProcessOutput run(const std::vector<std::string>& args) {
    std::vector<std::string> full{"--server", server_url(), "--ca", ca_file(), "--token", token()};
    full.insert(full.end(), args.begin(), args.end());
    return run_raw(full);
  }

  /// run(args + --json), expecting success and one JSON object.
  json run_json(std::vector<std::string> args) {
    args.push_back("--json");
    const auto out = run(args);
    EXPECT_EQ(out.exit_code, 0) << describe(out);
    const auto lines = json_lines(out.out);
    EXPECT_EQ(lines.size(), 1u) << describe(out);
    return lines.empty() ? json() : lines.front();
  }

  /// `hubs create` for `hub_id` with the local gateway; returns the created hub.
  json create_hub(const std::string& hub_id) {
    return run_json({"hubs", "create", "--hub-id", hub_id, "--gateway", kCtlGateway});
  }

  /// `groups create` of ctl_mfg_'s chain (read from a file) for kCtlHub, proven with its
  /// intermediate's key; returns its id.
  std::string create_group() {
    const auto chain = write("ctl-chain.pem", ctl_mfg_.chain_pem());
    const auto key = write("ctl-intermediate.key", ctl_mfg_.intermediate.key_pem());
    const json group = run_json({"groups", "create", "--name", "ctl group", "--chain",
                                 chain.string(), "--hub", kCtlHub, "--proof-key", key.string()});
    return group.value("id", "");
  }

  device::ClientTlsOptions ctl_mfg_tls() const {
    return tls_for(ctl_mfg_.device, &ctl_mfg_.intermediate);
  }

  Manufacturer ctl_mfg_;
  std::string token_;
};

TEST_F(Dpsctl, HubsCreateListGetUpdateDelete) {
  const json hub = run_json(
      {"hubs", "create", "--hub-id", kCtlHub, "--gateway", kCtlGateway, "--name", "first hub"});
  const std::string id = hub.value("id", "");
  ASSERT_FALSE(id.empty()) << hub.dump();
  EXPECT_EQ(hub.value("hubId", ""), kCtlHub);
  EXPECT_EQ(hub["gateways"], json::array({kCtlGateway}));
  EXPECT_EQ(hub["authorization"].value("ownerClaim", ""), "https://plgd.dev/owner");

  const auto table = run({"hubs", "list"});
  ASSERT_EQ(table.exit_code, 0) << describe(table);
  EXPECT_EQ(table.out.rfind("ID", 0), 0u) << table.out;
  for (const char* expected : {"HUB-ID", "NAME", "GATEWAYS", "first hub", kCtlGateway}) {
    EXPECT_NE(table.out.find(expected), std::string::npos) << expected << " in\n" << table.out;
  }
  EXPECT_NE(table.out.find(id), std::string::npos) << table.out;

  const auto listed = run({"hubs", "list", "--hub-id", kCtlHub, "--json"});
  ASSERT_EQ(listed.exit_code, 0) << describe(listed);
  const auto lines = json_lines(listed.out);
  ASSERT_EQ(lines.size(), 1u) << listed.out;
  EXPECT_EQ(lines[0], hub);
  EXPECT_EQ(run_json({"hubs", "get", id}), hub);

  const json updated =
      run_json({"hubs", "update", id, "--name", "renamed", "--gateway",
                "coaps+tcp://127.0.0.1:5685", "--device-id-claim", "https://plgd.dev/deviceId"});
  EXPECT_EQ(updated.value("name", ""), "renamed");
  EXPECT_EQ(updated["gateways"], json::array({"coaps+tcp://127.0.0.1:5685"}));
  EXPECT_EQ(updated.value("hubId", ""), kCtlHub) << "not given, so kept";
  EXPECT_EQ(updated["authorization"].value("ownerClaim", ""), "https://plgd.dev/owner");
  EXPECT_EQ(updated["authorization"].value("deviceIdClaim", ""), "https://plgd.dev/deviceId");
  EXPECT_EQ(run_json({"hubs", "get", id}), updated);

  EXPECT_EQ(run_json({"hubs", "delete", id}), json({{"count", "1"}}));
  const auto gone = run({"hubs", "get", id});
  EXPECT_EQ(gone.exit_code, 4) << describe(gone);
  const auto again = run({"hubs", "delete", id});
  EXPECT_EQ(again.exit_code, 4) << describe(again);
}

TEST_F(Dpsctl, GroupFromAChainFileProvisionsItsDevicesUntilDisabled) {
  create_hub(kCtlHub);
  std::string why;
  EXPECT_TRUE(handshake_refused(ctl_mfg_tls(), &why)) << "not enrolled yet, yet: " << why;
  const std::string group_id = create_group();
  ASSERT_FALSE(group_id.empty());

  const auto first = provision(ctl_mfg_tls());
  ASSERT_TRUE(first.ok) << first.error;
  EXPECT_EQ(first.hub.sid, kCtlHub);

  const auto records = run({"records", "list", "--device", first.device_id, "--json"});
  ASSERT_EQ(records.exit_code, 0) << describe(records);
  const auto record_lines = json_lines(records.out);
  ASSERT_EQ(record_lines.size(), 1u) << records.out;
  EXPECT_EQ(record_lines[0].value("deviceId", ""), first.device_id);
  EXPECT_EQ(record_lines[0].value("enrollmentGroupId", ""), group_id);
  const auto record_table = run({"records", "list", "--group", group_id});
  ASSERT_EQ(record_table.exit_code, 0) << describe(record_table);
  EXPECT_NE(record_table.out.find("DEVICE-ID"), std::string::npos) << record_table.out;
  EXPECT_NE(record_table.out.find(first.device_id), std::string::npos) << record_table.out;
  EXPECT_NE(record_table.out.find("attestation ok, time ok, ownership ok, cloud ok, "
                                  "credentials ok, acls ok"),
            std::string::npos)
      << record_table.out;

  const json disabled = run_json({"groups", "update", group_id, "--disabled"});
  EXPECT_EQ(disabled.value("disabled", false), true) << disabled.dump();
  EXPECT_EQ(disabled["hubIds"], json::array({kCtlHub})) << "not given, so kept";
  EXPECT_EQ(disabled.value("name", ""), "ctl group") << "not given, so kept";
  EXPECT_TRUE(handshake_refused(ctl_mfg_tls(), &why)) << "disabled group, yet: " << why;

  const auto table = run({"groups", "list", "--hub", kCtlHub});
  ASSERT_EQ(table.exit_code, 0) << describe(table);
  EXPECT_NE(table.out.find("LEAD-CERTIFICATE"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("itest dpsctl mfg intermediate"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("yes"), std::string::npos) << "DISABLED column\n" << table.out;

  const json enabled = run_json({"groups", "update", group_id, "--enabled"});
  EXPECT_EQ(enabled.value("disabled", true), false) << enabled.dump();
  const auto second = provision(ctl_mfg_tls());
  EXPECT_TRUE(second.ok) << "re-enabled group, yet: " << second.error;

  EXPECT_EQ(run_json({"groups", "delete", group_id}), json({{"count", "1"}}));
  EXPECT_TRUE(handshake_refused(ctl_mfg_tls(), &why)) << "deleted group, yet: " << why;
  // Both provisionings used the same certificate, so they share one record (its registration id).
  EXPECT_EQ(run_json({"records", "delete", "--group", group_id}), json({{"count", "1"}}));
  const auto none = run({"records", "list", "--group", group_id, "--json"});
  EXPECT_EQ(none.exit_code, 0) << describe(none);
  EXPECT_TRUE(none.out.empty()) << none.out;
}

TEST_F(Dpsctl, DataDirSuppliesTheTokenAndTheCa) {
  // dps writes admin.token itself (apis.http.adminToken); earlier builds did not.
  const auto token_file = spec_.data_dir / "admin.token";
  if (!std::filesystem::exists(token_file)) std::ofstream(token_file) << token() << "\n";

  const auto created =
      run_raw({"--server", server_url(), "--data-dir", spec_.data_dir.string(), "hubs", "create",
               "--hub-id", kCtlHub, "--gateway", kCtlGateway, "--json"});
  ASSERT_EQ(created.exit_code, 0) << describe(created);
  const auto hubs = json_lines(created.out);
  ASSERT_EQ(hubs.size(), 1u) << created.out;
  const std::string id = hubs[0].value("id", "");
  const auto got =
      run_raw({"hubs", "get", id, "--json"},
              {"DPS_SERVER=" + server_url(), "DPS_DATA_DIR=" + spec_.data_dir.string()});
  ASSERT_EQ(got.exit_code, 0) << describe(got);
  EXPECT_EQ(json_lines(got.out), hubs);
}

TEST_F(Dpsctl, EnvironmentSuppliesServerTokenAndCa) {
  create_hub(kCtlHub);
  const std::vector<std::string> env{"DPS_SERVER=" + server_url(), "DPS_TOKEN=" + token(),
                                     "DPS_CA=" + ca_file()};
  const auto listed = run_raw({"hubs", "list", "--json"}, env);
  ASSERT_EQ(listed.exit_code, 0) << describe(listed);
  EXPECT_EQ(json_lines(listed.out).size(), 1u) << listed.out;

  // The command line wins over the environment.
  const auto bad_token = run_raw({"--token", "not-a-jwt", "hubs", "list"}, env);
  EXPECT_EQ(bad_token.exit_code, 3) << describe(bad_token);
  const auto token_file = write("token", token() + "\n");
  const auto from_file =
      run_raw({"--token-file", token_file.string(), "hubs", "list"},
              {"DPS_SERVER=" + server_url(), "DPS_TOKEN=not-a-jwt", "DPS_CA=" + ca_file()});
  EXPECT_EQ(from_file.exit_code, 0) << describe(from_file);
}

TEST_F(Dpsctl, GroupsNeedAProofOfPossessionMadeHereOrElsewhere) {
  create_hub(kCtlHub);  // groups name a hub of their owner
  const auto chain = write("ctl-chain.pem", ctl_mfg_.chain_pem());
  const std::vector<std::string> create{"groups",  "create",       "--name", "proven",
                                        "--chain", chain.string(), "--hub",  kCtlHub};
  const auto unproven = run(create);
  EXPECT_EQ(unproven.exit_code, 3) << describe(unproven);
  EXPECT_NE(unproven.err.find("proofOfPossession required"), std::string::npos) << unproven.err;

  // A key that is not the chain's: refused locally, before any request.
  auto wrong_key = create;
  wrong_key.insert(
      wrong_key.end(),
      {"--proof-key",
       write("other.key", make_manufacturer("other").intermediate.key_pem()).string()});
  const auto refused = run(wrong_key);
  EXPECT_EQ(refused.exit_code, 2) << describe(refused);
  EXPECT_NE(refused.err.find("not the key of any certificate in --chain"), std::string::npos)
      << refused.err;

  // Offline: the code from dps, the certificate signed where the CA key lives.
  const json code = run_json({"groups", "verification-code"});
  const std::string value = code.value("code", "");
  ASSERT_EQ(value.size(), 32u) << code.dump();
  EXPECT_FALSE(code.value("expiresAt", "").empty()) << code.dump();
  const auto certificate =
      write("proof.pem", test::make_leaf(ctl_mfg_.intermediate, {.common_name = value}).cert_pem());
  auto offline = create;
  offline.insert(offline.end(), {"--verification-code", value, "--proof-certificate",
                                 certificate.string(), "--json"});
  const auto created = run(offline);
  EXPECT_EQ(created.exit_code, 0) << describe(created);
  const auto reused = run(offline);
  EXPECT_EQ(reused.exit_code, 3) << "a code is single use\n" << describe(reused);
}

TEST_F(Dpsctl, TpmGroupFromAVendorCaFileNeverAdmitsAClientCertificateOfThatCa) {
  create_hub(kCtlHub);
  // A TPM vendor's PKI; its "device" is a TLS client certificate the vendor CA issued.
  const Manufacturer vendor = make_manufacturer("itest tpm vendor");
  const auto chain = write("tpm-vendor.pem", vendor.chain_pem());
  const auto key = write("tpm-vendor.key", vendor.intermediate.key_pem());
  const json group = run_json({"groups", "create", "--name", "tpms", "--tpm-ca", chain.string(),
                               "--hub", kCtlHub, "--proof-key", key.string()});
  const std::string id = group.value("id", "");
  ASSERT_FALSE(id.empty()) << group.dump();
  EXPECT_EQ(group["attestationMechanism"],
            json({{"tpm",
                   {{"vendorCertificateChain", vendor.chain_pem()},
                    {"leadCertificateName", "itest tpm vendor intermediate"},
                    {"expiredCertificateEnabled", false}}}}));
  // TPMs attest with their EK: the group admits no TLS client, even one its CA certified.
  std::string why;
  EXPECT_TRUE(handshake_refused(tls_for(vendor.device, &vendor.intermediate), &why))
      << "a TPM group admitted a client certificate: " << why;

  const auto table = run({"groups", "list"});
  ASSERT_EQ(table.exit_code, 0) << describe(table);
  EXPECT_NE(table.out.find("tpm: itest tpm vendor intermediate"), std::string::npos) << table.out;
  const auto shown = run({"groups", "get", id});
  ASSERT_EQ(shown.exit_code, 0) << describe(shown);
  EXPECT_NE(shown.out.find("attestationMechanism.tpm.vendorCertificateChain"), std::string::npos)
      << shown.out;
  EXPECT_EQ(shown.out.find("x509"), std::string::npos) << shown.out;

  // A setting alone goes to the kind the group has; a new --chain turns it into a certificate
  // group (and needs a proof, like a new --tpm-ca).
  const json lenient = run_json({"groups", "update", id, "--expired-certificates-allowed"});
  EXPECT_EQ(lenient["attestationMechanism"]["tpm"].value("expiredCertificateEnabled", false), true)
      << lenient.dump();
  const json certificates =
      run_json({"groups", "update", id, "--chain", chain.string(), "--proof-key", key.string()});
  EXPECT_FALSE(certificates["attestationMechanism"].contains("tpm")) << certificates.dump();
  EXPECT_TRUE(provision(tls_for(vendor.device, &vendor.intermediate)).ok)
      << "as a certificate group it admits the CA's client certificates";

  const auto neither = run({"groups", "create", "--name", "x", "--hub", kCtlHub});
  EXPECT_EQ(neither.exit_code, 2) << describe(neither);
  EXPECT_NE(neither.err.find("--chain (devices with manufacturer certificates) or --tpm-ca (TPM "
                             "devices) is required"),
            std::string::npos)
      << neither.err;
  const auto both = run({"groups", "create", "--name", "x", "--hub", kCtlHub, "--chain",
                         chain.string(), "--tpm-ca", chain.string()});
  EXPECT_EQ(both.exit_code, 2) << describe(both);
}

TEST_F(Dpsctl, EveryExitCodeMeansWhatItSays) {
  const auto expect_exit = [](const ProcessOutput& out, int code, const std::string& why) {
    EXPECT_EQ(out.exit_code, code) << why << "\n" << describe(out);
    EXPECT_EQ(out.err.rfind("dpsctl: ", 0), 0u) << why << ": stderr starts with dpsctl:\n"
                                                << out.err;
  };
  const auto chain = write("ctl-chain.pem", ctl_mfg_.chain_pem());

  expect_exit(run({"groups", "create", "--chain", chain.string(), "--hub", kCtlHub}), 2,
              "missing --name");
  expect_exit(run({"groups", "create", "--name", "x", "--chain", "/nonexistent/chain.pem", "--hub",
                   kCtlHub}),
              2, "unreadable --chain");
  expect_exit(run({"records", "delete"}), 2, "records delete without a filter");

  expect_exit(run_raw({"--server", server_url(), "--ca", ca_file(), "--token", "not-a-jwt", "hubs",
                       "list"}),
              3, "bad token");
  expect_exit(run_raw({"--server", server_url(), "--ca", ca_file(), "hubs", "list"}), 3,
              "no token");

  expect_exit(run({"hubs", "get", kNoSuchId}), 4, "get of an unknown hub");
  expect_exit(run({"groups", "get", kNoSuchId}), 4, "get of an unknown group");
  expect_exit(run({"groups", "update", kNoSuchId, "--name", "x"}), 4, "update of an unknown id");

  expect_exit(run_raw({"--server", "https://127.0.0.1:" + std::to_string(closed_port()), "--token",
                       "t", "hubs", "list"}),
              5, "closed port");
  expect_exit(run_raw({"--server", server_url(), "--token", token(), "--ca",
                       write("other-ca.pem", ctl_mfg_.root.cert_pem()).string(), "hubs", "list"}),
              5, "server certificate not trusted");

  // Only the intermediate: the chain has no self-signed root, so the API refuses it.
  const auto partial = write("partial-chain.pem", ctl_mfg_.intermediate.cert_pem());
  const auto refused =
      run({"groups", "create", "--name", "x", "--chain", partial.string(), "--hub", kCtlHub});
  expect_exit(refused, 1, "chain that does not verify");
  EXPECT_NE(refused.err.find("certificateChain"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("HTTP 400"), std::string::npos) << refused.err;

  create_hub(kCtlHub);
  const auto conflict = run({"hubs", "create", "--hub-id", kCtlHub, "--gateway", kCtlGateway});
  expect_exit(conflict, 1, "hubId already used (409)");
  EXPECT_NE(conflict.err.find("HTTP 409"), std::string::npos) << conflict.err;
}

// --help needs no server: the root and every verb explain their options, the environment and
// the exit codes.
TEST(DpsctlHelp, RootAndEveryVerbExplainOptionsEnvironmentAndExitCodes) {
  const std::vector<std::vector<std::string>> commands{{},
                                                       {"enrollment-groups"},
                                                       {"groups", "list"},
                                                       {"groups", "get"},
                                                       {"groups", "create"},
                                                       {"groups", "update"},
                                                       {"groups", "delete"},
                                                       {"hubs", "list"},
                                                       {"hubs", "get"},
                                                       {"hubs", "create"},
                                                       {"hubs", "update"},
                                                       {"hubs", "delete"},
                                                       {"records", "list"},
                                                       {"provisioning-records", "delete"}};
  for (const auto& command : commands) {
    std::vector<std::string> argv = without_dps_environment();
    argv.insert(argv.end(), command.begin(), command.end());
    argv.push_back("--help");
    const auto out = run_process(argv);
    std::string name = "dpsctl";
    for (const auto& word : command) name += " " + word;
    EXPECT_EQ(out.exit_code, 0) << name << "\n" << describe(out);
    for (const char* expected :
         {"Options:", "DPS_SERVER", "DPS_TOKEN", "Exit codes:", "5  the server"}) {
      EXPECT_NE(out.out.find(expected), std::string::npos) << name << ": " << expected << " in\n"
                                                           << out.out;
    }
  }
  std::vector<std::string> create = without_dps_environment();
  create.insert(create.end(), {"groups", "create", "--help"});
  const auto out = run_process(create);
  for (const char* option :
       {"--name", "--chain", "--hub", "--lead-certificate-name", "--psk-file",
        "--expired-certificates-allowed", "--disabled", "--revoked", "--crl-file"}) {
    EXPECT_NE(out.out.find(option), std::string::npos) << option << " in\n" << out.out;
  }
}

}  // namespace
}  // namespace dps::itest
