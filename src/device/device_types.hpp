// Plain types of the device client: its configuration, the outcome of each provisioning step and
// of a whole flow. No heavy headers: the load generator and the CLI include this.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "coap/message.hpp"

namespace dps::device {

/// The steps of device-protocol §3, in the order a device runs them. PreConfiguration (dps's
/// extension, device-protocol "Pre-configuration of device resources") runs only when asked:
/// plgd devices never ask. TpmChallenge and TpmActivation (dps's extension, docs/device-protocol.md
/// §5) replace the manufacturer certificate of a TPM device: they run, then Ownership, on a
/// session without a client certificate, and the activation's answer is the credentials'.
enum class Step {
  Time,
  Ownership,
  CloudConfiguration,
  Credentials,
  Acls,
  PreConfiguration,
  TpmChallenge,
  TpmActivation
};

std::string_view to_string(Step step);

/// Which TLS session a step ran on: the manufacturer-certificate session of first provisioning,
/// or an identity session, where the device comes back with the certificate dps issued it to
/// refresh its hub token, fetch its ACLs and renew that certificate (device-protocol §1).
enum class Session { Manufacturer, Identity };

std::string_view to_string(Session session);

/// "acls" on the manufacturer session, "identity acls" on an identity session.
std::string step_name(Step step, Session session);

/// Why a session did not come up, as far as the device can tell the causes apart
/// (connect_failure.hpp says what each likely means and what to do).
enum class ConnectFailure {
  Unreachable,       // resolve, TCP connect, or a timeout
  ServerNotTrusted,  // the server's certificate does not chain to the device's trust anchor
  HandshakeRefused,  // the server answered the TLS handshake with an alert
  Refused,           // the server aborted (7.05) before serving anything: admission refused it
  TlsFailed,         // any other TLS failure (not a TLS server, nothing in common)
};

/// "unreachable", "server-not-trusted", "handshake-refused", "refused", "tls-failed".
std::string_view to_string(ConnectFailure failure);

/// One `{uri, id}` entry of `x.org.iotivity.servers` (device-protocol §3.3), also the shape of
/// `selectedGateway` in the cloud-configuration request.
struct Gateway {
  std::string uri;
  std::string id;
  bool operator==(const Gateway&) const = default;
};

/// What cloud-configuration answered (device-protocol §3.3).
struct HubConfig {
  std::string apn;  // authorization provider name
  std::string cis;  // hub gateway URI
  std::string at;   // access token
  std::string sid;  // hub id
  std::vector<Gateway> servers;
};

/// The optional PSK credential (credtype 1).
struct PreSharedKey {
  std::string subject_uuid;
  std::vector<uint8_t> key;
};

/// What credentials answered, plus the private key the device generated for its CSR.
struct IssuedCredentials {
  std::string subject_uuid;      // of the credtype 8 oic.sec.cred.cert credential
  std::string cert_chain_pem;    // leaf + intermediates as received
  std::string private_key_pem;   // PKCS#8 PEM of the fresh P-256 key
  std::string trust_ca_pem;      // oic.sec.cred.trustca publicdata
  std::string trust_ca_subject;  // its subjectuuid
  std::optional<PreSharedKey> psk;
  std::vector<int> credtypes;  // every cred's credtype, in received order
  std::chrono::system_clock::time_point not_after{};
};

/// One update of the pre-configuration answer: the resource and the properties to write (JSON
/// text of the CBOR map received).
struct ResourceUpdate {
  std::string href;
  std::string representation;
  bool operator==(const ResourceUpdate&) const = default;
};

/// What the device reported for one update: ok, or the CoAP code its resource answered ("4.04"
/// for a resource it does not have).
struct ResourceUpdateResult {
  std::string href;
  bool ok = false;
  std::string error;
  bool operator==(const ResourceUpdateResult&) const = default;
};

/// The pre-configuration step as the device lived it: the updates received, what it reported,
/// and its resources afterwards (href → JSON text).
struct PreConfigurationResult {
  Session session = Session::Manufacturer;  // where it last ran
  std::vector<ResourceUpdate> updates;
  std::vector<ResourceUpdateResult> results;
  bool reported = false;  // dps accepted the report (2.04)
  std::map<std::string, std::string> resources;
};

/// The outcome of one request/response exchange.
struct StepOutcome {
  Step step = Step::Time;
  bool ok = false;
  coap::Code code = coap::Code::Empty;  // Empty when no response arrived
  std::string payload;                  // decoded payload as JSON text (or the diagnostic text)
  int64_t latency_us = 0;               // request written → response read
  std::string error;                    // why the device would reject it (empty when ok)
  Session session = Session::Manufacturer;
  /// Set when the step never ran because its session did not come up (TCP, the TLS handshake,
  /// or admission): reports name the step "connect".
  std::optional<ConnectFailure> connect_failure{};
};

/// step_name(), or "connect" ("identity connect") when the step's session did not come up.
std::string step_name(const StepOutcome& outcome);

/// What an identity session runs, in this order (device-protocol §1: a device that comes back).
struct IdentitySessionSteps {
  bool cloud_configuration = true;  // hub token refresh: the same request as first provisioning
  bool acls = true;
  bool credentials = false;  // renewal: fresh key and CSR; the renewed identity replaces the old
  bool pre_configuration = false;  // last: fetch, apply and report the template's updates
};

/// Knobs of a device run. Defaults are what an iotivity-lite device does.
struct DeviceConfig {
  std::string host = "127.0.0.1";
  uint16_t port = 15684;
  /// Device id (`di`). Empty: a random UUIDv4 is generated per run.
  std::string device_id;
  /// Sent as `selectedGateway` in cloud-configuration when set.
  std::optional<Gateway> selected_gateway;
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds step_timeout{10'000};
  /// The device rejects an identity certificate that expires sooner than this (iotivity: 1 h).
  std::chrono::seconds min_certificate_validity{3600};
  /// Largest inbound message the device can hold; bigger messages fail the step.
  size_t max_inbound_message = 8 * 1024;
  /// Send a CSM after each handshake (generic CoAP clients do; iotivity-lite does not).
  bool send_csm = false;
  /// End the manufacturer session with the pre-configuration step (dps's extension). Off by
  /// default: plgd devices never ask.
  bool pre_configuration = false;
  /// CoAP over UDP+DTLS 1.2 (coaps://) to host:port instead of CoAP over TCP+TLS.
  bool udp = false;
};

/// The outcome of a full flow (time session + provisioning session), and of any identity session
/// run after it: hub and credentials then hold the latest answers (refreshed token, renewed
/// certificate).
struct ProvisionResult {
  bool ok = false;
  std::optional<Step> failed_step;                 // set when !ok and a step failed
  Session failed_session = Session::Manufacturer;  // the session of failed_step
  std::string error;                               // step error, or a connection failure
  /// Set when the failed step's session did not come up (StepOutcome::connect_failure).
  std::optional<ConnectFailure> connect_failure;
  std::vector<StepOutcome> steps;
  std::string device_id;
  /// The device's record id at dps (UUIDv5 of its certificate's key): where its owner finds it,
  /// refusals included (`dpsctl records list --id`). Empty without a certificate.
  std::string registration_id;
  std::string server_time;  // `time` of the time step
  std::string owner_uuid;   // `devowneruuid`
  HubConfig hub;
  IssuedCredentials credentials;
  size_t ace_count = 0;
  /// Set once the pre-configuration step received its updates.
  std::optional<PreConfigurationResult> pre_configuration;
  int64_t total_us = 0;
};

}  // namespace dps::device
