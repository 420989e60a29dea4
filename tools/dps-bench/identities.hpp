// Device identities for the fleet: the server keeps one provisioning record per device key
// (registration id = UUIDv5 of the leaf's SubjectPublicKeyInfo), so every simulated device gets a
// P-256 key and a certificate of its own, issued by the manufacturer's intermediate.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "device/tls_client.hpp"
#include "pki/x509_ptr.hpp"

namespace dps::bench {

/// A manufacturer PKI as `dps-device demo-pki --out DIR` writes it.
struct Manufacturer {
  std::filesystem::path dir;
  std::filesystem::path chain_file;  // chain.pem: intermediate + root (the enrollment group's)
  std::string intermediate_pem;      // sent by every device after its leaf
  pki::X509Ptr intermediate;
  pki::EvpPkeyPtr intermediate_key;  // intermediate.key: the demo/test issuing key
  std::string device_cert_pem;       // device.pem: one ready leaf + intermediate
  std::string device_key_pem;        // device.key
};

/// Reads `dir`. A missing intermediate.key (a directory made before dps-device kept it) is a
/// BadRequest that says how to make a new one.
[[nodiscard]] Result<Manufacturer> load_manufacturer(const std::filesystem::path& dir);

/// How the devices' TLS is set up.
struct DeviceTlsSettings {
  std::string server_ca_pem;
  bool tls12 = false;
};

/// `count` device contexts, each with a fresh key and leaf ("dps-bench device <i>"), built on
/// `threads` threads; `progress(done)` is called from those threads (serialise it yourself).
/// Throws std::runtime_error on the first failure.
std::vector<std::shared_ptr<device::ClientTls>> issue_identities(
    const Manufacturer& mfg, size_t count, const DeviceTlsSettings& settings, unsigned threads,
    const std::function<void(size_t done)>& progress);

/// One context for device.pem/device.key (idle connections share it: no record is written).
[[nodiscard]] Result<std::shared_ptr<device::ClientTls>> demo_device_identity(
    const Manufacturer& mfg, const DeviceTlsSettings& settings);

}  // namespace dps::bench
