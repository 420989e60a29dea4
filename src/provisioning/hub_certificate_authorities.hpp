// The certificate authority of each hub whose certificateAuthority.grpc names one (plgd's
// certificate-authority service): one plgd_ca::Client per hub, made on the hub's first device and
// kept, with its connection, while the hub's settings stay the same; a hub whose settings change
// gets a fresh one, a hub that is gone loses its own (retain()). Shared by every session. Hubs
// without an address use dps's built-in CA (Services::signer).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "common/keyed_concurrency_limit.hpp"
#include "common/log_throttle.hpp"
#include "common/result.hpp"
#include "pki/certificate_signer.hpp"
#include "pki/csr.hpp"
#include "provisioning/per_hub_cache.hpp"
#include "store/entities.hpp"

namespace dps::metrics {
class Metrics;
}
namespace dps::plgd_ca {
class Client;
}

namespace dps::provisioning {

class HubCertificateAuthorities {
 public:
  /// @param metrics where failures are counted (dps_hub_ca_failures_total); may be null.
  /// @param timeout per call to a certificate authority, connecting included.
  /// @param calls  bounds the calls one owner's hubs have in flight (shared with
  ///        HubTokenSources); null = unbounded.
  explicit HubCertificateAuthorities(
      metrics::Metrics* metrics = nullptr,
      std::chrono::milliseconds timeout = std::chrono::milliseconds(5000),
      KeyedConcurrencyLimit* calls = nullptr);
  ~HubCertificateAuthorities();

  /// Has `hub`'s certificate authority sign `csr_pem` (`csr` is what validate_csr() made of
  /// it), authenticated with `bearer_token` (the hub's token for the device's owner, as
  /// plgd's DPS sends it). Checks the answer: the leaf names the CSR's device and holds its
  /// key, and a CA certificate follows it (the device's trust anchor for the hub).
  /// @return Unavailable (down, past the deadline), BadRequest/Forbidden (refused, with the
  ///         service's reason), Internal (an unusable answer); Unavailable at once when the
  ///         hub's owner has its bound of calls in flight. Failures are counted and logged
  ///         naming the hub (at most 5 lines a second).
  /// Blocks up to the timeout: never on an I/O thread. Thread-safe.
  [[nodiscard]] Result<pki::IssuedCertificate> sign(const store::Hub& hub, std::string_view csr_pem,
                                                    const pki::ValidatedCsr& csr,
                                                    std::string_view bearer_token);

  /// Drops the clients of hubs not in `hub_ids` (record ids): called when the catalog changes,
  /// so a deleted hub's connection and client key do not outlive it.
  void retain(const std::set<std::string, std::less<>>& hub_ids);

  /// Hubs with a client now (for tests).
  size_t size() const;

 private:
  Result<std::shared_ptr<plgd_ca::Client>> client_for(const store::Hub& hub);
  void note_failure(const store::Hub& hub, const Error& error);

  metrics::Metrics* const metrics_;
  const std::chrono::milliseconds timeout_;
  KeyedConcurrencyLimit* const calls_;
  LogThrottle failure_lines_{5};
  PerHubCache<store::GrpcClientConfig, plgd_ca::Client> clients_;
};

}  // namespace dps::provisioning
