// dps-bench: measures dps. Thin main: arguments → target (running servers, or a dps it starts)
// → provisioning fleet or idle connections → report. See `dps-bench --help`.
// Exit codes: 0 every device succeeded, 1 some failed, 2 usage error.
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <optional>
#include <stdexcept>

#include "modes.hpp"
#include "preload.hpp"
#include "proc_stats.hpp"
#include "progress.hpp"
#include "suggestions.hpp"
#include "tpm_devices.hpp"

namespace {

// Software TPMs for --tpm devices (RSA EKs take a while: progress on stderr).
dps::bench::TpmDevices make_tpm_devices(const dps::bench::BenchOptions& options) {
  using namespace dps::bench;
  const auto start = std::chrono::steady_clock::now();
  TpmDevices devices;
  Progress progress("software TPMs (EK + AK per device)", options.devices);
  devices.tpms =
      make_software_tpms(options.devices,
                         options.tpm_ek == "rsa" ? dps::device::SoftwareTpm::EkKind::Rsa2048
                                                 : dps::device::SoftwareTpm::EkKind::P256,
                         client_threads(options), [&](size_t done) { progress.update(done); });
  progress.finish();
  devices.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return devices;
}

std::string joined(int argc, char** argv) {
  std::string line;
  for (int i = 0; i < argc; ++i) line += (i ? " " : "") + std::string(argv[i]);
  return line;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace dps::bench;
  CLI::App app;
  app.name("dps-bench");
  BenchOptions options;
  add_options(app, options);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() != 0) {
      if (auto typo = dps::cli::explain_unknown_word(app, argc, argv)) {
        std::fprintf(stderr, "dps-bench: %s (see --help)\n", typo->c_str());
        return kExitUsage;
      }
    }
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  }
  if (auto error = check_options(options)) {
    std::fprintf(stderr, "dps-bench: %s (see --help)\n", error->c_str());
    return kExitUsage;
  }
  options.command_line = joined(argc, argv);
  if (options.mode == Mode::Preload) {
    try {
      return run_preload(options);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "dps-bench: %s\n", e.what());
      return kExitFailed;
    }
  }

  // Before anything is opened or started: a started dps inherits the raised limit.
  const FileLimit limit = raise_open_files_limit();
  if (limit.now != limit.before) {
    std::fprintf(stderr, "dps-bench: raised the open files limit from %llu to %llu (hard limit)\n",
                 static_cast<unsigned long long>(limit.before),
                 static_cast<unsigned long long>(limit.now));
  }
  try {
    // --tpm: the devices' EKs are enrolled in the database of the dps before it starts.
    std::optional<TpmDevices> tpm;
    std::function<void(const std::filesystem::path&)> enroll;
    if (options.tpm) tpm = make_tpm_devices(options);
    if (tpm) {
      enroll = [&](const std::filesystem::path& data_dir) {
        enroll_software_tpms(data_dir, tpm->tpms, options.preload_owner, options.preload_hub_id);
      };
    }
    Target target = prepare_target(options, enroll);
    const int code = options.mode == Mode::Idle ? run_idle(options, target)
                     : options.mode == Mode::Connections
                         ? run_connections(options, target)
                         : run_provision(options, target, std::move(tpm));
    const int server_exit = target.stop();
    if (target.process && server_exit != 0) {
      std::fprintf(stderr, "dps-bench: dps exited with %d on SIGTERM\n", server_exit);
    }
    return code;
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "dps-bench: %s\n", e.what());
    return kExitUsage;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "dps-bench: %s\n", e.what());
    return kExitFailed;
  }
}
