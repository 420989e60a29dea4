// The device's DPS flow (device-protocol §1, §3): session 1 runs the time step with certificate
// dates unchecked and closes; session 2 runs ownership, cloud-configuration, credentials and acls.
// Every answer goes through the device's checks (checks.hpp).
//
// An identity session (identity_session.cpp) comes back later with the certificate dps issued: it
// refreshes the hub token, fetches ACLs and renews the certificate.
//
// Coroutine API for running many devices on one io_context (load generator), plus a blocking
// wrapper that runs its own io_context.
#pragma once

#include <openssl/evp.h>

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "device/device_session.hpp"
#include "device/device_types.hpp"
#include "device/resource_tree.hpp"
#include "device/tls_client.hpp"

namespace dps::device {

class TpmAttestor;

/// One device. Steps can run one by one on sessions the caller controls, or all at once via
/// run(). Every step records its outcome in result(); a failed step sets result().failed_step.
/// Not thread-safe: drive one Provisioner from one coroutine at a time.
class Provisioner {
 public:
  template <class T>
  using awaitable = boost::asio::awaitable<T>;

  /// A random device id is chosen when config.device_id is empty.
  Provisioner(DeviceConfig config, std::shared_ptr<ClientTls> tls);

  /// Both sessions, all five steps (and pre-configuration last when config.pre_configuration);
  /// stops at the first failure.
  awaitable<ProvisionResult> run();

  /// Connects a session as the device would for `step` (dates unchecked for Step::Time).
  awaitable<Result<DeviceSessionPtr>> connect(Step step);

  /// A TPM device's first provisioning (docs/device-protocol.md §5, tpm_flow.cpp): the time
  /// session, then one session running tpm challenge, tpm activation and ownership; stops at the
  /// first failure. The Provisioner's TLS context must carry no client certificate. result()
  /// then holds the issued credentials (without a private key when it stays in the TPM) and the
  /// owner; the device continues with identity_session() for its hub, ACLs and pre-configuration.
  awaitable<ProvisionResult> run_tpm(TpmAttestor& tpm);

  /// Connects an identity session: `identity`'s chain and key as the client certificate, the
  /// server trusted as `trust` says (its ca_pem, TLS version, ciphers; its certificate and key are
  /// ignored). Steps run on it are recorded as Session::Identity. Fails as connect() does, or with
  /// BadRequest when the identity does not load (chain and key do not match).
  awaitable<Result<DeviceSessionPtr>> connect_identity(const IssuedCredentials& identity,
                                                       const ClientTlsOptions& trust);

  /// The identity key that identity sessions present when the identity's private_key_pem is
  /// empty: a key that stays in the TPM (TpmAttestor::identity_key()). A renewal's fresh key
  /// replaces it (its PEM is then in the credentials).
  void hold_identity_key(std::shared_ptr<EVP_PKEY> key) { identity_key_ = std::move(key); }

  /// One identity session running `steps` (stops at the first failure) and closing. The `di`
  /// sent is config().device_id (the identity's subject_uuid for a device telling the truth).
  /// result() then holds the refreshed hub and, after a renewal, the renewed credentials; ok is
  /// recomputed over every step recorded so far.
  awaitable<ProvisionResult> identity_session(const IssuedCredentials& identity,
                                              const ClientTlsOptions& trust,
                                              IdentitySessionSteps steps);

  awaitable<StepOutcome> time(DeviceSession& session);
  awaitable<StepOutcome> ownership(DeviceSession& session);
  awaitable<StepOutcome> cloud_configuration(DeviceSession& session);
  /// Generates a fresh P-256 key and CSR for `di`, checks the issued credentials against it.
  awaitable<StepOutcome> credentials(DeviceSession& session);
  awaitable<StepOutcome> acls(DeviceSession& session);
  /// GET the template's updates (di query), apply them to resources(), POST the report
  /// (pre_configuration.cpp). result().pre_configuration then holds updates, results and tree.
  awaitable<StepOutcome> pre_configuration(DeviceSession& session);
  /// POSTs `tpm`'s EK and AK; keeps dps's credential ({"credentialBlob", "encryptedSecret"})
  /// for tpm_activation().
  awaitable<StepOutcome> tpm_challenge(DeviceSession& session, TpmAttestor& tpm);
  /// Answers the kept credential in `tpm` (for config().device_id), POSTs the activation and
  /// checks the answer as the credentials step's, the issued leaf certifying the TPM's key.
  awaitable<StepOutcome> tpm_activation(DeviceSession& session, TpmAttestor& tpm);
  /// The activation body the last tpm_activation() sent (empty before): a test replays it.
  const std::vector<uint8_t>& last_tpm_activation() const { return tpm_activation_body_; }

