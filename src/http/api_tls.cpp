#include "http/api_tls.hpp"

#include <openssl/ssl.h>

#include "pki/pem.hpp"

namespace dps::http {
namespace {

// Trusts exactly the pool's certificates (never the system CAs: a public CA would let anyone
// with a web certificate through) and names them in the CertificateRequest.
Result<void> require_client_certificates(SSL_CTX* ctx, const std::string& client_ca_pem) {
  auto cas = pki::parse_certificates_pem(client_ca_pem);
  if (!cas) return fail(ErrorCode::Internal, "apis.http.tls.caPool: " + cas.error().internal);
  if (cas->empty()) return fail(ErrorCode::Internal, "apis.http.tls.caPool: no certificate");
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  STACK_OF(X509_NAME)* names = sk_X509_NAME_new_null();
  if (!names) return fail(ErrorCode::Internal, "API TLS: out of memory");
  for (const auto& ca : *cas) {
    X509_NAME* name = X509_NAME_dup(X509_get_subject_name(ca.get()));
    if (X509_STORE_add_cert(store, ca.get()) != 1 || !name || !sk_X509_NAME_push(names, name)) {
      X509_NAME_free(name);
      sk_X509_NAME_pop_free(names, X509_NAME_free);
      return fail(ErrorCode::Internal, "apis.http.tls.caPool: " + pki::openssl_error_string());
    }
  }
  SSL_CTX_set_client_CA_list(ctx, names);  // takes ownership
  // Verifying peers, OpenSSL refuses to resume a session without a context id (a resumed
  // session carries the verified certificate, so it must come from this listener).
  static constexpr unsigned char kSessionContext[] = "dps-api";
  if (SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof(kSessionContext) - 1) != 1) {
    return fail(ErrorCode::Internal, "API TLS: session id context: " + pki::openssl_error_string());
  }
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  // A caller's chain may carry intermediates; a few levels suffice and bound the work.
  SSL_CTX_set_verify_depth(ctx, 8);
  return {};
}

}  // namespace

Result<std::shared_ptr<boost::asio::ssl::context>> make_api_tls_context(
    const std::string& cert_pem, const std::string& key_pem, const std::string& client_ca_pem) {
  namespace ssl = boost::asio::ssl;
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* ctx = context->native_handle();
  // Unchecked, a failure here would leave OpenSSL's defaults (TLS 1.0, CBC suites) in place.
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
    return fail(ErrorCode::Internal,
                "API TLS: minimum protocol version: " + pki::openssl_error_string());
  }
  SSL_CTX_set_options(
      ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  // Forward-secret AEAD suites only for TLS 1.2; TLS 1.3 suites are all AEAD.
  if (SSL_CTX_set_cipher_list(ctx, "ECDHE+AESGCM:ECDHE+CHACHA20") != 1) {
    return fail(ErrorCode::Internal, "API TLS: cipher list: " + pki::openssl_error_string());
  }
  boost::system::error_code ec;
  context->use_certificate_chain(boost::asio::buffer(cert_pem.data(), cert_pem.size()), ec);
  if (ec) return fail(ErrorCode::Internal, "API TLS certificate: " + ec.message());
  context->use_private_key(boost::asio::buffer(key_pem.data(), key_pem.size()), ssl::context::pem,
                           ec);
  if (ec) return fail(ErrorCode::Internal, "API TLS private key: " + ec.message());
  if (SSL_CTX_check_private_key(ctx) != 1) {
    return fail(ErrorCode::Internal, "API TLS private key does not match the certificate");
  }
  if (!client_ca_pem.empty()) {
    if (auto done = require_client_certificates(ctx, client_ca_pem); !done) {
      return tl::unexpected(done.error());
    }
  }
  return context;
}

}  // namespace dps::http
