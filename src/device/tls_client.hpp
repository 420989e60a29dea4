// TLS client context of the device (device-protocol §1): the device's cipher list and curves, its
// manufacturer certificate, and the DPS trust anchor checked without any host name.
#pragma once

#include <openssl/evp.h>
#include <openssl/ssl.h>

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <mutex>
#include <string>

#include "common/result.hpp"

namespace dps::device {

struct ClientTlsOptions {
  std::string cert_chain_pem;  // manufacturer leaf first, then optional intermediates
  std::string key_pem;         // the leaf's private key (both empty: no client certificate)
  std::string ca_pem;          // trust anchor(s) for the DPS server certificate
  bool force_tls12 = false;    // iotivity-lite's mbedTLS speaks TLS 1.2 only
  std::string cipher_list;     // TLS 1.2 suites; empty = kDeviceCipherList
  std::string curves;          // empty = kDeviceCurves
  // Instead of key_pem, a key whose private half stays elsewhere (a TPM: key_provider.hpp).
  std::shared_ptr<EVP_PKEY> held_key;
};

/// One SSL_CTX shared by any number of device sessions (build once, reuse: OpenSSL 3.0 is slow at
/// parsing). Thread-safe to share once built.
class ClientTls {
 public:
  /// Builds the context. Fails with BadRequest naming the PEM that did not load.
  [[nodiscard]] static Result<std::shared_ptr<ClientTls>> create(const ClientTlsOptions& options);

  boost::asio::ssl::context& context() { return context_; }
  bool tls12_only() const { return tls12_only_; }
  /// The device id this identity uses unless told otherwise: UUIDv5 of its certificate's public
  /// key (empty without a certificate). A real device keeps its id between provisionings (dps pins
  /// it to the device's record), so a simulated one must not invent a new one each run.
  const std::string& default_device_id() const { return default_device_id_; }
  /// The device's record id at dps: UUIDv5 of its certificate's key (empty without one).
  const std::string& registration_id() const { return registration_id_; }

  /// The DTLS 1.2 twin of context() for CoAP over UDP (dtls_client.hpp): the same certificate,
  /// key, trust anchors, cipher list and curves. Built on first use, once (thread-safe); fails
  /// with Internal when OpenSSL refuses a piece of it.
  [[nodiscard]] Result<SSL_CTX*> dtls_context();

 private:
  explicit ClientTls(bool tls12_only);

  boost::asio::ssl::context context_;
  bool tls12_only_;
  std::string cipher_list_;
  std::string curves_;
  std::once_flag dtls_once_;
  std::shared_ptr<SSL_CTX> dtls_context_;
  std::string dtls_error_;
  std::string default_device_id_;
  std::string registration_id_;
};

/// The cipher suites a device offers for DPS, in its order (OpenSSL names; device-protocol §1).
inline constexpr const char* kDeviceCipherList =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-AES256-SHA384:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384";
inline constexpr const char* kDeviceCurves = "P-256:P-384";

}  // namespace dps::device
