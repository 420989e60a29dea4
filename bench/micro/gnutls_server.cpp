// GnuTLS's server for BM_LibraryHandshake (built when pkg-config finds gnutls): dps's device TLS
// settings in GnuTLS's terms, the device's chain verified by gnutls_certificate_verify_peers
// against the group's root with purpose clientAuth, from the per-handshake verify callback that
// dps's enrollment-group matching would replace.
#include <benchmark/benchmark.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include <cerrno>

#include "server_library.hpp"

namespace dps::microbench {
namespace {

// dps's device settings (net/tls_context.cpp, docs/security.md): TLS 1.2 and 1.3; the six TLS 1.2
// ECDHE suites (AEAD first, then the CBC ones with HMAC); P-256 and P-384; server preference.
// GnuTLS orders ciphers once for both versions, so TLS 1.3 gets AES-128-GCM here where OpenSSL's
// default TLS 1.3 order gives AES-256-GCM (BM_LibraryHandshake's label says which).
constexpr const char* kPriorities =
    "NONE:+VERS-TLS1.3:+VERS-TLS1.2:+ECDHE-ECDSA:+ECDHE-RSA:+AES-128-GCM:+AES-256-GCM:"
    "+AES-128-CBC:+AES-256-CBC:+AEAD:+SHA256:+SHA384:+GROUP-SECP256R1:+GROUP-SECP384R1:"
    "+SIGN-ALL:+COMP-NULL:+CTYPE-X509:%SERVER_PRECEDENCE";

std::string gnutls_error(const char* what, int rc) {
  return std::string(what) + ": " + gnutls_strerror(rc);
}

ssize_t push(gnutls_transport_ptr_t link, const void* data, size_t size) {
  static_cast<ByteLink*>(link)->to_device.write(data, size);
  return static_cast<ssize_t>(size);
}

struct Session {
  gnutls_session_t session = nullptr;
  ByteLink* link = nullptr;
  bool verified = false;
};

ssize_t pull(gnutls_transport_ptr_t ptr, void* out, size_t size) {
  auto* s = static_cast<Session*>(ptr);
  const size_t n = s->link->to_server.read(out, size);
  if (n == 0) {
    gnutls_transport_set_errno(s->session, EAGAIN);
    return -1;
  }
  return static_cast<ssize_t>(n);
}

// Called once per handshake with the device's chain: where dps's own verification would go.
// Here, GnuTLS's verifier against the trusted root, the leaf's purpose clientAuth.
int verify_device(gnutls_session_t session) {
  auto* s = static_cast<Session*>(gnutls_session_get_ptr(session));
  gnutls_typed_vdata_st purpose{};
  purpose.type = GNUTLS_DT_KEY_PURPOSE_OID;
  purpose.data = reinterpret_cast<unsigned char*>(const_cast<char*>(GNUTLS_KP_TLS_WWW_CLIENT));
  unsigned status = 0;
  if (gnutls_certificate_verify_peers(session, &purpose, 1, &status) < 0 || status != 0) {
    return GNUTLS_E_CERTIFICATE_ERROR;
  }
  s->verified = true;
  return 0;
}

class GnutlsConnection final : public ServerConnection {
 public:
  GnutlsConnection(gnutls_certificate_credentials_t credentials, gnutls_priority_t priorities,
                   ByteLink& link) {
    state_.link = &link;
    // No session tickets (nor, without a session database, a session cache): dps has neither.
    int rc = gnutls_init(&state_.session, GNUTLS_SERVER | GNUTLS_NO_TICKETS);
    if (rc < 0) {
      error_ = gnutls_error("gnutls_init", rc);
      state_.session = nullptr;
      return;
    }
    gnutls_session_set_ptr(state_.session, &state_);
    if ((rc = gnutls_priority_set(state_.session, priorities)) < 0 ||
        (rc = gnutls_credentials_set(state_.session, GNUTLS_CRD_CERTIFICATE, credentials)) < 0) {
      error_ = gnutls_error("session settings", rc);
      return;
    }
    gnutls_certificate_server_set_request(state_.session, GNUTLS_CERT_REQUIRE);
    gnutls_transport_set_ptr2(state_.session, &state_, &link);
    gnutls_transport_set_pull_function(state_.session, pull);
    gnutls_transport_set_push_function(state_.session, push);
    gnutls_handshake_set_timeout(state_.session, 0);  // in memory: no pull timeout to wait on
    ready_ = true;
  }
  ~GnutlsConnection() override {
    if (state_.session != nullptr) gnutls_deinit(state_.session);
  }
  GnutlsConnection(const GnutlsConnection&) = delete;
  GnutlsConnection& operator=(const GnutlsConnection&) = delete;

