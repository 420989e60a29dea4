// dps-device: a device's DPS flow from the command line (thin: everything lives in src/device).
//   dps-device provision --server HOST:PORT --cert mfg.pem --key mfg.key --ca dps-ca.pem
//       [--identity-session [--renew]] [--pre-configuration] [--save-identity DIR] [--udp]
//   dps-device provision --server HOST:PORT --tpm TCTI [--tpm-ek rsa|ecc] [--tpm-ek-cert FILE]
//       --ca dps-ca.pem [--pre-configuration]
//   dps-device tpm-ek --tpm TCTI [--tpm-ek rsa|ecc] --out ek.pub
//   dps-device refresh --server HOST:PORT --identity DIR --ca dps-ca.pem [--acls] [--renew]
//       [--pre-configuration]
//   dps-device demo-pki --out DIR [--name MANUFACTURER]
//   dps-device --version
// Exit codes: 0 success, 1 a step failed (or the identity could not be saved), 2 usage error.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>

#include "device/connect_failure.hpp"
#include "device/demo_pki.hpp"
#include "device/identity_files.hpp"
#include "device/key_provider.hpp"
#include "device/provisioner.hpp"
#include "device/report.hpp"
#include "device/tpm_attestor.hpp"
#include "suggestions.hpp"
#include "tpm/marshal.hpp"
#include "tpm_device.hpp"
#include "tss/nv.hpp"
#include "version_flag.hpp"

