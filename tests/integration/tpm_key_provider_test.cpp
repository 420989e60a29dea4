// A manufacturer key held in the device's TPM (an IDevID, issue 16): the key is created inside
// Debian's swtpm through Debian's tpm2-openssl, its certificate comes from the test
// manufacturer's intermediate, and the real dps-device presents it with --key-provider tpm2 to
// the real dps in the ordinary certificate flow. dps itself needs no change: only the device's
// private key lives elsewhere.
#include <nlohmann/json.hpp>

#include "device/key_provider.hpp"
#include "support/dps_fixture.hpp"
#include "support/tpm_tools.hpp"

namespace dps::itest {
namespace {

using tpm::test::Swtpm;

class TpmKeyProvider : public DpsTest {
 protected:
  void SetUp() override {
    ASSERT_TRUE(tpm::test::have_programs({"swtpm", "openssl"}));
    // The provider is a package of its own: a missing one fails here, naming the fix. (Loading
    // it would need a TPM: tpm2-openssl connects when it loads.)
    const auto modules = tpm::test::run(
        R"sh(test -f "$(openssl version -m | sed 's/^MODULESDIR: "\(.*\)"$/\1/')/tpm2.so")sh");
    ASSERT_EQ(modules.exit_code, 0) << "tpm2-openssl is not installed: run scripts/install-deps.sh";
    DpsTest::SetUp();
  }

  static std::map<std::string, std::string> tcti_env(const Swtpm& tpm) {
    return {{device::kTpm2OpensslTcti, tpm.tcti()}};
  }

  /// A P-256 key made inside `tpm` by tpm2-openssl (the file holds the TPM-wrapped blob only),
  /// written to <name>.tss2.pem in the test's directory.
  std::string make_tpm_key(const Swtpm& tpm, const std::string& name) const {
    const std::string key = (dir_.path() / (name + ".tss2.pem")).string();
    const auto made = tpm::test::run(
        "openssl genpkey -provider tpm2 -provider default "
        "-algorithm EC -pkeyopt group:P-256 -out '" +
            key + "'",
        tcti_env(tpm));
    EXPECT_EQ(made.exit_code, 0) << made.output;
    return key;
  }

  /// The device certificate for `key` (a CSR signed in the TPM, issued by mfg_'s intermediate
  /// with the device profile of docs/manufacturer-pki.md), followed by the intermediate.
  std::string certify(const Swtpm& tpm, const std::string& key, const std::string& name) const {
    const std::string csr = (dir_.path() / (name + ".csr")).string();
    const std::string leaf = (dir_.path() / (name + ".leaf.pem")).string();
    const auto ca = write("mfg-intermediate.pem", mfg_.intermediate.cert_pem()).string();
    const auto ca_key = write("mfg-intermediate.key", mfg_.intermediate.key_pem()).string();
    const auto ext = write("device.ext",
                           "keyUsage = critical, digitalSignature, keyAgreement\n"
                           "extendedKeyUsage = clientAuth\n"
                           "subjectKeyIdentifier = hash\n"
                           "authorityKeyIdentifier = keyid, issuer\n")
                         .string();
    const auto req =
        tpm::test::run("openssl req -new -provider tpm2 -provider default -key '" + key +
                           "' -subj '/O=Acme/CN=acme-tpm-" + name + "' -out '" + csr + "'",
                       tcti_env(tpm));
    EXPECT_EQ(req.exit_code, 0) << req.output;
    const auto signed_leaf = tpm::test::run(
        "openssl x509 -req -in '" + csr + "' -CA '" + ca + "' -CAkey '" + ca_key +
        "' -CAcreateserial -days 30 -sha256 -extfile '" + ext + "' -out '" + leaf + "'");
    EXPECT_EQ(signed_leaf.exit_code, 0) << signed_leaf.output;
    const auto chain = tpm::test::read_file(leaf);
    return write(name + ".pem",
                 std::string(chain.begin(), chain.end()) + mfg_.intermediate.cert_pem())
        .string();
  }

