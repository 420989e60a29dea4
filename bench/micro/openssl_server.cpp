// OpenSSL 3.0's server for BM_LibraryHandshake: dps's own device context
// (net::make_device_tls_context: versions, suites, groups, options, certificate) with dps's verify
// callback replaced by OpenSSL's chain verification against the group's root, as GnuTLS and
// wolfSSL verify it. Against BM_DeviceHandshake, the difference is what dps's callback does beyond
// verifying the chain (library_handshake.cpp).
#include <benchmark/benchmark.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "net/tls_context.hpp"
#include "pki/pem.hpp"
#include "server_library.hpp"
#include "world.hpp"

namespace dps::microbench {
namespace {

// The link as an OpenSSL BIO, as GnuTLS's push/pull and wolfSSL's I/O callbacks see it.
int link_write(BIO* bio, const char* data, int size) {
  static_cast<ByteLink*>(BIO_get_data(bio))->to_device.write(data, static_cast<size_t>(size));
  return size;
}

int link_read(BIO* bio, char* out, int size) {
  BIO_clear_retry_flags(bio);
  const size_t n =
      static_cast<ByteLink*>(BIO_get_data(bio))->to_server.read(out, static_cast<size_t>(size));
  if (n == 0) {
    BIO_set_retry_read(bio);
    return -1;
  }
  return static_cast<int>(n);
}

long link_ctrl(BIO*, int command, long, void*) { return command == BIO_CTRL_FLUSH ? 1 : 0; }

BIO_METHOD* link_method() {
  static BIO_METHOD* const method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "byte link");
    BIO_meth_set_write(m, link_write);
    BIO_meth_set_read(m, link_read);
    BIO_meth_set_ctrl(m, link_ctrl);
    return m;
  }();
  return method;
}

class OpensslConnection final : public ServerConnection {
 public:
  OpensslConnection(SSL_CTX* ctx, ByteLink& link) : ssl_(SSL_new(ctx)) {
    BIO* bio = BIO_new(link_method());
    if (ssl_ == nullptr || bio == nullptr) {
      BIO_free(bio);
      return;
    }
    BIO_set_data(bio, &link);
    BIO_set_init(bio, 1);
    SSL_set_bio(ssl_, bio, bio);
    SSL_set_accept_state(ssl_);
  }
  ~OpensslConnection() override { SSL_free(ssl_); }
  OpensslConnection(const OpensslConnection&) = delete;
  OpensslConnection& operator=(const OpensslConnection&) = delete;

  Step handshake() override {
    if (ssl_ == nullptr) return Step::Failed;
    const int rc = SSL_do_handshake(ssl_);
    if (rc == 1) return Step::Done;
    const int error = SSL_get_error(ssl_, rc);
    if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) return Step::WantIo;
    error_ = pki::openssl_error_string();
    return Step::Failed;
  }
  std::string error() const override { return error_; }
  std::string version() const override {
    switch (SSL_version(ssl_)) {
      case TLS1_2_VERSION:
        return "TLS1.2";
      case TLS1_3_VERSION:
        return "TLS1.3";
      default:
        return SSL_get_version(ssl_);
    }
  }
  std::string suite() const override {
    const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl_);
    return cipher ? SSL_CIPHER_standard_name(cipher) : "";
  }
  bool peer_verified() const override {
    return SSL_get0_peer_certificate(ssl_) != nullptr && SSL_get_verify_result(ssl_) == X509_V_OK;
  }

 private:
  SSL* ssl_;
  std::string error_;
};

class OpensslLibrary final : public ServerLibrary {
 public:
  explicit OpensslLibrary(std::shared_ptr<boost::asio::ssl::context> context)
      : context_(std::move(context)) {}
  std::unique_ptr<ServerConnection> accept(ByteLink& link) override {
    return std::make_unique<OpensslConnection>(context_->native_handle(), link);
  }

 private:
  std::shared_ptr<boost::asio::ssl::context> context_;
};

std::unique_ptr<ServerLibrary> make_openssl_server(const TlsMaterial& material,
                                                   const std::string& trusted_ca_pem,
                                                   std::string* error) {
  auto context = net::make_device_tls_context({material.server_chain_pem, material.server_key_pem},
                                              *world().catalogs);
  if (!context) {
    *error = context.error().internal;
    return nullptr;
  }
  SSL_CTX* ctx = (*context)->native_handle();
  // OpenSSL's own X509_verify_cert on the context's store, purpose sslclient (a server's default:
  // the leaf must allow clientAuth), instead of enrollment-group matching.
  SSL_CTX_set_cert_verify_callback(ctx, nullptr, nullptr);
  auto anchors = pki::parse_certificates_pem(trusted_ca_pem);
  if (!anchors || anchors->empty()) {
    *error = "trust anchor PEM";
    return nullptr;
  }
  for (const auto& anchor : *anchors) {
    if (X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), anchor.get()) != 1) {
      *error = "X509_STORE_add_cert: " + pki::openssl_error_string();
      return nullptr;
    }
  }
  return std::make_unique<OpensslLibrary>(std::move(*context));
}

DPS_LIBRARY_HANDSHAKE_BENCHMARK(openssl, &make_openssl_server);

}  // namespace
}  // namespace dps::microbench
