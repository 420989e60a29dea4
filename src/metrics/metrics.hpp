// The service's Prometheus metrics (issue 5): one object, created by the composition root and lent
// by pointer to whatever records an outcome (net, store, provisioning, http). This header is
// deliberately plain: no prometheus-cpp type leaks out of src/metrics/*.cpp, so the modules that
// record compile without those headers.
//
// Every label takes values from a small fixed set (steps, handshake results, CoAP response codes,
// HTTP methods and statuses): no device id, no path with an id, so the number of series is bounded
// whatever devices and clients send.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace dps::metrics {

/// How a device's TLS handshake ended (label `result` of dps_handshakes_total).
enum class HandshakeResult : uint8_t {
  Ok,             // admitted by an enrollment group
  NoGroup,        // no enrollment group names the certificate's issuer
  Disabled,       // a candidate group is disabled (and none admits or revokes the certificate)
  Revoked,        // a candidate group's deny list or CRL names the certificate
  Expired,        // the chain verified but for a certificate's validity period having ended
  Failed,         // anything else: chain does not verify, no certificate, TLS protocol error, reset
  Timeout,        // apis.coap handshake timeout
  NoCertificate,  // completed without a client certificate: a TPM session (device-protocol §5)
};
inline constexpr size_t kHandshakeResultCount = 8;

/// The provisioning step of a device request (label `step`); Other = a path no step serves.
enum class Step : uint8_t {
  Time,
  Ownership,
  CloudConfiguration,
  Credentials,
  Acls,
  PreConfiguration,
  TpmChallenge,   // device-protocol §5
  TpmActivation,  // device-protocol §5
  Other
};
inline constexpr size_t kStepCount = 9;

/// A limit that refused or ended something (label `limit` of dps_limits_triggered_total), each
/// configurable (docs/configuration.md).
enum class Limit : uint8_t {
  MaxConnections,           // apis.coap.maxConnections: connection closed at accept
  SourceConnectionRate,     // apis.coap.connectionRate: connection closed at accept
  HandshakeTimeout,         // apis.coap.handshakeTimeout: TLS not done in time
  InactivityTimeout,        // apis.coap.inactivityMonitor.timeout: no complete message in time
  MaxMessageSize,           // apis.coap.maxMessageSize: frame announced larger, Abort + close
  MaxRequestsPerSession,    // apis.coap.maxRequestsPerSession: Abort + close
  ApiBodySize,              // apis.http.maxBodySize: 413
  ApiTokenRate,             // apis.http.rateLimit: 429
  ApiMaxConnections,        // apis.http.maxConnections (or its descriptor budget): closed at accept
  ApiSourceConnectionRate,  // apis.http.connectionRate: connection closed at accept
  ApiHandshakeTimeout,      // apis.http.handshakeTimeout: no bytes or no TLS in time, closed
  ApiAuthFailures,          // apis.http.authFailureLimit: 429 without verifying the token
};
inline constexpr size_t kLimitCount = 12;

/// Why a datagram of the UDP listener was dropped unanswered or answered only with a cookie
/// (label `reason` of dps_udp_datagrams_dropped_total).
enum class UdpDrop : uint8_t {
  Oversized,       // larger than a DTLS record can be, dropped unread
  NotClientHello,  // from an address without a session, and not a ClientHello
  BadClientHello,  // looked like one; OpenSSL dropped it without an answer
  NoCookie,        // a ClientHello without a valid cookie: answered with a HelloVerifyRequest only
  InboxFull,       // a session's queue of unread datagrams was full
  BadRecord,       // a record OpenSSL could not authenticate (bad MAC, replay, other epoch)
  Stopping,        // a ClientHello while the listener stops
  BadMessage,      // decrypted, but not a CoAP message a session can use (RFC 7252 §4.2-4.3)
};
inline constexpr size_t kUdpDropCount = 8;

std::string_view label_of(HandshakeResult result);
std::string_view label_of(Step step);
std::string_view label_of(Limit limit);

/// Thread-safety: every method may be called from any thread at once. Recording is lock-free and
/// allocation-free on the device path (counters and gauges are atomics resolved once), except that
/// a histogram observation takes that histogram's own short mutex (prometheus-cpp 1.0) and the
/// first use of a (step, code) or (method, status) pair registers its series once.
class Metrics {
 public:
  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // Device connections (net::DeviceServer).
  void on_connection_opened();
  void on_connection_closed();
  /// A limit triggered (a connection refused or closed, a request refused).
  void on_limit(Limit limit);
  /// A datagram of the UDP listener dropped (or, NoCookie, answered with a cookie only).
  void on_udp_dropped(UdpDrop reason, uint64_t count = 1);

  // Device sessions (net::DeviceSession).
  void on_handshake(HandshakeResult result);
  /// A handshake whose certificate an enrollment group of the in-memory catalog admitted (at
  /// certificate verification; the handshake may still fail after it).
  void on_enrollment_group_cache_hit();
  /// One answered device request. `coap_code` is the response code byte (class << 5 | detail);
  /// `seconds` runs from the request being read to its response being written, record commit
  /// included. An Acls answer of class 2 also counts one device fully provisioned.
  void on_step(Step step, uint8_t coap_code, double seconds);

  // Group commit (store::RecordWriter): one call per transaction.
  void on_store_commit(size_t batch_size, double seconds, bool committed);

  // Enrollment-group catalog (provisioning::CatalogRefresher): one call per (re)build.
  void on_catalog_loaded(int64_t configuration_version);

  // Management API (http::HttpServer): one call per answered request.
  void on_api_request(std::string_view method, unsigned status);
  /// Management API connections admitted (gauge dps_api_open_connections).
  void on_api_connection_opened();
  void on_api_connection_closed();

  // Hub tokens from an OAuth2 authority (provisioning::HubTokenSources): one call per token a
  // device could not be given; `refused`: the authority refused the client or its token lacked
  // a claim (the device got 4.00), otherwise it could not be used (5.03).
  void on_hub_token_failure(bool refused);
  enum class HubCaFailure { Refused, Unavailable, Failed };
  /// An identity certificate a hub's gRPC certificate authority did not sign.
  void on_hub_ca_failure(HubCaFailure kind);

  /// The Prometheus text exposition format, version 0.0.4.
  std::string render() const;
  static constexpr std::string_view kContentType = "text/plain; version=0.0.4";

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// "2.05" for 0x45: a CoAP code as dotted text (RFC 7252 §3).
std::string coap_code_text(uint8_t code);

}  // namespace dps::metrics