  /// `dps-device provision --key-provider tpm2` with TPM2OPENSSL_TCTI set to `tcti`.
  ProcessOutput provision_with_tpm(const std::string& tcti, const std::string& cert,
                                   const std::string& key,
                                   std::vector<std::string> extra = {}) const {
    std::vector<std::string> args = {"/usr/bin/env",
                                     std::string(device::kTpm2OpensslTcti) + "=" + tcti,
                                     dps_device_binary().string(),
                                     "provision",
                                     "--server",
                                     "127.0.0.1:" + std::to_string(dps_->port()),
                                     "--cert",
                                     cert,
                                     "--key",
                                     key,
                                     "--key-provider",
                                     "tpm2",
                                     "--ca",
                                     (spec_.data_dir / "ca.pem").string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_process(args);
  }
};

class TpmKeyProviderFlow : public TpmKeyProvider, public ::testing::WithParamInterface<bool> {};

TEST_P(TpmKeyProviderFlow, ProvisionsEndToEndWithAKeyThatNeverLeavesTheTpm) {
  const Swtpm tpm;
  ASSERT_TRUE(tpm.running()) << tpm.error();
  const auto key = make_tpm_key(tpm, "lamp");
  const auto cert = certify(tpm, key, "lamp");

  // The file is the TPM-wrapped blob: OpenSSL cannot read a private key out of it on its own.
  const auto file = tpm::test::read_file(key);
  ASSERT_EQ(std::string(file.begin(), file.end()).rfind(device::kTss2KeyPemHeader, 0), 0u);
  EXPECT_NE(tpm::test::run("openssl pkey -in '" + key + "' -noout").exit_code, 0);

  std::vector<std::string> extra = {"--json"};
  if (GetParam()) extra.push_back("--tls12");
  const auto out = provision_with_tpm(tpm.tcti(), cert, key, extra);
  ASSERT_EQ(out.exit_code, 0) << out.out << out.err;
  const auto report = nlohmann::json::parse(out.out, nullptr, false);
  ASSERT_FALSE(report.is_discarded()) << out.out;
  EXPECT_TRUE(report["ok"].get<bool>());
  ASSERT_EQ(report["steps"].size(), 5u) << out.out;
  for (const auto& step : report["steps"]) EXPECT_TRUE(step["ok"].get<bool>()) << step.dump();
  EXPECT_EQ(report["hub"]["sid"], kHubA);
}

INSTANTIATE_TEST_SUITE_P(Tls, TpmKeyProviderFlow, ::testing::Bool(), tls_version_name);

TEST_F(TpmKeyProvider, AStoppedTpmIsRefusedNamingTheTctiBeforeAnyConnection) {
  auto tpm = std::make_unique<Swtpm>();
  ASSERT_TRUE(tpm->running()) << tpm->error();
  const auto key = make_tpm_key(*tpm, "lamp");
  const auto cert = certify(*tpm, key, "lamp");
  const std::string tcti = tpm->tcti();
  tpm.reset();  // stops swtpm

  const auto out = provision_with_tpm(tcti, cert, key);
  EXPECT_EQ(out.exit_code, 1) << out.out << out.err;
  EXPECT_NE(out.err.find("dps-device: --key-provider tpm2: cannot reach the TPM through TCTI '" +
                         tcti + "' (TPM2OPENSSL_TCTI)"),
            std::string::npos)
      << out.err;
  EXPECT_TRUE(records().empty());
}

TEST_F(TpmKeyProvider, ATpmKeyNotMatchingTheCertificateIsRefused) {
  const Swtpm tpm;
  ASSERT_TRUE(tpm.running()) << tpm.error();
  const auto key = make_tpm_key(tpm, "lamp");
  const auto cert = certify(tpm, key, "lamp");
  const auto other_key = make_tpm_key(tpm, "other");

  const auto out = provision_with_tpm(tpm.tcti(), cert, other_key);
  EXPECT_EQ(out.exit_code, 1) << out.out << out.err;
  EXPECT_NE(out.err.find("dps-device: TLS setup: device private key: the TPM key does not match "
                         "the device certificate"),
            std::string::npos)
      << out.err;
  EXPECT_TRUE(records().empty());
}

TEST_F(TpmKeyProvider, APlainPemKeyIsNotATss2KeyAndAHandleNeedsTheProvider) {
  const auto args = provision_args((spec_.data_dir / "ca.pem").string());
  const std::string cert = args[5], plain_key = args[7];
  const auto out = provision_with_tpm("swtpm:host=127.0.0.1,port=1", cert, plain_key);
  EXPECT_EQ(out.exit_code, 2) << out.out << out.err;
  EXPECT_NE(out.err.find("--key " + plain_key +
                         ": not a TSS2 private key (expected -----BEGIN "
                         "TSS2 PRIVATE KEY-----, as tpm2-openssl writes it)"),
            std::string::npos)
      << out.err;

  auto handle = args;
  handle[7] = "handle:0x81000001";
  const auto no_provider = run_process(handle);
  EXPECT_EQ(no_provider.exit_code, 2) << no_provider.out << no_provider.err;
  EXPECT_NE(no_provider.err.find("a TPM handle needs --key-provider tpm2"), std::string::npos)
      << no_provider.err;
}

// OpenSSL looks for providers in OPENSSL_MODULES: an empty directory is a machine without
// tpm2-openssl.
TEST_F(TpmKeyProvider, AMissingProviderIsRefusedNamingThePackage) {
  const Swtpm tpm;
  ASSERT_TRUE(tpm.running()) << tpm.error();
  const auto key = make_tpm_key(tpm, "lamp");
  const auto cert = certify(tpm, key, "lamp");
  std::filesystem::create_directories(dir_.path() / "no-modules");
  const auto out = run_process(
      {"/usr/bin/env", "OPENSSL_MODULES=" + (dir_.path() / "no-modules").string(),
       std::string(device::kTpm2OpensslTcti) + "=" + tpm.tcti(), dps_device_binary().string(),
       "provision", "--server", "127.0.0.1:" + std::to_string(dps_->port()), "--cert", cert,
       "--key", key, "--key-provider", "tpm2", "--ca", (spec_.data_dir / "ca.pem").string()});
  EXPECT_EQ(out.exit_code, 1) << out.out << out.err;
  EXPECT_NE(out.err.find("dps-device: --key-provider tpm2: the tpm2 OpenSSL provider is not "
                         "installed (scripts/install-deps.sh installs tpm2-openssl)"),
            std::string::npos)
      << out.err;
}

}  // namespace
}  // namespace dps::itest
