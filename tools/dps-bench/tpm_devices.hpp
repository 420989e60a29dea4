// dps-bench --tpm: devices that prove themselves by TPM attestation (docs/device-protocol.md §5)
// instead of a manufacturer certificate. Each has a device::SoftwareTpm (dps cannot tell it from
// a TPM by the bytes), its EK enrolled as an individual enrollment, and runs the whole TPM flow:
// time, tpm challenge, tpm activation and ownership on a session without a client certificate,
// then cloud-configuration and ACLs on the identity session with the certificate just issued.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "device/fleet.hpp"
#include "device/software_tpm.hpp"
#include "device/tls_client.hpp"

namespace dps::bench {

/// `count` software TPMs with EKs of `kind` (and an AK each), made on `threads` threads;
/// `progress(done)` is called from those threads. Throws std::runtime_error on a failure.
std::vector<device::SoftwareTpm> make_software_tpms(
    size_t count, device::SoftwareTpm::EkKind kind, unsigned threads,
    const std::function<void(size_t done)>& progress);

/// One TPM individual enrollment per TPM (its EK as the management API keeps it: a data: URI of
/// the TPM2B_PUBLIC; `owner`, `hub_id`) in the SQLite store of the data directory `data_dir`,
/// which no dps has opened yet (created 0700 as dps would). Throws std::runtime_error.
void enroll_software_tpms(const std::filesystem::path& data_dir,
                          const std::vector<device::SoftwareTpm>& tpms, const std::string& owner,
                          const std::string& hub_id);

/// Runs device i with tpms[i] through the TPM flow (no retries: a failed device is reported as
/// such), `trust` its TLS trust of dps; `options` gives the pacing, concurrency, servers and the
/// device template.
device::FleetResult run_tpm_fleet(const device::FleetOptions& options,
                                  std::vector<device::SoftwareTpm> tpms,
                                  const device::ClientTlsOptions& trust, unsigned threads);

}  // namespace dps::bench
