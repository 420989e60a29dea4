// Many simulated devices provisioning at once, each behaving as device-protocol §3.7 says a real
// device does when things go wrong: it retries the SAME step after 5.03/5.04, a timeout or a lost
// connection (on a new connection, possibly to another server behind the balancer), starts over
// after three such failures in a row or after any other error code, and gives up after a bounded
// number of restarts. Used by the resilience tests (replica killed, database stopped) and by
// dps-bench.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "device/device_types.hpp"
#include "device/tls_client.hpp"

namespace dps::device {

struct ServerAddress {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
};

struct FleetOptions {
  size_t devices = 1;
  size_t concurrency = 1;  // devices in flight at once
  /// Devices started per second, 0 = as fast as `concurrency` allows. Device i starts no earlier
  /// than i / start_rate seconds after the fleet's start (an open-loop arrival rate, capped by
  /// `concurrency`): latency at a given load, not at saturation.
  double start_rate = 0;
  DeviceConfig device;  // template; device_id is generated per device when empty
  /// The servers devices may reach, asked before every connection (a test changes the answer
  /// when it restarts a replica on a new port). Device i's n-th connection goes to entry
  /// (i + n) % size. Must not return an empty list.
  std::function<std::vector<ServerAddress>()> servers;
  /// Real devices wait 10 s and more before a retry (§3.7); tests and benchmarks shorten it.
  std::chrono::milliseconds retry_delay{50};
  unsigned same_step_retries = 3;  // consecutive transient failures before a full restart
  unsigned max_restarts = 20;      // full restarts before the device gives up
  /// Called from the fleet's thread after every finished device (progress lines).
  std::function<void(size_t finished, size_t failed)> on_device_done;
};

/// What one device went through.
struct DeviceRun {
  std::string device_id;
  bool ok = false;
  std::string error;                 // last failure when !ok
  std::vector<StepOutcome> answers;  // every exchange, retries included, in order
  /// Steps whose success answer the device received (a step may appear more than once after a
  /// restart): the server acknowledged these, so their records must be in its store.
  std::vector<Step> acknowledged;
  unsigned retries = 0;   // same-step retries
  unsigned restarts = 0;  // full restarts
  int64_t total_us = 0;   // first connect → last answer
};

struct FleetResult {
  std::vector<DeviceRun> devices;
  int64_t wall_us = 0;
  size_t succeeded() const;
};

/// Runs the fleet on `threads` I/O threads; blocks until every device finished or gave up.
/// Device i presents identities[i % identities.size()]: the server keeps one provisioning record
/// per manufacturer certificate (its registration id), so devices that must have records of their
/// own need certificates of their own. `identities` must not be empty.
FleetResult run_fleet(const FleetOptions& options,
                      const std::vector<std::shared_ptr<ClientTls>>& identities,
                      unsigned threads = 1);

/// Another device flow than the certificate one (dps-bench --tpm): runs device `index` once
/// against `server` and fills `run` (device_id, ok, error, answers, total_us). No retries.
using DeviceFlow = std::function<boost::asio::awaitable<void>(
    size_t index, const ServerAddress& server, DeviceRun& run)>;

/// Runs `options.devices` devices through `flow` with the pacing and concurrency of `options`
/// (its device, retry and restart settings are the flow's business).
FleetResult run_fleet(const FleetOptions& options, const DeviceFlow& flow, unsigned threads = 1);

/// True for answers a device retries in place: 5.03, 5.04, or no answer at all.
bool is_transient(const StepOutcome& outcome);

}  // namespace dps::device