namespace {

constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

namespace dev = dps::device;

/// Options every subcommand that talks to dps shares.
struct ServerArgs {
  std::string server;
  std::string ca;
  bool tls12 = false;
  bool udp = false;
  bool json = false;
  bool show_secrets = false;
  int timeout_ms = 10'000;
};

struct ProvisionArgs {
  ServerArgs common;
  std::string cert;
  std::string key;
  std::string key_provider = "file";
  std::string device_id;
  std::string gateway_uri;
  std::string gateway_id;
  bool identity_session = false;
  bool renew = false;
  bool pre_configuration = false;
  std::string save_identity;
  std::string tpm;  // TCTI: TPM attestation instead of --cert/--key
  std::string tpm_ek = "ecc";
  std::string tpm_ek_cert;  // the EK certificate to send instead of the TPM's (DER or PEM)
};

struct RefreshArgs {
  ServerArgs common;
  std::string identity;
  bool acls = false;
  bool renew = false;
  bool pre_configuration = false;
};

void add_server_options(CLI::App& command, ServerArgs& args) {
  command.add_option("--server", args.server, "DPS address HOST:PORT")->required();
  command.add_option("--ca", args.ca, "CA PEM that the DPS server certificate chains to")
      ->required()
      ->check(CLI::ExistingFile);
  command.add_option("--timeout-ms", args.timeout_ms, "Connect and per-step timeout")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  command.add_flag("--tls12", args.tls12, "Offer TLS 1.2 only, as iotivity-lite does");
  command.add_flag("--udp", args.udp,
                   "CoAP over UDP+DTLS 1.2 (coaps://) to the same HOST:PORT instead of CoAP over "
                   "TCP+TLS (dps with apis.coap.protocols: [tcp, udp]); DTLS 1.2 only");
  auto* json = command.add_flag("--json", args.json, "Print the result as one JSON object");
  command
      .add_flag("--show-secrets", args.show_secrets,
                "Include the device's private key and hub access token in the --json report "
                "(left out by default)")
      ->needs(json);
}

/// Config and TLS trust from the shared options; nullopt (after printing why) on a bad --server.
std::optional<std::pair<dev::DeviceConfig, dev::ClientTlsOptions>> server_setup(
    const ServerArgs& args) {
  auto endpoint = dev::parse_host_port(args.server);
  if (!endpoint) {
    std::cerr << "dps-device: --server: expected HOST:PORT, got '" << args.server << "'\n";
    return std::nullopt;
  }
  dev::DeviceConfig config;
  config.host = endpoint->first;
  config.port = endpoint->second;
  config.connect_timeout = config.step_timeout = std::chrono::milliseconds(args.timeout_ms);
  config.udp = args.udp;
  dev::ClientTlsOptions tls;
  tls.ca_pem = slurp(args.ca);
  tls.force_tls12 = args.tls12;
  return std::pair{std::move(config), std::move(tls)};
}

int report(const ServerArgs& args, const dev::ProvisionResult& result) {
  if (args.json && args.show_secrets) {
    std::cerr << "dps-device: --show-secrets: the report below holds the device's private key "
                 "and hub access token\n";
  }
  std::cout << (args.json ? dev::format_json(result, args.show_secrets) + "\n"
                          : dev::format_text(result));
  if (!result.ok && result.steps.empty()) std::cerr << "dps-device: " << result.error << "\n";
  if (result.connect_failure) {
    const auto hint = dev::connect_hint(*result.connect_failure, args.ca, result.registration_id);
    // Text: part of the report. JSON: stdout stays one object.
    (args.json ? std::cerr << "dps-device: " : std::cout) << "likely cause: " << hint << "\n";
  }
  return result.ok ? 0 : kExitFailed;
}

/// Saves the latest valid identity: after a successful run, or when only the identity session
/// failed (the manufacturer session's, or a failed renewal's previous, certificate still holds).
int save_latest_identity(const std::string& option, const std::string& dir,
                         const dev::ProvisionResult& result) {
  const bool issued_and_valid =
      result.ok || (result.failed_step && result.failed_session == dev::Session::Identity);
  if (!issued_and_valid || result.credentials.cert_chain_pem.empty()) {
    std::cerr << "dps-device: " << option << ": no identity issued, nothing saved in " << dir
              << "\n";
    return kExitFailed;
  }
  if (auto saved = dev::save_identity(dir, result.credentials); !saved) {
    std::cerr << "dps-device: " << option << " " << dir << ": " << saved.error().internal << "\n";
    return kExitFailed;
  }
  if (!result.ok) std::cerr << "dps-device: saved the last valid identity in " << dir << "\n";
  return 0;
}

dps::tss::EkKind ek_kind(const std::string& name) {
  return name == "rsa" ? dps::tss::EkKind::Rsa2048 : dps::tss::EkKind::P256;
}

// tpm2-tss logs every failed TPM command on stderr; dps-device reports the failure itself. A
// TSS2_LOG of the user's own still applies.
void quiet_tss_logging() { ::setenv("TSS2_LOG", "all+none", /*overwrite=*/0); }

/// TPM attestation (docs/device-protocol.md §5) with the TPM at args.tpm, then the identity
/// session with the key the TPM keeps.
int run_tpm_provision(const ProvisionArgs& args, dev::DeviceConfig config,
                      const dev::ClientTlsOptions& trust) {
  quiet_tss_logging();
  std::optional<dps::tpm::Bytes> ek_certificate;
  if (!args.tpm_ek_cert.empty()) {
    auto read = dps::device_cli::read_certificate_file(args.tpm_ek_cert);
    if (!read) {
      std::cerr << "dps-device: --tpm-ek-cert " << read.error().internal << "\n";
      return kExitUsage;
    }
    ek_certificate = std::move(*read);
  }
  auto tpm = dps::device_cli::RealTpm::open(args.tpm, ek_kind(args.tpm_ek));
  if (!tpm) {
    std::cerr << "dps-device: --tpm " << args.tpm << ": " << tpm.error().internal << "\n";
    return kExitFailed;
  }
  if (ek_certificate) (*tpm)->set_ek_certificate(std::move(*ek_certificate));
  const bool sends_ek_certificate = !(*tpm)->ek_certificate().empty();
  const auto ek = (*tpm)->endorsement_key_tpm2b();
  const auto result = dev::provision_tpm_blocking(
      config, trust, **tpm, dev::IdentitySessionSteps{true, true, false, args.pre_configuration});
  const int status = report(args.common, result);
  const bool refused_ek = result.failed_step == dev::Step::TpmChallenge && !result.steps.empty() &&
                          result.steps.back().code == dps::coap::Code::Forbidden;
  if (refused_ek) {
    // Text: part of the report. JSON: stdout stays one object.
    (args.common.json ? std::cerr << "dps-device: " : std::cout)
        << "likely cause: no enabled enrollment names this TPM's endorsement key: write it with "
           "'dps-device tpm-ek --tpm "
        << args.tpm << " --tpm-ek " << args.tpm_ek
        << " --out ek.pub' and enroll it with 'dpsctl individual create --tpm-ek ek.pub' (its "
           "record id will be "
        << dev::tpm_registration_id(ek) << ")"
        << (sends_ek_certificate
                ? ", or no TPM enrollment group's vendor chain issued the EK certificate it sent"
                : "")
        << ((*tpm)->ek_certificate_problem().empty()
                ? ""
                : "; its EK certificate was not sent: " + (*tpm)->ek_certificate_problem())
        << "\n";
  }
  return status;
}

int run_provision(const ProvisionArgs& args) {
  auto setup = server_setup(args.common);
  if (!setup) return kExitUsage;
  auto& [config, tls] = *setup;
  config.device_id = args.device_id;
  if (!args.gateway_uri.empty() || !args.gateway_id.empty()) {
    config.selected_gateway = dev::Gateway{args.gateway_uri, args.gateway_id};
  }
  if (!args.tpm.empty()) return run_tpm_provision(args, std::move(config), tls);
  if (args.cert.empty() || args.key.empty()) {
    std::cerr << "dps-device: provision needs --cert and --key (a manufacturer certificate) or "
                 "--tpm TCTI (TPM attestation)\n";
    return kExitUsage;
  }
  tls.cert_chain_pem = slurp(args.cert);
  if (args.key_provider == "tpm2") {
    auto key = dev::load_tpm2_key(args.key);
    if (!key) {
      std::cerr << "dps-device: " << key.error().internal << "\n";
      return key.error().code == dps::ErrorCode::BadRequest ? kExitUsage : kExitFailed;
    }
    tls.held_key = std::move(*key);
  } else if (args.key.rfind("handle:", 0) == 0) {
    std::cerr << "dps-device: --key " << args.key << ": a TPM handle needs --key-provider tpm2\n";
    return kExitUsage;
  } else {
    tls.key_pem = slurp(args.key);
  }
  // With --identity-session the device asks for its pre-configuration there, not before.
  config.pre_configuration = args.pre_configuration && !args.identity_session;
  std::optional<dev::IdentitySessionSteps> identity;
  if (args.identity_session) {
    identity = dev::IdentitySessionSteps{true, true, args.renew, args.pre_configuration};
  }
  const auto result = dev::provision_blocking(config, tls, identity);
  const int status = report(args.common, result);
  if (args.save_identity.empty()) return status;
  const int saved = save_latest_identity("--save-identity", args.save_identity, result);
  return status != 0 ? status : saved;
}

int run_refresh(const RefreshArgs& args) {
  auto setup = server_setup(args.common);
  if (!setup) return kExitUsage;
  auto& [config, trust] = *setup;
  auto identity = dev::load_identity(args.identity);
  if (!identity) {
    std::cerr << "dps-device: --identity: " << identity.error().internal << "\n";
    return kExitUsage;
  }
  if (identity->not_after <= std::chrono::system_clock::now()) {
    std::cerr << "dps-device: --identity: the identity certificate in " << args.identity
              << " has expired: provision again with the manufacturer certificate\n";
    return kExitFailed;
  }
  config.device_id = identity->subject_uuid;
  const auto result = dev::identity_session_blocking(
      config, *identity, trust,
      dev::IdentitySessionSteps{true, args.acls, args.renew, args.pre_configuration});
  const int status = report(args.common, result);
  // The renewed identity replaces the old one, which dps no longer accepts.
  if (status != 0 || !args.renew) return status;
  return save_latest_identity("--identity", args.identity, result);
}

int run_tpm_ek(const std::string& tcti, const std::string& kind, const std::string& out) {
  quiet_tss_logging();
  auto tpm = dps::device_cli::RealTpm::open(tcti, ek_kind(kind));
  if (!tpm) {
    std::cerr << "dps-device: --tpm " << tcti << ": " << tpm.error().internal << "\n";
    return kExitFailed;
  }
  const auto ek = (*tpm)->endorsement_key_tpm2b();
  std::ofstream file(out, std::ios::binary | std::ios::trunc);
  file.write(reinterpret_cast<const char*>(ek.data()), static_cast<std::streamsize>(ek.size()));
  if (!file.flush()) {
    std::cerr << "dps-device: --out " << out << ": cannot write the file\n";
    return kExitFailed;
  }
  std::cout << "wrote the TPM's endorsement key (" << (kind == "rsa" ? "RSA 2048" : "ECC P-256")
            << ", TPM2B_PUBLIC) to " << out << "\n  enroll it:      dpsctl individual create "
            << "--tpm-ek " << out << " --hub HUB_ID\n  device id:      " << dev::tpm_device_id(ek)
            << "\n  record id:      " << dev::tpm_registration_id(ek) << "\n  EK certificate: ";
  // A TPM enrollment group admits a TPM by the EK certificate it sends, so say whether it has one.
  const std::string index = dps::tss::handle_text(dps::tss::ek_certificate_nv_index(ek_kind(kind)));
  if (const auto certificate = (*tpm)->ek_certificate(); !certificate.empty()) {
    std::cout << certificate.size() << " bytes in NV " << index
              << ", sent with the challenge: a TPM enrollment group over its issuer may admit "
                 "this TPM\n";
  } else if (const auto problem = (*tpm)->ek_certificate_problem(); !problem.empty()) {
    std::cout << "none usable: " << problem << "\n";
  } else {
    std::cout << "none in NV " << index << "\n";
  }
  return 0;
}

int run_demo_pki(const std::string& out, const std::string& name) {
  auto files = dps::device::create_demo_pki(out, name);
  if (!files) {
    std::cerr << "dps-device: demo-pki: " << files.error().internal << "\n";
    return files.error().code == dps::ErrorCode::BadRequest ? kExitUsage : kExitFailed;
  }
  std::cout << (files->created ? "created" : "kept existing") << " demo PKI in " << out
            << ":\n  enrollment group chain: " << files->chain.string()
            << "\n  device certificate:     " << files->device_cert.string()
            << "\n  device key:             " << files->device_key.string() << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"dps-device: a DPS device client (iotivity-lite flow and checks)"};
  app.require_subcommand(1);
  dps::cli::add_version_flag(app, "dps-device");

