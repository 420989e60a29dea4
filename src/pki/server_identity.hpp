// The TLS identity the device-facing listener presents: configured files, or (embedded default)
// a certificate issued once by the EmbeddedCa into the data directory.
#pragma once

#include <filesystem>
#include <string>

#include "common/result.hpp"

namespace dps::pki {

class EmbeddedCa;

struct TlsIdentity {
  /// Leaf first, then intermediates (no root), PEM.
  std::string cert_chain_pem;
  /// PEM private key of the leaf.
  std::string key_pem;
  std::filesystem::path cert_file;
  std::filesystem::path key_file;
};

/// With cert_file and key_file set: reads them and checks that the key matches the first
/// certificate. With both empty: uses data_dir/server.pem + data_dir/server.key, creating them
/// (under the data directory's lock) when absent, or replacing them when the certificate
/// expires within 30 days or was not issued by `ca` (e.g. the CA was replaced). The created
/// certificate: P-256 key, CN "dps", EKU serverAuth + clientAuth, SAN DNS:localhost,
/// IP:127.0.0.1, IP:::1, valid 397 days clamped to the CA.
/// Setting only one of cert_file/key_file is an error.
[[nodiscard]] Result<TlsIdentity> load_or_create_server_identity(
    const EmbeddedCa& ca, const std::filesystem::path& data_dir, const std::string& cert_file,
    const std::string& key_file);

/// The UUID of the first certificate of `cert_chain_pem` when its CN is "uuid:<UUID>" (an OCF
/// identity), else empty: the id no device may be given (provisioning::Services::server_id).
std::string certificate_uuid(const std::string& cert_chain_pem);

}  // namespace dps::pki
