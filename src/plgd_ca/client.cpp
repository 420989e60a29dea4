#include "plgd_ca/client.hpp"

#include <grpc/support/log.h>
#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>

#include <mutex>

#include "certificate_authority.grpc.pb.h"
#include "log/quoted.hpp"
#include "pki/pem.hpp"

namespace dps::plgd_ca {
namespace {

namespace pb = certificateauthority::pb;

constexpr int kMaxAnswerBytes = 64 * 1024;
constexpr std::chrono::milliseconds kMinKeepAliveTime{10'000};

// What a device may see of the service's message: it describes the device's own CSR, but comes
// from another system, so it is bounded and kept to printable ASCII.
std::string printable(std::string_view text) {
  constexpr size_t kMax = 300;
  std::string out;
  for (char c : text.substr(0, kMax)) out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  if (text.size() > kMax) out += "...";
  return out;
}

std::string_view code_name(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::CANCELLED:
      return "CANCELLED";
    case grpc::StatusCode::UNKNOWN:
      return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND:
      return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS:
      return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "PERMISSION_DENIED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED:
      return "ABORTED";
    case grpc::StatusCode::OUT_OF_RANGE:
      return "OUT_OF_RANGE";
    case grpc::StatusCode::UNIMPLEMENTED:
      return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL:
      return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE:
      return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS:
      return "DATA_LOSS";
    case grpc::StatusCode::UNAUTHENTICATED:
      return "UNAUTHENTICATED";
    default:
      return "an unknown status";
  }
}

Error to_error(const grpc::Status& status) {
  const std::string message = printable(status.error_message());
  const std::string what = "certificate authority answered " +
                           std::string(code_name(status.error_code())) + ": " + message;
  switch (status.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
    case grpc::StatusCode::ABORTED:
      return Error{ErrorCode::Unavailable, what, "certificate authority unavailable, retry"};
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::ALREADY_EXISTS:
    case grpc::StatusCode::OUT_OF_RANGE:
      return Error{ErrorCode::BadRequest, what,
                   "certificate authority refused the CSR: " + message};
    case grpc::StatusCode::UNAUTHENTICATED:
    case grpc::StatusCode::PERMISSION_DENIED:
      return Error{ErrorCode::Forbidden, what,
                   "certificate authority refused this service's token for the device's owner"};
    default:
      return Error{ErrorCode::Internal, what, "certificate authority failed"};
  }
}

class GrpcClient final : public Client {
 public:
  GrpcClient(std::shared_ptr<grpc::Channel> channel, std::chrono::milliseconds timeout)
      : stub_(pb::CertificateAuthority::NewStub(std::move(channel))), timeout_(timeout) {}

  Result<std::string> sign_identity_certificate(std::string_view csr_pem,
                                                std::string_view bearer_token) override {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + timeout_);
    // plgd's DPS sends the token this way (lower-case scheme); plgd's services match the scheme
    // case-insensitively.
    context.AddMetadata("authorization", "bearer " + std::string(bearer_token));
    // Wait for a connection within the deadline instead of failing at once while the channel is
    // in its reconnect back-off: a CA that has just come back serves the next device, not one
    // after gRPC's back-off (capped below). The per-owner bound on calls in flight
    // (KeyedConcurrencyLimit) bounds the threads a CA that never answers can hold.
    context.set_wait_for_ready(true);
    pb::SignCertificateRequest request;
    request.set_certificate_signing_request(std::string(csr_pem));
    pb::SignCertificateResponse response;
    const grpc::Status status = stub_->SignIdentityCertificate(&context, request, &response);
    if (!status.ok()) return tl::unexpected(to_error(status));
    if (response.certificate().empty()) {
      return fail(ErrorCode::Internal, "certificate authority answered an empty certificate",
                  "certificate authority failed");
    }
    return response.certificate();
  }

 private:
  std::unique_ptr<pb::CertificateAuthority::Stub> stub_;
  const std::chrono::milliseconds timeout_;
};

int clamp_ms(std::chrono::milliseconds value) {
  return static_cast<int>(std::min<int64_t>(value.count(), std::numeric_limits<int>::max()));
}

// gRPC writes its own lines to stderr, outside dps's log format (a JSON log would break): they
// go through spdlog instead, quoted, at debug for gRPC's info and at warning for its errors (a
// failed handshake with a certificate authority, for example). Set once, before the first channel.
void route_grpc_logs_to_spdlog() {
  static std::once_flag once;
  std::call_once(once, [] {
    gpr_set_log_function([](gpr_log_func_args* args) {
      const std::string message = log::quoted(args->message != nullptr ? args->message : "");
      if (args->severity == GPR_LOG_SEVERITY_ERROR) {
        spdlog::warn("grpc: {}", message);
      } else {
        spdlog::debug("grpc: {}", message);
      }
    });
  });
}

}  // namespace

Client::~Client() = default;

Result<std::unique_ptr<Client>> Client::create(const ClientOptions& options) {
  route_grpc_logs_to_spdlog();
  if (options.address.empty()) return fail(ErrorCode::BadRequest, "address is empty");
  if (options.cert_pem.empty() != options.key_pem.empty()) {
    return fail(ErrorCode::BadRequest,
                "a client certificate needs its key, and a key its certificate");
  }
  if (options.timeout <= std::chrono::milliseconds(0)) {
    return fail(ErrorCode::BadRequest, "timeout must be positive");
  }
  grpc::SslCredentialsOptions tls;
  if (!options.cert_pem.empty()) {
    if (auto pair = pki::check_key_pair(options.cert_pem, options.key_pem); !pair) {
      return fail(ErrorCode::BadRequest, "tls: " + pair.error().internal);
    }
  }
  // No pool: the system's CAs, as OpenSSL reads them (operator CAs added with
  // update-ca-certificates included), not gRPC's own bundle.
  tls.pem_root_certs = options.ca_pool_pem;
  if (options.use_system_ca_pool || options.ca_pool_pem.empty()) {
    auto system = pki::system_ca_bundle();
    if (!system) return tl::unexpected(system.error());
    tls.pem_root_certs += (tls.pem_root_certs.empty() ? "" : "\n") + *system;
  }
  tls.pem_cert_chain = options.cert_pem;
  tls.pem_private_key = options.key_pem;
  grpc::ChannelArguments arguments;
  if (options.keep_alive_time.count() > 0) {
    // plgd documents 10 s as the floor (servers answer more frequent pings with GOAWAY).
    arguments.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS,
                     clamp_ms(std::max(options.keep_alive_time, kMinKeepAliveTime)));
    if (options.keep_alive_timeout.count() > 0) {
      arguments.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, clamp_ms(options.keep_alive_timeout));
    }
    arguments.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS,
                     options.keep_alive_permit_without_stream ? 1 : 0);
  }
  // An identity chain is a few KiB; a bigger answer is refused rather than buffered.
  arguments.SetMaxReceiveMessageSize(kMaxAnswerBytes);
  // gRPC's reconnect back-off grows to 120 s: a CA back after a long outage would then fail
  // every device for up to two minutes. 0.5 s first, at most 3 s (below a call's deadline).
  arguments.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 500);
  arguments.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 3000);
  // Each Client its own connection: two hubs naming the same address with different TLS
  // settings must not share one.
  arguments.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  auto channel = grpc::CreateCustomChannel(options.address, grpc::SslCredentials(tls), arguments);
  return std::unique_ptr<Client>(new GrpcClient(std::move(channel), options.timeout));
}

}  // namespace dps::plgd_ca
