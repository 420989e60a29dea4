// wolfSSL's server for BM_LibraryHandshake (built when pkg-config finds wolfssl): dps's device TLS
// settings in wolfSSL's terms, the device's chain verified by wolfSSL against the group's root.
// No OpenSSL header may be included here: Debian builds wolfSSL with its OpenSSL compatibility
// layer, whose headers define OpenSSL's names (server_library.hpp).
// clang-format off
#include <wolfssl/options.h>  // first: the build's configuration, which ssl.h depends on
// clang-format on
#include <benchmark/benchmark.h>
#include <wolfssl/ssl.h>

#include "server_library.hpp"

namespace dps::microbench {
namespace {

// dps's device settings (net/tls_context.cpp, docs/security.md) in wolfSSL's names: the six TLS
// 1.2 ECDHE suites in dps's order, and TLS 1.3's AEAD suites in OpenSSL's default order.
constexpr const char* kCipherList =
    "TLS13-AES256-GCM-SHA384:TLS13-CHACHA20-POLY1305-SHA256:TLS13-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-AES256-SHA384:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384";

int link_send(WOLFSSL*, char* data, int size, void* link) {
  static_cast<ByteLink*>(link)->to_device.write(data, static_cast<size_t>(size));
  return size;
}

int link_receive(WOLFSSL*, char* out, int size, void* link) {
  const size_t n = static_cast<ByteLink*>(link)->to_server.read(out, static_cast<size_t>(size));
  return n == 0 ? WOLFSSL_CBIO_ERR_WANT_READ : static_cast<int>(n);
}

std::string wolfssl_error(const char* what, int code) {
  char text[WOLFSSL_MAX_ERROR_SZ] = {};
  wolfSSL_ERR_error_string_n(static_cast<unsigned long>(code), text, sizeof text);
  return std::string(what) + ": " + text + " (" + std::to_string(code) + ")";
}

class WolfsslConnection final : public ServerConnection {
 public:
  WolfsslConnection(WOLFSSL_CTX* ctx, ByteLink& link) : ssl_(wolfSSL_new(ctx)) {
    if (ssl_ == nullptr) return;
    wolfSSL_SetIOReadCtx(ssl_, &link);
    wolfSSL_SetIOWriteCtx(ssl_, &link);
  }
  ~WolfsslConnection() override { wolfSSL_free(ssl_); }  // null-safe
  WolfsslConnection(const WolfsslConnection&) = delete;
  WolfsslConnection& operator=(const WolfsslConnection&) = delete;

  Step handshake() override {
    if (ssl_ == nullptr) return Step::Failed;
    const int rc = wolfSSL_accept(ssl_);
    if (rc == WOLFSSL_SUCCESS) return Step::Done;
    const int error = wolfSSL_get_error(ssl_, rc);
    if (error == WOLFSSL_ERROR_WANT_READ || error == WOLFSSL_ERROR_WANT_WRITE) return Step::WantIo;
    error_ = wolfssl_error("wolfSSL_accept", error);
    return Step::Failed;
  }
  std::string error() const override { return error_; }
  std::string version() const override {
    const std::string name = wolfSSL_get_version(ssl_);
    return name == "TLSv1.2" ? "TLS1.2" : name == "TLSv1.3" ? "TLS1.3" : name;
  }
  std::string suite() const override {
    const int suite = wolfSSL_get_current_cipher_suite(ssl_);
    const char* name = wolfSSL_get_cipher_name_iana_from_suite(
        static_cast<unsigned char>(suite >> 8), static_cast<unsigned char>(suite & 0xff));
    return name ? name : "";
  }
  bool peer_verified() const override {
    // The chain the device sent (kept by SESSION_CERTS, owned by the session), and the verdict.
    WOLFSSL_X509_CHAIN* chain = wolfSSL_get_peer_chain(ssl_);
    return chain != nullptr && wolfSSL_get_chain_count(chain) > 0 &&
           wolfSSL_get_verify_result(ssl_) == 0;
  }

