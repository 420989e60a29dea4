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

}  // namespace dps::device