  ProvisionArgs args;
  auto* provision = app.add_subcommand(
      "provision",
      "Run the device's provisioning flow over its manufacturer certificate (time, ownership, "
      "cloud-configuration, credentials, acls)");
  add_server_options(*provision, args.common);
  auto* cert = provision
                   ->add_option("--cert", args.cert,
                                "Manufacturer certificate PEM (leaf first); or --tpm instead")
                   ->check(CLI::ExistingFile);
  // A TPM's persistent handle is no file.
  const CLI::Validator file_or_handle(
      [](std::string& value) {
        return value.rfind("handle:", 0) == 0 ? std::string() : CLI::ExistingFile(value);
      },
      "FILE");
  auto* key = provision
                  ->add_option("--key", args.key,
                               "Manufacturer private key PEM (with --key-provider tpm2: the TSS2 "
                               "PEM of a key in the TPM, or its persistent handle "
                               "handle:0x81000001)")
                  ->check(file_or_handle);
  auto* key_provider =
      provision
          ->add_option(
              "--key-provider", args.key_provider,
              "Where the private key lives: 'file' (a PEM file) or 'tpm2' (in the device's "
              "TPM, an IDevID, used through Debian's tpm2-openssl provider; the key never "
              "leaves the TPM). The TPM is the TCTI in $TPM2OPENSSL_TCTI, e.g. "
              "device:/dev/tpmrm0 or swtpm:path=/run/swtpm/sock (unset: the TSS default)")
          ->capture_default_str()
          ->check(CLI::IsMember({"file", "tpm2"}));
  provision->add_option("--device-id", args.device_id,
                        "Device id (default: derived from the certificate's key)");
  provision->add_option("--gateway-uri", args.gateway_uri, "selectedGateway uri");
  provision->add_option("--gateway-id", args.gateway_id, "selectedGateway id (hub id)");
  auto* tpm = provision->add_option(
      "--tpm", args.tpm,
      "Instead of a manufacturer certificate, prove the device with its TPM 2.0 (TPM "
      "attestation, docs/device-protocol.md §5): the TPM at this tpm2-tss TCTI, e.g. "
      "device:/dev/tpmrm0 or swtpm:host=127.0.0.1,port=2321. Its endorsement key must be "
      "enrolled (dpsctl individual create --tpm-ek; 'dps-device tpm-ek' writes it). The "
      "identity key is created in the TPM and never leaves it; the identity session (hub token, "
      "ACLs) follows with the certificate issued for it. Default device id: derived from the EK");
  tpm->excludes(cert)->excludes(key)->excludes(key_provider);
  provision
      ->add_option("--tpm-ek", args.tpm_ek,
                   "With --tpm: the EK's kind, as tpm2_createek -G names it (the TCG template: "
                   "RSA 2048 or ECC P-256)")
      ->capture_default_str()
      ->check(CLI::IsMember({"rsa", "ecc"}))
      ->needs(tpm);
  provision
      ->add_option("--tpm-ek-cert", args.tpm_ek_cert,
                   "With --tpm: send this EK certificate (DER or PEM) instead of the one the TPM "
                   "holds in NV (TCG index 0x01c00002 RSA, 0x01c0000a ECC), for a TPM enrollment "
                   "group whose vendor CA issued it; for a TPM whose maker publishes it elsewhere")
      ->check(CLI::ExistingFile)
      ->needs(tpm);
  auto* identity_flag = provision->add_flag(
      "--identity-session", args.identity_session,
      "After provisioning, reconnect with the issued identity certificate and refresh the hub "
      "token (cloud-configuration) and fetch the ACLs over it");
  provision
      ->add_flag("--renew", args.renew,
                 "Also renew the identity certificate over the identity session (fresh key and "
                 "CSR; dps stops accepting the previous certificate)")
      ->needs(identity_flag)
      ->excludes(tpm);  // dps renews a TPM device's identity only with a key its TPM certified
  provision->add_flag("--pre-configuration", args.pre_configuration,
                      "Last, fetch the resource updates of the enrollment template (dps's "
                      "pre-configuration extension), apply them to the simulated resources and "
                      "report the results; on the identity session with --identity-session");
  provision
      ->add_option("--save-identity", args.save_identity,
                   "Write the issued identity (identity-chain.pem, identity-key.pem 0600, "
                   "trust-ca.pem, device-id) into DIR for a later 'refresh'")
      ->excludes(tpm);  // the key of a TPM identity stays in the TPM: no file to save