 private:
  WOLFSSL* ssl_;
  std::string error_;
};

class WolfsslLibrary final : public ServerLibrary {
 public:
  ~WolfsslLibrary() override { wolfSSL_CTX_free(ctx_); }

  static std::unique_ptr<ServerLibrary> create(const TlsMaterial& material,
                                               const std::string& trusted_ca_pem,
                                               std::string* error) {
    static const int init = wolfSSL_Init();
    if (init != WOLFSSL_SUCCESS) return fail(error, wolfssl_error("wolfSSL_Init", init));
    auto library = std::make_unique<WolfsslLibrary>();
    WOLFSSL_CTX* ctx = library->ctx_ = wolfSSL_CTX_new(wolfSSLv23_server_method());
    if (ctx == nullptr) return fail(error, "wolfSSL_CTX_new");
    int groups[] = {WOLFSSL_ECC_SECP256R1, WOLFSSL_ECC_SECP384R1};
    int rc = WOLFSSL_SUCCESS;
    auto check = [&](int result, const char* what) {
      if (rc == WOLFSSL_SUCCESS && result != WOLFSSL_SUCCESS) {
        rc = result;
        *error = wolfssl_error(what, result);
      }
    };
    check(wolfSSL_CTX_SetMinVersion(ctx, WOLFSSL_TLSV1_2), "minimum version");
    check(wolfSSL_CTX_set_cipher_list(ctx, kCipherList), "cipher list");
    check(wolfSSL_CTX_set_groups(ctx, groups, 2), "groups");
    // No tickets, no session cache: dps has neither.
    check(wolfSSL_CTX_NoTicketTLSv12(ctx), "TLS 1.2 tickets");
    // (This one answers 0 for success.)
    check(wolfSSL_CTX_no_ticket_TLSv13(ctx) == 0 ? WOLFSSL_SUCCESS : WOLFSSL_FAILURE,
          "TLS 1.3 tickets");
    wolfSSL_CTX_set_session_cache_mode(ctx, WOLFSSL_SESS_CACHE_OFF);
    check(wolfSSL_CTX_use_certificate_chain_buffer_format(
              ctx, reinterpret_cast<const unsigned char*>(material.server_chain_pem.data()),
              static_cast<long>(material.server_chain_pem.size()), WOLFSSL_FILETYPE_PEM),
          "server certificate chain");
    check(wolfSSL_CTX_use_PrivateKey_buffer(
              ctx, reinterpret_cast<const unsigned char*>(material.server_key_pem.data()),
              static_cast<long>(material.server_key_pem.size()), WOLFSSL_FILETYPE_PEM),
          "server key");
    check(wolfSSL_CTX_load_verify_buffer(
              ctx, reinterpret_cast<const unsigned char*>(trusted_ca_pem.data()),
              static_cast<long>(trusted_ca_pem.size()), WOLFSSL_FILETYPE_PEM),
          "trust anchor");
    if (rc != WOLFSSL_SUCCESS) return nullptr;
    wolfSSL_CTX_set_verify(ctx, WOLFSSL_VERIFY_PEER | WOLFSSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
    wolfSSL_CTX_SetIORecv(ctx, link_receive);
    wolfSSL_CTX_SetIOSend(ctx, link_send);
    return library;
  }

  std::unique_ptr<ServerConnection> accept(ByteLink& link) override {
    return std::make_unique<WolfsslConnection>(ctx_, link);
  }

 private:
  static std::unique_ptr<ServerLibrary> fail(std::string* error, std::string why) {
    *error = std::move(why);
    return nullptr;
  }

  WOLFSSL_CTX* ctx_ = nullptr;
};

std::unique_ptr<ServerLibrary> make_wolfssl_server(const TlsMaterial& material,
                                                   const std::string& trusted_ca_pem,
                                                   std::string* error) {
  return WolfsslLibrary::create(material, trusted_ca_pem, error);
}

DPS_LIBRARY_HANDSHAKE_BENCHMARK(wolfssl, &make_wolfssl_server);

}  // namespace
}  // namespace dps::microbench
