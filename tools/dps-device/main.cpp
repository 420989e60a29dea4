// dps-device: a device's DPS flow from the command line (thin: everything lives in src/device).
//   dps-device provision --server HOST:PORT --cert mfg.pem --key mfg.key --ca dps-ca.pem
//   dps-device demo-pki --out DIR
// Exit codes: 0 success, 1 a step failed, 2 usage error.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "device/demo_pki.hpp"
#include "device/provisioner.hpp"
#include "device/report.hpp"

namespace {

constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

struct ProvisionArgs {
  std::string server;
  std::string cert;
  std::string key;
  std::string ca;
  std::string device_id;
  std::string gateway_uri;
  std::string gateway_id;
  bool tls12 = false;
  bool json = false;
  int timeout_ms = 10'000;
};

int run_provision(const ProvisionArgs& args) {
  namespace dev = dps::device;
  auto endpoint = dev::parse_host_port(args.server);
  if (!endpoint) {
    std::cerr << "dps-device: --server: expected HOST:PORT, got '" << args.server << "'\n";
    return kExitUsage;
  }
  dev::DeviceConfig config;
  config.host = endpoint->first;
  config.port = endpoint->second;
  config.device_id = args.device_id;
  config.connect_timeout = config.step_timeout = std::chrono::milliseconds(args.timeout_ms);
  if (!args.gateway_uri.empty() || !args.gateway_id.empty()) {
    config.selected_gateway = dev::Gateway{args.gateway_uri, args.gateway_id};
  }
  dev::ClientTlsOptions tls;
  tls.cert_chain_pem = slurp(args.cert);
  tls.key_pem = slurp(args.key);
  tls.ca_pem = slurp(args.ca);
  tls.force_tls12 = args.tls12;
  const auto result = dev::provision_blocking(config, tls);
  std::cout << (args.json ? dev::format_json(result) + "\n" : dev::format_text(result));
  if (!result.ok && result.steps.empty()) std::cerr << "dps-device: " << result.error << "\n";
  return result.ok ? 0 : kExitFailed;
}

int run_demo_pki(const std::string& out) {
  auto files = dps::device::create_demo_pki(out);
  if (!files) {
    std::cerr << "dps-device: demo-pki: " << files.error().internal << "\n";
    return kExitFailed;
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

  ProvisionArgs args;
  auto* provision = app.add_subcommand("provision", "Run the device's provisioning flow");
  provision->add_option("--server", args.server, "DPS address HOST:PORT")->required();
  provision->add_option("--cert", args.cert, "Manufacturer certificate PEM (leaf first)")
      ->required()
      ->check(CLI::ExistingFile);
  provision->add_option("--key", args.key, "Manufacturer private key PEM")
      ->required()
      ->check(CLI::ExistingFile);
  provision->add_option("--ca", args.ca, "CA PEM that the DPS server certificate chains to")
      ->required()
      ->check(CLI::ExistingFile);
  provision->add_option("--device-id", args.device_id, "Device id (default: random UUID)");
  provision->add_option("--gateway-uri", args.gateway_uri, "selectedGateway uri");
  provision->add_option("--gateway-id", args.gateway_id, "selectedGateway id (hub id)");
  provision->add_option("--timeout-ms", args.timeout_ms, "Per-step timeout")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  provision->add_flag("--tls12", args.tls12, "Offer TLS 1.2 only, as iotivity-lite does");
  provision->add_flag("--json", args.json, "Print the result as one JSON object");

  std::string out_dir;
  auto* demo = app.add_subcommand("demo-pki", "Create a demo manufacturer PKI (idempotent)");
  demo->add_option("--out", out_dir, "Output directory")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : kExitUsage;
  }
  try {
    if (provision->parsed()) return run_provision(args);
    return run_demo_pki(out_dir);
  } catch (const std::exception& e) {
    std::cerr << "dps-device: " << e.what() << "\n";
    return kExitFailed;
  }
}
