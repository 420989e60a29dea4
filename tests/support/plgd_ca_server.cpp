#include "support/plgd_ca_server.hpp"

#include <grpcpp/grpcpp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <atomic>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "auth/jwt_verifier.hpp"
#include "auth/oidc_key_provider.hpp"
#include "certificate_authority.grpc.pb.h"
#include "pki/pem.hpp"
#include "pki/uuid.hpp"
#include "pki/x509_util.hpp"
#include "support/test_pki.hpp"

namespace dps::test {
namespace {

namespace pb = certificateauthority::pb;
using std::chrono::system_clock;

template <class T>
T must(Result<T> result, const char* what) {
  if (!result) throw std::runtime_error(std::string(what) + ": " + result.error().internal);
  return std::move(*result);
}

std::string public_key_der(X509_REQ* request) {
  unsigned char* der = nullptr;
  const int n = i2d_PUBKEY(X509_REQ_get0_pubkey(request), &der);
  std::string out = n > 0 ? std::string(reinterpret_cast<char*>(der), static_cast<size_t>(n)) : "";
  OPENSSL_free(der);
  return out;
}

grpc::Status invalid(const std::string& why) {
  return {grpc::StatusCode::INVALID_ARGUMENT, "cannot sign identity certificate: " + why};
}

}  // namespace

struct PlgdCaServer::State final : pb::CertificateAuthority::Service {
  PlgdCaServerOptions options;
  TestCa signing_root = make_root_ca("plgd test CA root");
  TestCa signing_ca = make_intermediate_ca(signing_root, "plgd test CA intermediate");
  TestCa tls_root = make_root_ca("plgd test CA TLS root");
  TestCert tls = make_loopback_server_certificate(tls_root);
  std::shared_ptr<auth::OidcKeyProvider> keys;
  std::unique_ptr<auth::JwtVerifier> verifier;

  int port = 0;
  std::unique_ptr<grpc::Server> server;
  std::atomic<Fault> fault{Fault::None};
  std::atomic<int64_t> delay_ms{0};
  std::atomic<int> signed_count{0};
  std::atomic<int> in_flight{0};

  mutable std::mutex mutex;
  std::string last_owner;  // guarded by mutex
  struct SigningRecord {
    std::string public_key;
    system_clock::time_point valid_until;
  };
  std::map<std::string, SigningRecord> records;  // owner + '\n' + CN; guarded by mutex