  RefreshArgs refresh_args;
  auto* refresh = app.add_subcommand(
      "refresh",
      "Come back as a provisioned device: connect with the identity certificate saved by "
      "'provision --save-identity' and refresh the hub token (identity session only)");
  add_server_options(*refresh, refresh_args.common);
  refresh
      ->add_option("--identity", refresh_args.identity,
                   "Identity directory written by 'provision --save-identity'")
      ->required()
      ->check(CLI::ExistingDirectory);
  refresh->add_flag("--acls", refresh_args.acls, "Also fetch the ACLs");
  refresh->add_flag("--pre-configuration", refresh_args.pre_configuration,
                    "Last, fetch, apply and report the enrollment template's resource updates");
  refresh->add_flag("--renew", refresh_args.renew,
                    "Also renew the identity certificate and save the renewed identity back into "
                    "the --identity directory");

  std::string ek_tcti;
  std::string ek_kind_name = "ecc";
  std::string ek_out;
  auto* tpm_ek = app.add_subcommand(
      "tpm-ek",
      "Write the endorsement key of a TPM 2.0 (its TPM2B_PUBLIC, as tpm2_createek -u writes it) "
      "for an operator to enroll, and print the device and record ids it gives and whether the "
      "TPM holds a certificate of that EK (for a TPM enrollment group)");
  tpm_ek->add_option("--tpm", ek_tcti, "The TPM's tpm2-tss TCTI (as for provision --tpm)")
      ->required();
  tpm_ek->add_option("--tpm-ek", ek_kind_name, "The EK's kind: rsa (RSA 2048) or ecc (P-256)")
      ->capture_default_str()
      ->check(CLI::IsMember({"rsa", "ecc"}));
  tpm_ek->add_option("--out", ek_out, "File to write")->required();

