#include "device/provisioner.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "device/checks.hpp"
#include "device/connect_failure.hpp"
#include "device/csr.hpp"
#include "device/requests.hpp"
#include "device/tpm_attestor.hpp"

namespace dps::device {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

int64_t micros_since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count();
}

template <class T>
std::string error_of(const Result<T>& r) {
  return r ? std::string() : r.error().internal;
}

}  // namespace

std::string_view to_string(Step step) {
  switch (step) {
    case Step::Time:
      return "time";
    case Step::Ownership:
      return "ownership";
    case Step::CloudConfiguration:
      return "cloud-configuration";
    case Step::Credentials:
      return "credentials";
    case Step::Acls:
      return "acls";
    case Step::PreConfiguration:
      return "pre-configuration";
    case Step::TpmChallenge:
      return "tpm challenge";
    case Step::TpmActivation:
      return "tpm activation";
  }
  return "unknown";
}

Provisioner::Provisioner(DeviceConfig config, std::shared_ptr<ClientTls> tls)
    : config_(std::move(config)), tls_(std::move(tls)) {
  if (config_.device_id.empty() && tls_) config_.device_id = tls_->default_device_id();
  if (config_.device_id.empty()) config_.device_id = random_uuid();
  result_.device_id = config_.device_id;
  if (tls_) result_.registration_id = tls_->registration_id();
}

void Provisioner::set_server(std::string host, uint16_t port) {
  config_.host = std::move(host);
  config_.port = port;
}

SessionOptions Provisioner::session_options(Step step) const {
  SessionOptions o;
  o.host = config_.host;
  o.port = config_.port;
  o.check_certificate_time = step != Step::Time;
  o.connect_timeout = config_.connect_timeout;
  o.request_timeout = config_.step_timeout;
  o.max_inbound_message = config_.max_inbound_message;
  o.send_csm = config_.send_csm;
  o.udp = config_.udp;
  return o;
}

asio::awaitable<Result<DeviceSessionPtr>> Provisioner::connect(Step step) {
  co_return co_await DeviceSession::connect(tls_, session_options(step));
}

std::string_view to_string(Session session) {
  return session == Session::Identity ? "identity" : "manufacturer";
}

std::string step_name(Step step, Session session) {
  std::string name(to_string(step));
  return session == Session::Identity ? "identity " + name : name;
}

std::string step_name(const StepOutcome& outcome) {
  if (!outcome.connect_failure) return step_name(outcome.step, outcome.session);
  return outcome.session == Session::Identity ? "identity connect" : "connect";
}

void Provisioner::record(StepOutcome& outcome, const DeviceSession* session) {
  if (session != nullptr && session->options().identity) outcome.session = Session::Identity;
  result_.steps.push_back(outcome);
  if (!outcome.ok && !result_.failed_step) {
    result_.failed_step = outcome.step;
    result_.failed_session = outcome.session;
    result_.connect_failure = outcome.connect_failure;
    result_.error = step_name(outcome) + ": " + outcome.error;
  }
}

ProvisionResult Provisioner::finish(Clock::time_point start) {
  result_.ok = result_.error.empty() && !result_.failed_step;
  result_.total_us += micros_since(start);
  return result_;
}

template <class Check>
asio::awaitable<StepOutcome> Provisioner::exchange(DeviceSession& session, Step step,
                                                   coap::Message request, Check check) {
  StepOutcome outcome;
  outcome.step = step;
  const auto start = Clock::now();
  auto response = co_await session.request(std::move(request));
  outcome.latency_us = micros_since(start);
  if (!response) {
    outcome.error = response.error().internal;
    // Refused before being served: the session never came up, whatever step was asked.
    if (response.error().code == ErrorCode::Forbidden) outcome.connect_failure = session.refusal();
  } else {
    outcome.code = response->code;
    outcome.payload = payload_text(*response);
    outcome.error = check(*response);
    outcome.ok = outcome.error.empty();
  }
  record(outcome, &session);
  co_return outcome;
}

asio::awaitable<StepOutcome> Provisioner::exchange_checked(
    DeviceSession& session, Step step, coap::Message request,
    std::function<std::string(const coap::Message&)> check) {
  co_return co_await exchange(session, step, std::move(request), std::move(check));
}

StepOutcome Provisioner::record_local_failure(Step step, std::string error,
                                              const DeviceSession* session) {
  StepOutcome outcome{step, false, coap::Code::Empty, {}, 0, std::move(error)};
  record(outcome, session);
  return outcome;
}

asio::awaitable<StepOutcome> Provisioner::time(DeviceSession& session) {
  co_return co_await exchange(session, Step::Time, make_time_request(), [&](const auto& r) {
    auto answer = check_time_response(r);
    if (answer) result_.server_time = answer->time;
    return error_of(answer);
  });
}

asio::awaitable<StepOutcome> Provisioner::ownership(DeviceSession& session) {
  co_return co_await exchange(session, Step::Ownership, make_ownership_request(),
                              [&](const auto& r) {
                                auto owner = check_ownership_response(r);
                                if (owner) result_.owner_uuid = *owner;
                                return error_of(owner);
                              });
}

asio::awaitable<StepOutcome> Provisioner::cloud_configuration(DeviceSession& session) {
  auto request = make_cloud_configuration_request(config_.device_id, config_.selected_gateway);
  co_return co_await exchange(session, Step::CloudConfiguration, std::move(request),
                              [&](const auto& r) {
                                auto hub = check_cloud_configuration_response(r);
                                if (hub) result_.hub = *hub;
                                return error_of(hub);
                              });
}

