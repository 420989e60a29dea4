// The two things dps-bench measures, each from set-up target to printed report and exit code.
#pragma once

#include <optional>
#include <vector>

#include "device/software_tpm.hpp"
#include "options.hpp"
#include "target.hpp"

namespace dps::bench {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;

/// The devices of --tpm: made before dps starts, since their EKs are enrolled in its database
/// first (tpm_devices.hpp).
struct TpmDevices {
  std::vector<device::SoftwareTpm> tpms;
  double seconds = 0;  // making them, before the clock
};

/// N devices through the whole flow (with `tpm`, the TPM flow); 0 when every one succeeded,
/// else 1.
int run_provision(const BenchOptions& options, Target& target,
                  std::optional<TpmDevices> tpm = std::nullopt);

/// K idle connections held for a while; 0 when every one opened, else 1.
int run_idle(const BenchOptions& options, Target& target);

/// N short connections (handshake, one request, its answer, close); 0 when every one was
/// served, else 1.
int run_connections(const BenchOptions& options, Target& target);

/// Client threads: the option, or one per core.
unsigned client_threads(const BenchOptions& options);

}  // namespace dps::bench
