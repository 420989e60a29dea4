// The server and one device as dps-bench sets them up (tools/dps-bench/target.cpp), built once in
// process and shared by every benchmark: the demo manufacturer PKI, one enrollment group trusting
// its chain, one hub, the embedded CA, the server identity it issues, the token minter, the real
// device TLS context of the server and the device's client contexts. Building it costs seconds of
// key generation and file writes, so it happens once, outside every timed loop.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "auth/embedded_token_minter.hpp"
#include "device/csr.hpp"
#include "device/tls_client.hpp"
#include "pki/embedded_ca.hpp"
#include "pki/x509_ptr.hpp"
#include "provisioning/catalog.hpp"
#include "provisioning/router.hpp"
#include "support/test_pki.hpp"

namespace benchmark {
class State;
}

namespace dps::microbench {

struct World {
  test::TempDir dir;  // data directory of the CA and minter, the demo PKI, the SQLite file

  std::string group_id;
  std::unique_ptr<pki::EmbeddedCa> ca;
  std::unique_ptr<auth::EmbeddedTokenMinter> tokens;
  std::unique_ptr<provisioning::CatalogHolder> catalogs;
  std::unique_ptr<provisioning::Router> router;
  /// The real server context (net::make_device_tls_context) over `catalogs`.
  std::shared_ptr<boost::asio::ssl::context> server_tls;
  /// What `server_tls` was made of (leaf first, then the embedded CA's chain), for the other TLS
  /// libraries' servers (server_library.hpp).
  std::string server_chain_pem;
  std::string server_key_pem;
  /// The enrollment group's self-signed root (root.pem of the demo PKI): its only trust anchor.
  std::string group_root_pem;

  /// The device as it appears on the wire: leaf + intermediate PEM, and parsed (leaf first).
  std::string device_chain_pem;
  std::vector<pki::X509Ptr> device_chain;
  std::shared_ptr<device::ClientTls> device_tls13;  // OpenSSL's default: TLS 1.3
  std::shared_ptr<device::ClientTls> device_tls12;  // iotivity-lite's mbedTLS: TLS 1.2 only

  /// What the handshake's verify callback yields for this device, for driving the router.
  provisioning::PeerIdentity peer;
  std::string device_id;  // the `di` the device sends
  device::DeviceCsr csr;  // its credentials-step CSR (fresh P-256 key, CN=uuid:<di>)
};

/// The shared world, built on first use. Throws std::runtime_error naming the part that failed.
World& world();

/// world(), or nullptr after state.SkipWithError(why) when it cannot be built: a broken setup
/// shows as an errored benchmark, not a crash of the whole binary.
World* world_or_skip(benchmark::State& state);

}  // namespace dps::microbench
