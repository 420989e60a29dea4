#include "http/api_tls.hpp"

#include <openssl/ssl.h>

#include "pki/pem.hpp"

namespace dps::http {

Result<std::shared_ptr<boost::asio::ssl::context>> make_api_tls_context(
    const std::string& cert_pem, const std::string& key_pem) {
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
  return context;
}

}  // namespace dps::http
