#include "device/tls_client.hpp"

#include <openssl/ssl.h>

#include <boost/asio/buffer.hpp>
#include <span>

#include "pki/uuid.hpp"

namespace dps::device {

namespace ssl = boost::asio::ssl;

ClientTls::ClientTls(bool tls12_only)
    : context_(ssl::context::tls_client), tls12_only_(tls12_only) {}

namespace {

// Not the registration id (UUIDv5 of the same key in the X.500 namespace): a device id is the
// device's own choice, and the two must not look alike.
std::string default_device_id_of(X509* leaf) {
  if (leaf == nullptr) return {};
  unsigned char* der = nullptr;
  const int length = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(leaf), &der);
  if (length <= 0) return {};
  std::string name = "dps-device:";
  name.append(reinterpret_cast<const char*>(der), static_cast<size_t>(length));
  OPENSSL_free(der);
  const auto bytes = std::span(reinterpret_cast<const uint8_t*>(name.data()), name.size());
  return pki::uuid_v5(pki::kNamespaceUrl, bytes).to_string();
}

// A held key is checked against the leaf first: SSL_CTX_use_PrivateKey's own check would only
// say "key values mismatch".
Result<void> use_held_key(SSL_CTX* ctx, EVP_PKEY* key) {
  X509* leaf = SSL_CTX_get0_certificate(ctx);
  if (leaf == nullptr || EVP_PKEY_eq(X509_get0_pubkey(leaf), key) != 1) {
    return fail(ErrorCode::BadRequest,
                "device private key: the TPM key does not match the device certificate (its "
                "public key differs from the certificate's)");
  }
  if (SSL_CTX_use_PrivateKey(ctx, key) != 1) {
    return fail(ErrorCode::BadRequest, "device private key: OpenSSL refused the TPM key");
  }
  return {};
}

}  // namespace

Result<std::shared_ptr<ClientTls>> ClientTls::create(const ClientTlsOptions& options) {
  std::shared_ptr<ClientTls> tls(new ClientTls(options.force_tls12));
  SSL_CTX* ctx = tls->context_.native_handle();
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  if (options.force_tls12) SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
  const std::string ciphers = options.cipher_list.empty() ? kDeviceCipherList : options.cipher_list;
  const std::string curves = options.curves.empty() ? kDeviceCurves : options.curves;
  if (SSL_CTX_set_cipher_list(ctx, ciphers.c_str()) != 1 ||
      SSL_CTX_set1_groups_list(ctx, curves.c_str()) != 1) {
    return fail(ErrorCode::BadRequest,
                "OpenSSL rejected cipher list or curves: " + ciphers + " / " + curves);
  }
  tls->cipher_list_ = ciphers;
  tls->curves_ = curves;
  // Devices resume nothing: every session is a full handshake, as on a fresh device.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);

  boost::system::error_code ec;
  // No certificate at all only makes sense for tests of the server's refusal.
  if (!options.cert_chain_pem.empty() || !options.key_pem.empty() || options.held_key) {
    tls->context_.use_certificate_chain(boost::asio::buffer(options.cert_chain_pem), ec);
    if (ec) return fail(ErrorCode::BadRequest, "device certificate chain: " + ec.message());
    if (options.held_key) {
      if (auto held = use_held_key(ctx, options.held_key.get()); !held)
        return tl::unexpected(held.error());
    } else {
      tls->context_.use_private_key(boost::asio::buffer(options.key_pem), ssl::context::pem, ec);
      if (ec) return fail(ErrorCode::BadRequest, "device private key: " + ec.message());
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
      return fail(ErrorCode::BadRequest, "device private key does not match its certificate");
    }
    tls->default_device_id_ = default_device_id_of(SSL_CTX_get0_certificate(ctx));
    tls->registration_id_ = pki::registration_id(SSL_CTX_get0_certificate(ctx));
  }
  tls->context_.add_certificate_authority(boost::asio::buffer(options.ca_pem), ec);
  if (ec) return fail(ErrorCode::BadRequest, "DPS CA: " + ec.message());
  // Verify the server chain against the CA only: devices check no host name and send no SNI.
  tls->context_.set_verify_mode(ssl::verify_peer, ec);
  if (ec) return fail(ErrorCode::Internal, "verify mode: " + ec.message());
  return tls;
}

namespace {

// Copies what ClientTls::create() put into `from` (certificate, chain, key, trust) into a DTLS
// context: the PEMs are not kept, and a held (TPM) key can only be shared, not re-read.
std::string copy_identity_and_trust(SSL_CTX* from, SSL_CTX* to) {
  if (X509* leaf = SSL_CTX_get0_certificate(from)) {
    if (SSL_CTX_use_certificate(to, leaf) != 1) return "device certificate";
    STACK_OF(X509)* chain = nullptr;
    // Boost.Asio's use_certificate_chain() adds intermediates as the certificate's chain; an
    // older OpenSSL idiom adds them as "extra" chain certificates. Either way they are sent.
    SSL_CTX_get0_chain_certs(from, &chain);
    if (chain == nullptr) SSL_CTX_get_extra_chain_certs_only(from, &chain);
    for (int i = 0; chain != nullptr && i < sk_X509_num(chain); ++i) {
      if (SSL_CTX_add1_chain_cert(to, sk_X509_value(chain, i)) != 1) return "certificate chain";
    }
    EVP_PKEY* key = SSL_CTX_get0_privatekey(from);
    if (key == nullptr || SSL_CTX_use_PrivateKey(to, key) != 1) return "device private key";
  }
  X509_STORE* store = SSL_CTX_get_cert_store(from);
  if (store == nullptr) return "trust store";
  SSL_CTX_set1_cert_store(to, store);
  return {};
}

}  // namespace

Result<SSL_CTX*> ClientTls::dtls_context() {
  std::call_once(dtls_once_, [this] {
    std::shared_ptr<SSL_CTX> ctx(SSL_CTX_new(DTLS_client_method()), SSL_CTX_free);
    if (!ctx) {
      dtls_error_ = "DTLS context: out of memory";
      return;
    }
    // iotivity-lite's mbedTLS speaks DTLS 1.2 (OpenSSL 3.0 has no DTLS 1.3 anyway).
    SSL_CTX_set_min_proto_version(ctx.get(), DTLS1_2_VERSION);
    SSL_CTX_set_max_proto_version(ctx.get(), DTLS1_2_VERSION);
    if (SSL_CTX_set_cipher_list(ctx.get(), cipher_list_.c_str()) != 1 ||
        SSL_CTX_set1_groups_list(ctx.get(), curves_.c_str()) != 1) {
      dtls_error_ = "DTLS context: OpenSSL rejected cipher list or curves";
      return;
    }
    SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_OFF);
    // Each session sets its link MTU itself (dtls_client.cpp) instead of asking the socket.
    SSL_CTX_set_options(ctx.get(), SSL_OP_NO_TICKET | SSL_OP_NO_QUERY_MTU);
    if (auto what = copy_identity_and_trust(context_.native_handle(), ctx.get()); !what.empty()) {
      dtls_error_ = "DTLS context: OpenSSL refused the " + what;
      return;
    }
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
    dtls_context_ = std::move(ctx);
  });
  if (!dtls_context_) return fail(ErrorCode::Internal, dtls_error_);
  return dtls_context_.get();
}

}  // namespace dps::device