  /// Points the next connect() at another server (a device retrying through a load balancer, or
  /// a test spreading devices over replicas).
  void set_server(std::string host, uint16_t port);

  const ProvisionResult& result() const { return result_; }
  const DeviceConfig& config() const { return config_; }
  /// The device's simulated resources, which pre_configuration() updates; empty until that
  /// step first runs (a load generator's thousands of devices never build one).
  const ResourceTree& resources() const { return resources_; }
  SessionOptions session_options(Step step) const;

 private:
  /// Sends `request`, times it and fills an outcome; `check` turns the response into an error
  /// string (empty = accepted).
  template <class Check>
  awaitable<StepOutcome> exchange(DeviceSession& session, Step step, coap::Message request,
                                  Check check);
  /// exchange() for the steps of other files.
  awaitable<StepOutcome> exchange_checked(DeviceSession& session, Step step, coap::Message request,
                                          std::function<std::string(const coap::Message&)> check);
  /// A step that failed before anything was sent (`error`), recorded.
  StepOutcome record_local_failure(Step step, std::string error, const DeviceSession* session);
  void record(StepOutcome& outcome, const DeviceSession* session);
  /// Sets ok and total time once a run ends; `error` (a failure outside any step) when no step
  /// failed.
  ProvisionResult finish(std::chrono::steady_clock::time_point start);
  /// A session for `step` that did not connect, recorded as that step's failure.
  void record_connect_failure(Step step, const Error& error);
  /// The first session of both flows: the time alone, dates unchecked (a device with no time yet
  /// cannot check the server certificate's dates), closed after. False when it failed (recorded).
  awaitable<bool> time_session();

  DeviceConfig config_;
  std::shared_ptr<ClientTls> tls_;
  ProvisionResult result_;
  ResourceTree resources_;
  bool resources_seeded_ = false;
  std::shared_ptr<EVP_PKEY> identity_key_;    // hold_identity_key()
  std::vector<uint8_t> tpm_credential_;       // CBOR of the last tpm challenge's answer
  std::vector<uint8_t> tpm_activation_body_;  // CBOR of the last activation sent
};

/// Runs the whole flow on the current executor.
boost::asio::awaitable<ProvisionResult> provision(DeviceConfig config,
                                                  std::shared_ptr<ClientTls> tls);

/// Blocking convenience: builds the TLS context, runs the flow on a private io_context. With
/// `then_identity`, a successful flow is followed by an identity session with the issued
/// credentials (trusting the server as `tls` does).
ProvisionResult provision_blocking(const DeviceConfig& config, const ClientTlsOptions& tls,
                                   std::optional<IdentitySessionSteps> then_identity = {});

/// Blocking TPM flow: Provisioner::run_tpm with `tls`'s trust and no client certificate, and with
/// `then_identity`, when it succeeded, an identity session presenting the identity key (its PEM,
/// or tpm.identity_key()). An empty config.device_id becomes tpm_device_id() of the EK.
ProvisionResult provision_tpm_blocking(const DeviceConfig& config, const ClientTlsOptions& tls,
                                       TpmAttestor& tpm,
                                       std::optional<IdentitySessionSteps> then_identity = {});

/// Blocking identity session only: a device that provisioned earlier and comes back with
/// `identity` (config.device_id should be its subject_uuid).
ProvisionResult identity_session_blocking(const DeviceConfig& config,
                                          const IssuedCredentials& identity,
                                          const ClientTlsOptions& trust,
                                          IdentitySessionSteps steps);

}  // namespace dps::device