  Step handshake() override {
    if (!ready_) return Step::Failed;
    const int rc = gnutls_handshake(state_.session);
    if (rc == GNUTLS_E_SUCCESS) return Step::Done;
    if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED) return Step::WantIo;
    error_ = gnutls_error("gnutls_handshake", rc);
    return Step::Failed;
  }
  std::string error() const override { return error_; }
  std::string version() const override {
    switch (gnutls_protocol_get_version(state_.session)) {
      case GNUTLS_TLS1_2:
        return "TLS1.2";
      case GNUTLS_TLS1_3:
        return "TLS1.3";
      default:
        return gnutls_protocol_get_name(gnutls_protocol_get_version(state_.session));
    }
  }
  std::string suite() const override {
    const char* name = gnutls_ciphersuite_get(state_.session);
    return name ? name : "";
  }
  bool peer_verified() const override { return state_.verified; }

 private:
  Session state_;
  bool ready_ = false;
  std::string error_;
};

class GnutlsLibrary final : public ServerLibrary {
 public:
  ~GnutlsLibrary() override {
    if (priorities_ != nullptr) gnutls_priority_deinit(priorities_);
    if (credentials_ != nullptr) gnutls_certificate_free_credentials(credentials_);
  }

  static std::unique_ptr<ServerLibrary> create(const TlsMaterial& material,
                                               const std::string& trusted_ca_pem,
                                               std::string* error) {
    auto library = std::make_unique<GnutlsLibrary>();
    int rc = gnutls_certificate_allocate_credentials(&library->credentials_);
    if (rc < 0) return fail(error, gnutls_error("credentials", rc));
    gnutls_datum_t chain = datum(material.server_chain_pem);
    gnutls_datum_t key = datum(material.server_key_pem);
    rc = gnutls_certificate_set_x509_key_mem2(library->credentials_, &chain, &key,
                                              GNUTLS_X509_FMT_PEM, nullptr, 0);
    if (rc < 0) return fail(error, gnutls_error("server certificate and key", rc));
    gnutls_datum_t ca = datum(trusted_ca_pem);
    rc = gnutls_certificate_set_x509_trust_mem(library->credentials_, &ca, GNUTLS_X509_FMT_PEM);
    if (rc < 1) return fail(error, rc < 0 ? gnutls_error("trust anchor", rc) : "no trust anchor");
    gnutls_certificate_set_verify_function(library->credentials_, verify_device);
    const char* where = nullptr;
    rc = gnutls_priority_init(&library->priorities_, kPriorities, &where);
    if (rc < 0) return fail(error, gnutls_error("priorities", rc) + " at " + (where ? where : ""));
    return library;
  }

  std::unique_ptr<ServerConnection> accept(ByteLink& link) override {
    return std::make_unique<GnutlsConnection>(credentials_, priorities_, link);
  }

 private:
  static gnutls_datum_t datum(const std::string& text) {
    return {reinterpret_cast<unsigned char*>(const_cast<char*>(text.data())),
            static_cast<unsigned>(text.size())};
  }
  static std::unique_ptr<ServerLibrary> fail(std::string* error, std::string why) {
    *error = std::move(why);
    return nullptr;
  }

  gnutls_certificate_credentials_t credentials_ = nullptr;
  gnutls_priority_t priorities_ = nullptr;
};

std::unique_ptr<ServerLibrary> make_gnutls_server(const TlsMaterial& material,
                                                  const std::string& trusted_ca_pem,
                                                  std::string* error) {
  return GnutlsLibrary::create(material, trusted_ca_pem, error);
}

DPS_LIBRARY_HANDSHAKE_BENCHMARK(gnutls, &make_gnutls_server);

}  // namespace
}  // namespace dps::microbench
