// The server(s) under test: running ones named on the command line, or a dps that dps-bench
// starts itself, either on a config it generates (temp dir, port 0, SQLite, its own manufacturer
// PKI and enrollment group) or on the user's config.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bench_report.hpp"
#include "device/fleet.hpp"
#include "identities.hpp"
#include "options.hpp"
#include "server_process.hpp"
#include "temp_dir.hpp"

namespace dps::bench {

struct Target {
  std::vector<device::ServerAddress> servers;
  std::string server_ca_pem;
  Manufacturer mfg;
  TargetInfo info;
  std::unique_ptr<TempDir> temp;           // when dps-bench started dps
  std::unique_ptr<ServerProcess> process;  // idem

  /// Stops a started dps (SIGTERM); returns its exit code (0 when none was started).
  int stop();
};

/// Sets everything up (a started dps is announced on stderr). Throws std::invalid_argument for a
/// malformed --server (a usage error) and std::runtime_error for anything else, with a message
/// meant for the user. `before_start(data_dir)` runs before a dps started on a generated config
/// opens its data directory (--tpm enrolls its devices there).
Target prepare_target(
    const BenchOptions& options,
    const std::function<void(const std::filesystem::path& data_dir)>& before_start = {});

/// The YAML of the generated config: data in `dir`/data, 127.0.0.1:0, warn logs, no management
/// API, the inactivity timeout given, one enrollment group for `chain_file`; with
/// `certificateless`, devices may connect without a client certificate (TPM attestation); with
/// `udp`, CoAP over UDP+DTLS listens beside TCP on the same port number.
std::string generated_config(const std::filesystem::path& dir,
                             const std::filesystem::path& chain_file, unsigned inactivity_seconds,
                             bool certificateless = false, bool udp = false);

}  // namespace dps::bench