  void serve(const std::string& listen) {
    grpc::SslServerCredentialsOptions tls_options(
        options.client_ca_pem.empty() ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
                                      : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
    tls_options.pem_root_certs = options.client_ca_pem;
    tls_options.pem_key_cert_pairs.push_back({tls.key_pem(), tls.cert_pem()});
    grpc::ServerBuilder builder;
    builder.AddListeningPort(listen, grpc::SslServerCredentials(tls_options), &port);
    builder.RegisterService(this);
    server = builder.BuildAndStart();
    if (!server || port == 0)
      throw std::runtime_error("plgd CA stand-in: cannot listen on " + listen);
  }

  grpc::Status SignIdentityCertificate(grpc::ServerContext* context,
                                       const pb::SignCertificateRequest* request,
                                       pb::SignCertificateResponse* response) override {
    ++in_flight;
    struct Leave {
      std::atomic<int>& count;
      ~Leave() { --count; }
    } leave{in_flight};
    if (const int64_t ms = delay_ms.load(); ms > 0) {
      // Sleep in slices so a server shutdown is not held up by a slow call.
      const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
      while (std::chrono::steady_clock::now() < until && !context->IsCancelled()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
    // Authentication first, as plgd's interceptor runs before the handler.
    const auto metadata = context->client_metadata();
    const auto it = metadata.find("authorization");
    if (it == metadata.end()) return {grpc::StatusCode::UNAUTHENTICATED, "missing token"};
    const auto verified = verifier->verify(std::string(it->second.data(), it->second.size()));
    if (!verified) return {grpc::StatusCode::UNAUTHENTICATED, verified.error().internal};
    {
      std::lock_guard lock(mutex);
      last_owner = verified->owner;
    }
    if (fault.load() == Fault::Refuse) return invalid("refused by the test");

    const std::string& pem = request->certificate_signing_request();
    pki::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    pki::X509ReqPtr csr(PEM_read_bio_X509_REQ(bio.get(), nullptr, nullptr, nullptr));
    if (!csr) return invalid("cannot parse CSR");
    if (X509_REQ_verify(csr.get(), X509_REQ_get0_pubkey(csr.get())) != 1) {
      return invalid("CSR signature does not verify");
    }
    pki::X509NamePtr subject(X509_NAME_dup(X509_REQ_get_subject_name(csr.get())));
    std::string cn = pki::common_name(subject.get());
    if (cn.empty()) {
      cn = "uuid:" + pki::owner_to_uuid(verified->owner);
      subject = must(pki::make_name(cn), "subject");
    }
    if (!options.hub_id.empty() && cn == "uuid:" + options.hub_id) {
      return invalid("common name contains same value as hub id(" + options.hub_id + ")");
    }
    const auto now = system_clock::now();
    const auto not_after = now + std::chrono::hours(24 * 365);
    const std::string key = public_key_der(csr.get());
    {
      std::lock_guard lock(mutex);
      auto& record = records[verified->owner + '\n' + cn];
      if (!record.public_key.empty() && record.public_key != key && record.valid_until > now) {
        return invalid("common name " + cn + " with different public key fingerprint exist");
      }
      // A faulty answer is not a signing: nothing to remember.
      if (fault.load() == Fault::None) record = {key, not_after};
    }
    pki::CertificateProfile profile{
        subject.get(), nullptr, now - std::chrono::hours(1), not_after, {}};
    profile.public_key_info = X509_REQ_get_X509_PUBKEY(csr.get());
    const pki::EvpPkeyPtr other_key = make_key();
    if (fault.load() == Fault::OtherKey) {
      profile.public_key_info = nullptr;
      profile.public_key = other_key.get();
    }
    profile.extensions = {{NID_basic_constraints, "critical,CA:FALSE"},
                          {NID_key_usage, "critical,digitalSignature,keyAgreement"},
                          {NID_ext_key_usage, "serverAuth,clientAuth,1.3.6.1.4.1.44924.1.6"},
                          {NID_authority_key_identifier, "keyid,issuer"}};
    auto issued = pki::issue_certificate(profile, signing_ca.get(), signing_ca.key.get());
    if (!issued) return invalid(issued.error().internal);
    auto leaf = pki::to_pem(issued->get());
    if (!leaf) return invalid(leaf.error().internal);
    switch (fault.load()) {
      case Fault::LeafAlone:
        response->set_certificate(*leaf);
        break;
      case Fault::OtherCa:
        response->set_certificate(*leaf + tls_root.cert_pem());
        break;
      default:
        response->set_certificate(*leaf + signing_ca.chain_pem());
    }
    ++signed_count;
    return grpc::Status::OK;
  }

  grpc::Status SignCertificate(grpc::ServerContext*, const pb::SignCertificateRequest*,
                               pb::SignCertificateResponse*) override {
    return {grpc::StatusCode::UNIMPLEMENTED, "the stand-in serves SignIdentityCertificate only"};
  }
};

PlgdCaServer::PlgdCaServer(PlgdCaServerOptions options) : state_(std::make_unique<State>()) {
  state_->options = std::move(options);
  auth::OidcKeyProviderOptions key_options;
  key_options.authority = state_->options.authority;
  state_->keys =
      must(auth::OidcKeyProvider::start(std::move(key_options)), "JWKS of the authority");
  state_->keys->wait_for_attempts(1, std::chrono::seconds(20));
  auth::JwtVerifierOptions verifier_options;
  verifier_options.owner_claim = state_->options.owner_claim;
  state_->verifier = std::make_unique<auth::JwtVerifier>(verifier_options, state_->keys);
  state_->serve("127.0.0.1:0");
}

PlgdCaServer::~PlgdCaServer() { stop(); }

std::string PlgdCaServer::address() const { return "127.0.0.1:" + std::to_string(state_->port); }
std::string PlgdCaServer::tls_root_pem() const { return state_->tls_root.cert_pem(); }
std::string PlgdCaServer::signing_root_pem() const { return state_->signing_root.cert_pem(); }

void PlgdCaServer::set_fault(Fault fault) { state_->fault = fault; }
void PlgdCaServer::set_delay(std::chrono::milliseconds delay) { state_->delay_ms = delay.count(); }

void PlgdCaServer::stop() {
  if (!state_->server) return;
  state_->server->Shutdown(system_clock::now() + std::chrono::seconds(1));
  state_->server->Wait();
  state_->server.reset();
}

void PlgdCaServer::start() {
  if (!state_->server) state_->serve(address());
}

int PlgdCaServer::signed_count() const { return state_->signed_count; }

int PlgdCaServer::calls_in_flight() const { return state_->in_flight; }

bool PlgdCaServer::wait_for_calls(int count, std::chrono::milliseconds limit) const {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (state_->in_flight < count) {
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

std::string PlgdCaServer::last_owner() const {
  std::lock_guard lock(state_->mutex);
  return state_->last_owner;
}

}  // namespace dps::test