asio::awaitable<StepOutcome> Provisioner::credentials(DeviceSession& session) {
  auto csr = make_device_csr(config_.device_id);
  if (!csr) {
    StepOutcome outcome{Step::Credentials, false, coap::Code::Empty, {}, 0, csr.error().internal};
    record(outcome, &session);
    co_return outcome;
  }
  auto request = make_credentials_request(config_.device_id, csr->csr_pem);
  co_return co_await exchange(session, Step::Credentials, std::move(request), [&](const auto& r) {
    CredentialExpectations expect{config_.device_id, csr->public_key_der, csr->private_key_pem,
                                  std::chrono::system_clock::now(),
                                  config_.min_certificate_validity};
    auto creds = check_credentials_response(r, expect);
    if (creds) result_.credentials = *creds;
    return error_of(creds);
  });
}

asio::awaitable<StepOutcome> Provisioner::acls(DeviceSession& session) {
  co_return co_await exchange(session, Step::Acls, make_acls_request(), [&](const auto& r) {
    auto count = check_acls_response(r);
    if (count) result_.ace_count = *count;
    return error_of(count);
  });
}

void Provisioner::record_connect_failure(Step step, const Error& error) {
  StepOutcome outcome{step, false, coap::Code::Empty, {}, 0, error.internal};
  outcome.connect_failure = connect_failure_of(error);
  record(outcome, nullptr);
}

asio::awaitable<bool> Provisioner::time_session() {
  auto session = co_await connect(Step::Time);
  if (!session) {
    record_connect_failure(Step::Time, session.error());
    co_return false;
  }
  const bool ok = (co_await time(**session)).ok;
  co_await (*session)->close();
  co_return ok;
}

asio::awaitable<ProvisionResult> Provisioner::run() {
  const auto start = Clock::now();
  // Each awaited into a local (GCC 12 miscompiles co_await in a condition, architecture.md).
  const bool timed = co_await time_session();
  if (!timed) co_return finish(start);
  auto session = co_await connect(Step::Ownership);
  if (!session) {
    record_connect_failure(Step::Ownership, session.error());
    co_return finish(start);
  }
  using StepFn = asio::awaitable<StepOutcome> (Provisioner::*)(DeviceSession&);
  std::vector<StepFn> plan{&Provisioner::ownership, &Provisioner::cloud_configuration,
                           &Provisioner::credentials, &Provisioner::acls};
  if (config_.pre_configuration) plan.push_back(&Provisioner::pre_configuration);
  for (auto step : plan) {
    if (!(co_await (this->*step)(**session)).ok) break;
  }
  co_await (*session)->close();
  co_return finish(start);
}

asio::awaitable<ProvisionResult> provision(DeviceConfig config, std::shared_ptr<ClientTls> tls) {
  Provisioner device(std::move(config), std::move(tls));
  co_return co_await device.run();
}

namespace {

/// Runs `flow` (a coroutine returning ProvisionResult) on a private io_context; an escaped
/// exception becomes the result's error.
template <class Flow>
ProvisionResult run_blocking(Flow flow) {
  ProvisionResult result;
  asio::io_context io;
  asio::co_spawn(io, std::move(flow), [&](std::exception_ptr e, ProvisionResult r) {
    if (!e) {
      result = std::move(r);
      return;
    }
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      result.error = std::string("unexpected exception: ") + ex.what();
    } catch (...) {
      result.error = "unexpected exception";
    }
  });
  io.run();
  return result;
}

}  // namespace

ProvisionResult provision_blocking(const DeviceConfig& config, const ClientTlsOptions& options,
                                   std::optional<IdentitySessionSteps> then_identity) {
  auto tls = ClientTls::create(options);
  if (!tls) {
    ProvisionResult result;
    result.error = "TLS setup: " + tls.error().internal;
    return result;
  }
  return run_blocking([&]() -> asio::awaitable<ProvisionResult> {
    Provisioner device(config, *tls);
    auto result = co_await device.run();
    if (!result.ok || !then_identity) co_return result;
    co_return co_await device.identity_session(result.credentials, options, *then_identity);
  });
}

ProvisionResult provision_tpm_blocking(const DeviceConfig& config, const ClientTlsOptions& tls,
                                       TpmAttestor& tpm,
                                       std::optional<IdentitySessionSteps> then_identity) {
  // The attestation session presents no certificate: the TPM, not a key file, is the proof.
  ClientTlsOptions attestation = tls;
  attestation.cert_chain_pem.clear();
  attestation.key_pem.clear();
  attestation.held_key.reset();
  auto context = ClientTls::create(attestation);
  if (!context) {
    ProvisionResult result;
    result.error = "TLS setup: " + context.error().internal;
    return result;
  }
  DeviceConfig tpm_config = config;
  if (tpm_config.device_id.empty()) {
    tpm_config.device_id = tpm_device_id(tpm.endorsement_key_tpm2b());
  }
  return run_blocking([&]() -> asio::awaitable<ProvisionResult> {
    Provisioner device(tpm_config, *context);
    auto result = co_await device.run_tpm(tpm);
    if (!result.ok || !then_identity) co_return result;
    auto key = tpm.identity_key();
    if (!key) {
      result.ok = false;
      result.error = "identity key: " + key.error().internal;
      co_return result;
    }
    device.hold_identity_key(std::move(*key));
    co_return co_await device.identity_session(result.credentials, tls, *then_identity);
  });
}

ProvisionResult identity_session_blocking(const DeviceConfig& config,
                                          const IssuedCredentials& identity,
                                          const ClientTlsOptions& trust,
                                          IdentitySessionSteps steps) {
  return run_blocking([&]() -> asio::awaitable<ProvisionResult> {
    Provisioner device(config, nullptr);
    co_return co_await device.identity_session(identity, trust, steps);
  });
}

}  // namespace dps::device