  std::string out_dir;
  std::string manufacturer;
  auto* demo = app.add_subcommand("demo-pki", "Create a demo manufacturer PKI (idempotent)");
  demo->add_option("--out", out_dir, "Output directory")->required();
  demo->add_option("--name", manufacturer,
                   "Manufacturer name: the certificates are \"NAME root\", \"NAME intermediate\" "
                   "(the enrollment group's lead) and \"NAME device\" (default: \"dps demo "
                   "manufacturer root\", \"dps demo manufacturer intermediate\", \"dps demo "
                   "device\")");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() != 0) {
      if (auto typo = dps::cli::explain_unknown_word(app, argc, argv)) {
        std::cerr << "dps-device: " << *typo << " (see --help)\n";
        return kExitUsage;
      }
    }
    return app.exit(e) == 0 ? 0 : kExitUsage;
  }
  try {
    if (provision->parsed()) return run_provision(args);
    if (refresh->parsed()) return run_refresh(refresh_args);
    if (tpm_ek->parsed()) return run_tpm_ek(ek_tcti, ek_kind_name, ek_out);
    return run_demo_pki(out_dir, manufacturer);
  } catch (const std::exception& e) {
    std::cerr << "dps-device: " << e.what() << "\n";
    return kExitFailed;
  }
}
