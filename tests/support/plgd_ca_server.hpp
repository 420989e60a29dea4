// A stand-in for plgd hub's certificate-authority service, which cannot be built here (its Go
// modules are not reachable). It serves plgd's gRPC contract (src/plgd_ca/
// certificate_authority.proto) over TLS on loopback and behaves as plgd's documented service
// does for SignIdentityCertificate (certificate-authority/service/grpc in plgd-dev/hub):
//  - the caller authenticates with "authorization: bearer <JWT>" metadata; the token is verified
//    against the OAuth2 authority's JWKS (discovery on the authority, as plgd does) and must carry
//    the owner claim; otherwise UNAUTHENTICATED;
//  - the CSR's common name is kept; an empty one becomes "uuid:<OwnerToUUID(owner)>"; a CN equal
//    to the hub id is refused (INVALID_ARGUMENT);
//  - a signing record per owner and common name: a second CSR for the same common name with a
//    different public key, while the first certificate is valid, is refused (INVALID_ARGUMENT
//    "common name ... with different public key fingerprint exist");
//  - the certificate gets the OCF identity EKU (1.3.6.1.4.1.44924.1.6) with serverAuth and
//    clientAuth, and the answer is the certificate followed by the CA chain up to the root.
// Faults (refuse every request, answer late) and a stop/start on the same port let tests play a
// CA that is down, slow or refusing.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace dps::test {

struct PlgdCaServerOptions {
  std::string authority;  // OAuth2 authority whose JWKS verifies callers' tokens
  std::string owner_claim = "https://plgd.dev/owner";
  std::string hub_id;  // plgd's hubID: a CSR with this UUID as its CN is refused
  /// Client certificates (mutual TLS) required, verified against this PEM; empty = not asked.
  std::string client_ca_pem;
};

class PlgdCaServer {
 public:
  /// Starts on 127.0.0.1 with a fresh signing CA (root + intermediate) and a server certificate
  /// for IP 127.0.0.1 from a separate TLS root. Throws std::runtime_error when it cannot.
  explicit PlgdCaServer(PlgdCaServerOptions options);
  ~PlgdCaServer();
  PlgdCaServer(const PlgdCaServer&) = delete;
  PlgdCaServer& operator=(const PlgdCaServer&) = delete;

  std::string address() const;           // "127.0.0.1:<port>"
  std::string tls_root_pem() const;      // verifies the server's TLS certificate (caPool)
  std::string signing_root_pem() const;  // root of the identity certificates it issues

  enum class Fault {
    None,
    Refuse,     // INVALID_ARGUMENT "cannot sign identity certificate: refused by the test"
    OtherKey,   // answers a certificate for a key of its own, not the CSR's (a CA gone wrong)
    LeafAlone,  // answers the certificate without its CA chain
    OtherCa,    // answers the certificate followed by a CA that did not issue it
  };
  void set_fault(Fault fault);
  /// Each call is answered `delay` late (zero: at once).
  void set_delay(std::chrono::milliseconds delay);
  /// Stops serving (connections refused) / serves again on the same port.
  void stop();
  void start();

  int signed_count() const;
  /// SignIdentityCertificate calls being served now; wait_for_calls() waits (up to `limit`) until
  /// at least `count` are, so tests act while a device is inside the CA, not after a guess.
  int calls_in_flight() const;
  bool wait_for_calls(int count, std::chrono::milliseconds limit) const;
  /// The owner claim of the last caller whose token verified; "" before.
  std::string last_owner() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace dps::test
