// Client of plgd hub's certificate-authority service (certificate_authority.proto): signs device
// identity certificates for hubs whose certificateAuthority.grpc names one. One Client per
// distinct connection setting; its channel (TLS, HTTP/2) is reused by every call and reconnects
// by itself when the service comes back. Includes no gRPC header.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace dps::plgd_ca {

struct ClientOptions {
  std::string address;                      // host:port
  std::string ca_pool_pem;                  // CAs that verify the service; empty = the system's CAs
  bool use_system_ca_pool = false;          // the system's CAs too when ca_pool_pem is set
  std::string cert_pem;                     // client certificate chain for mutual TLS; empty = none
  std::string key_pem;                      // its private key
  std::chrono::milliseconds timeout{5000};  // per call, connecting included
  /// HTTP/2 pings on an idle connection (plgd's keepAlive.time / timeout /
  /// permitWithoutStream); zero time = gRPC's default (no pings).
  std::chrono::milliseconds keep_alive_time{0};
  std::chrono::milliseconds keep_alive_timeout{0};
  bool keep_alive_permit_without_stream = false;
};

class Client {
 public:
  /// Makes the channel; connects on the first call, so a service that is down is not an error
  /// here. BadRequest for settings that cannot work (no address, a key without a certificate).
  static Result<std::unique_ptr<Client>> create(const ClientOptions& options);
  virtual ~Client();

  /// SignIdentityCertificate, authenticated as plgd's DPS does it: "authorization: bearer
  /// <token>" metadata, the token carrying the device owner's claim.
  /// @return the PEM chain the service answered (leaf first, root last). Unavailable when the
  ///         service cannot be reached or does not answer within the timeout (the device
  ///         retries); BadRequest when it refused the request (its message in `internal`);
  ///         Forbidden when it refused the token; Internal otherwise.
  /// Blocks the calling thread up to the timeout: never call it on an I/O thread. Thread-safe.
  virtual Result<std::string> sign_identity_certificate(std::string_view csr_pem,
                                                        std::string_view bearer_token) = 0;

 protected:
  Client() = default;
};

}  // namespace dps::plgd_ca
