// The identity a device keeps between runs (dps-device `provision --save-identity DIR`, read back
// by `refresh --identity DIR`): the certificate chain dps issued, its private key, the trust CA
// that came with it and the device id, one file each in DIR.
#pragma once

#include <filesystem>
#include <string_view>

#include "common/result.hpp"
#include "device/device_types.hpp"

namespace dps::device {

/// File names inside an identity directory.
namespace identity_file {
inline constexpr std::string_view kDeviceId = "device-id";        // canonical UUID + '\n'
inline constexpr std::string_view kChain = "identity-chain.pem";  // leaf + intermediates
inline constexpr std::string_view kKey = "identity-key.pem";      // PKCS#8, 0600
inline constexpr std::string_view kTrustCa = "trust-ca.pem";      // oic.sec.cred.trustca
}  // namespace identity_file

/// Writes `identity` (subject_uuid is the device id) into `dir`, creating it (0700) when missing.
/// Each file is replaced atomically; the key is 0600 from creation on. BadRequest when the
/// identity is incomplete (no chain, key or device id), Internal naming the file that could not
/// be written.
[[nodiscard]] Result<void> save_identity(const std::filesystem::path& dir,
                                         const IssuedCredentials& identity);

/// Reads an identity written by save_identity(): subject_uuid, cert_chain_pem, private_key_pem,
/// trust_ca_pem and not_after (of the leaf) are set. BadRequest naming the file that is missing,
/// empty or malformed, or saying the key does not belong to the certificate.
[[nodiscard]] Result<IssuedCredentials> load_identity(const std::filesystem::path& dir);

}  // namespace dps::device
