// dps-bench's command line: the options, their checks and the --help text with an example per
// mode.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace dps::bench {

enum class Mode { Provision, Idle, Connections, Preload };

struct BenchOptions {
  Mode mode = Mode::Provision;
  size_t devices = 0;  // --devices: provisioning mode
  size_t concurrency = 16;
  double rate = 0;  // --rate: devices started per second, 0 = closed loop at `concurrency`
  size_t idle = 0;  // --idle: idle-connection mode
  double hold_seconds = 10;
  size_t connections = 0;           // --connections: short-connection mode
  std::string http_get;             // --http-get PATH: its request is HTTP GET PATH (a web server)
  size_t preload = 0;               // --preload-individual-enrollments: set-up mode, no measurement
  std::string data_dir;             // --data-dir: the dps data directory whose dps.db gets them
  std::string postgres_uri;         // --postgres-uri: or this PostgreSQL database
  std::string preload_owner = "1";  // the admin token's default owner
  std::string preload_hub_id = "3c9d8e7f-6a5b-4c3d-9e2f-1a0b9c8d7e6f";  // generated config's hub
  std::vector<std::string> servers;  // --server host:port, repeatable
  std::string start_dps;             // --start-dps: the dps binary to start
  std::string dps_config;            // --dps-config: start dps on this config
  std::string mfg_dir;               // --mfg-dir: as written by `dps-device demo-pki`
  std::string ca_file;               // --ca: trust anchor of the server certificate
  pid_t server_pid = 0;              // --server-pid: external server's pid for /proc
  unsigned client_threads = 0;       // 0 = one per core
  double floor_seconds = 1.0;
  unsigned timeout_ms = 10'000;  // connect and per-step deadline of each device
  unsigned retry_delay_ms = 50;
  unsigned max_restarts = 3;  // whole-flow restarts before a device gives up
  bool tls12 = false;
  bool udp = false;            // devices speak CoAP over UDP+DTLS 1.2
  bool tpm = false;            // --tpm: devices attest with a software TPM instead of a certificate
  std::string tpm_ek = "ecc";  // --tpm-ek: their EKs' kind (rsa, ecc)
  bool json = false;
  bool keep_temp = false;
  std::string command_line;  // argv joined, for the report

  bool starts_dps() const { return !start_dps.empty() || !dps_config.empty(); }
};

/// Registers every option on `app` (with the examples as its footer).
void add_options(CLI::App& app, BenchOptions& options);

/// Cross-option checks after parsing (one mode, one server source, files that go together).
/// @return the usage error, or nullopt when the combination is valid.
std::optional<std::string> check_options(BenchOptions& options);

}  // namespace dps::bench
