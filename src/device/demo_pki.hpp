// A demo manufacturer PKI for trying dps with `dps-device` (no real manufacturer CA at hand):
// root "dps demo manufacturer root" → intermediate "dps demo manufacturer intermediate" (the
// enrollment group's lead certificate) → device leaf "dps demo device" (EKU clientAuth), or the
// same under a manufacturer name of the caller's (two demo manufacturers side by side).
// The intermediate's private key is kept too (intermediate.key): a DEMO/TEST key, so that tools
// such as dps-bench can issue one certificate per simulated device. A real manufacturer never
// ships its issuing key.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace dps::device {

struct DemoPkiFiles {
  std::filesystem::path root;          // root.pem
  std::filesystem::path intermediate;  // intermediate.pem
  std::filesystem::path chain;         // chain.pem: intermediate + root (what an EG holds)
  std::filesystem::path device_cert;   // device.pem: leaf + intermediate (what the device sends)
  std::filesystem::path device_key;    // device.key (0600)
  /// intermediate.key (0600): the issuing key of device certificates. Demo/test only.
  std::filesystem::path intermediate_key;
  bool created = false;  // false: DIR/device.pem existed, nothing was written
};

/// The common names of the demo PKI of manufacturer `name`: "<name> root", "<name>
/// intermediate", "<name> device"; empty `name`: the names above. BadRequest when `name` has
/// control characters, leading or trailing spaces, or would make a name longer than X.509's 64
/// characters.
struct DemoPkiNames {
  std::string root;
  std::string intermediate;
  std::string device;
};
[[nodiscard]] Result<DemoPkiNames> demo_pki_names(std::string_view name);

/// Writes the demo PKI of manufacturer `name` (demo_pki_names()) into `dir` (created if
/// missing). Idempotent: when `dir`/device.pem exists nothing is written and `created` is false;
/// Conflict when that PKI's intermediate has another name than `name` asks for.
[[nodiscard]] Result<DemoPkiFiles> create_demo_pki(const std::filesystem::path& dir,
                                                   std::string_view name = {});

}  // namespace dps::device
