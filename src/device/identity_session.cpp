// The identity session (device-protocol §1): a device that provisioned comes back with the
// certificate dps issued it, refreshes its hub token (cloud-configuration), fetches its ACLs and
// may renew that certificate (credentials with a fresh key and CSR). The same checks apply as on
// first provisioning; only the client certificate differs.
#include "device/connect_failure.hpp"
#include "device/provisioner.hpp"

namespace dps::device {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

asio::awaitable<Result<DeviceSessionPtr>> Provisioner::connect_identity(
    const IssuedCredentials& identity, const ClientTlsOptions& trust) {
  // A key that stays in the TPM (TPM attestation) has no PEM: the held identity key signs.
  const bool held = identity.private_key_pem.empty() && identity_key_;
  if (identity.cert_chain_pem.empty() || (identity.private_key_pem.empty() && !held)) {
    co_return fail(ErrorCode::BadRequest, "identity: no issued certificate chain and key");
  }
  ClientTlsOptions options = trust;
  options.cert_chain_pem = identity.cert_chain_pem;
  options.key_pem = identity.private_key_pem;
  // Never the manufacturer key (in a TPM): it signs the first session only.
  options.held_key = held ? identity_key_ : nullptr;
  // One SSL_CTX per identity session: the identity changes with every renewal, and a device
  // comes back rarely (unlike the manufacturer context the load generator shares).
  auto tls = ClientTls::create(options);
  if (!tls) co_return fail(ErrorCode::BadRequest, "identity: " + tls.error().internal);
  auto connect_options = session_options(Step::CloudConfiguration);
  connect_options.identity = true;
  co_return co_await DeviceSession::connect(std::move(*tls), std::move(connect_options));
}

asio::awaitable<ProvisionResult> Provisioner::identity_session(const IssuedCredentials& identity,
                                                               const ClientTlsOptions& trust,
                                                               IdentitySessionSteps steps) {
  const auto start = Clock::now();
  using StepFn = asio::awaitable<StepOutcome> (Provisioner::*)(DeviceSession&);
  std::vector<std::pair<Step, StepFn>> plan;
  if (steps.cloud_configuration)
    plan.emplace_back(Step::CloudConfiguration, &Provisioner::cloud_configuration);
  if (steps.acls) plan.emplace_back(Step::Acls, &Provisioner::acls);
  if (steps.credentials) plan.emplace_back(Step::Credentials, &Provisioner::credentials);
  if (steps.pre_configuration) {
    plan.emplace_back(Step::PreConfiguration, &Provisioner::pre_configuration);
  }
  if (plan.empty()) co_return finish(start);

  // Copied: a renewal replaces result_.credentials, which `identity` may refer to.
  const IssuedCredentials held = identity;
  auto session = co_await connect_identity(held, trust);
  if (!session) {
    StepOutcome outcome{plan.front().first,      false, coap::Code::Empty, {}, 0,
                        session.error().internal};
    outcome.session = Session::Identity;
    outcome.connect_failure = connect_failure_of(session.error());
    record(outcome, nullptr);
    co_return finish(start);
  }
  for (const auto& [step, run] : plan) {
    if (!(co_await (this->*run)(**session)).ok) break;
  }
  co_await (*session)->close();
  co_return finish(start);
}

}  // namespace dps::device
