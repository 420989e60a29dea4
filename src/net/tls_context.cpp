#include "net/tls_context.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <vector>

#include "net/datagram_bio.hpp"
#include "net/dtls_cookie.hpp"
#include "pki/chain_verifier.hpp"
#include "pki/identity_trust.hpp"
#include "pki/pem.hpp"
#include "pki/uuid.hpp"
#include "pki/x509_util.hpp"
#include "provisioning/catalog.hpp"

namespace dps::net {
namespace {

// TLS 1.2 suites a device offers for DPS, in its order (device-protocol §1). TLS 1.3 keeps
// OpenSSL's AEAD defaults.
constexpr const char* kDeviceCipherList =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-AES256-SHA384:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384";
constexpr const char* kDeviceGroups = "P-256:P-384";

int outcome_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

std::string common_name_of(X509* cert) {
  X509_NAME* subject = X509_get_subject_name(cert);
  const int pos = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (pos < 0) return {};
  ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, pos));
  unsigned char* utf8 = nullptr;
  const int len = ASN1_STRING_to_UTF8(&utf8, data);
  if (len < 0) return {};
  std::string cn(reinterpret_cast<char*>(utf8), static_cast<size_t>(len));
  OPENSSL_free(utf8);
  return cn;
}

// Replaces OpenSSL's chain verification: the trust anchors are the enrollment groups, not one
// CA store, and the verdict names the group (device-protocol §2). A device no group admits still
// completes the handshake (its individual enrollment may admit it); the session refuses it then.
struct VerifyInputs {
  provisioning::CatalogHolder* catalogs = nullptr;
  std::shared_ptr<const pki::IdentityTrust> identities;
};

// The context and what its callbacks read, in one allocation that lives as long as the context
// (callers hold the context through an aliasing shared_ptr).
struct DeviceTls {
  explicit DeviceTls(boost::asio::ssl::context base) : context(std::move(base)) {}
  boost::asio::ssl::context context;
  VerifyInputs verify;
  std::unique_ptr<DtlsCookieSecret> cookies;  // DTLS only
};

int verify_against_enrollment_groups(X509_STORE_CTX* store_ctx, void* arg) {
  const auto* inputs = static_cast<const VerifyInputs*>(arg);
  auto* ssl = static_cast<SSL*>(
      X509_STORE_CTX_get_ex_data(store_ctx, SSL_get_ex_data_X509_STORE_CTX_idx()));
  auto* outcome =
      ssl ? static_cast<HandshakeOutcome*>(SSL_get_ex_data(ssl, outcome_index())) : nullptr;
  X509* leaf = X509_STORE_CTX_get0_cert(store_ctx);
  if (!outcome || !leaf) {
    X509_STORE_CTX_set_error(store_ctx, X509_V_ERR_UNSPECIFIED);
    return 0;
  }
  // The peer's chain as sent, leaf first (OpenSSL passes the whole chain as "untrusted").
  std::vector<X509*> chain{leaf};
  if (STACK_OF(X509)* sent = X509_STORE_CTX_get0_untrusted(store_ctx)) {
    for (int i = 0; i < sk_X509_num(sent); ++i) {
      X509* cert = sk_X509_value(sent, i);
      if (X509_cmp(cert, leaf) != 0) chain.push_back(cert);
    }
  }
  outcome->peer.common_name = common_name_of(leaf);
  outcome->peer.registration_id = pki::registration_id(leaf);
  outcome->peer.key_hash = pki::spki_sha256_hex(leaf);
  outcome->leaf_validity = {pki::to_time_point(X509_get0_notBefore(leaf)),
                            pki::to_time_point(X509_get0_notAfter(leaf))};
  outcome->leaf_serial = pki::serial_hex(leaf);
  auto pem = pki::to_pem(leaf);
  if (pem) outcome->peer.leaf_pem = std::move(*pem);
  if (outcome->peer.key_hash.empty() || outcome->peer.registration_id.empty()) {
    X509_STORE_CTX_set_error(store_ctx, X509_V_ERR_UNSPECIFIED);
    return 0;
  }
  const auto now = std::chrono::system_clock::now();
  if (inputs->identities) {
    outcome->identity = inputs->identities->device_of(chain, now);
    if (outcome->identity) return 1;  // the session checks it against the device's record
  }
  const auto catalog = inputs->catalogs->get();
  auto match = catalog->trust().match(chain, std::chrono::system_clock::now(),
                                      &outcome->group.refusal_kind, &outcome->group.refused_by);
  if (match) {
    outcome->group.group_id = match->group_id;
  } else {
    outcome->group.refusal = match.error().internal;
    outcome->group.refusal_for_device = match.error().peer_message();
  }
  return 1;
}

}  // namespace

void attach_handshake_outcome(SSL* ssl, HandshakeOutcome* outcome) {
  SSL_set_ex_data(ssl, outcome_index(), outcome);
}

namespace {

// Protocol versions: what the TLS and the DTLS contexts do not share.
struct VersionRange {
  int min;
  int max;
};

// Everything the TLS and DTLS device contexts share (device-protocol §1): suites, groups,
// options, the server identity and the enrollment-group verification.
Result<std::shared_ptr<DeviceTls>> make_device_context(
    boost::asio::ssl::context base, VersionRange versions, const ServerTlsIdentity& identity,
    provisioning::CatalogHolder& catalogs, std::shared_ptr<const pki::IdentityTrust> identities,
    bool client_certificate_required) {
  namespace ssl = boost::asio::ssl;
  auto holder = std::make_shared<DeviceTls>(std::move(base));
  holder->verify = {&catalogs, std::move(identities)};
  SSL_CTX* ctx = holder->context.native_handle();
  boost::system::error_code ec;
  auto fail_with = [](const std::string& what) {
    return fail(ErrorCode::Internal,
                "device TLS context: " + what + ": " + pki::openssl_error_string());
  };
  if (SSL_CTX_set_min_proto_version(ctx, versions.min) != 1 ||
      SSL_CTX_set_max_proto_version(ctx, versions.max) != 1) {
    return fail_with("protocol versions");
  }
  // No renegotiation, no compression; tickets off: a device never resumes a DPS session and
  // OpenSSL 3.0 pays for ticket crypto on every handshake (design.md).
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_NO_TICKET |
                               SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_num_tickets(ctx, 0);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  if (SSL_CTX_set_cipher_list(ctx, kDeviceCipherList) != 1) return fail_with("cipher list");
  if (SSL_CTX_set1_groups_list(ctx, kDeviceGroups) != 1) return fail_with("groups");
  holder->context.use_certificate_chain(boost::asio::buffer(identity.certificate_chain_pem.data(),
                                                            identity.certificate_chain_pem.size()),
                                        ec);
  if (ec) return fail(ErrorCode::Internal, "device TLS context: certificate: " + ec.message());
  holder->context.use_private_key(
      boost::asio::buffer(identity.private_key_pem.data(), identity.private_key_pem.size()),
      ssl::context::pem, ec);
  if (ec) return fail(ErrorCode::Internal, "device TLS context: private key: " + ec.message());
  if (SSL_CTX_check_private_key(ctx) != 1) return fail_with("key does not match certificate");
  // Without FAIL_IF_NO_PEER_CERT the server still asks for a certificate, and verifies any it
  // gets; one that does not verify fails the handshake as before.
  SSL_CTX_set_verify(ctx,
                     client_certificate_required ? SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT
                                                 : SSL_VERIFY_PEER,
                     nullptr);
  SSL_CTX_set_cert_verify_callback(ctx, verify_against_enrollment_groups, &holder->verify);
  return holder;
}

}  // namespace

Result<std::shared_ptr<boost::asio::ssl::context>> make_device_tls_context(
    const ServerTlsIdentity& identity, provisioning::CatalogHolder& catalogs,
    std::shared_ptr<const pki::IdentityTrust> identities, bool client_certificate_required) {
  namespace ssl = boost::asio::ssl;
  auto holder =
      make_device_context(ssl::context(ssl::context::tls_server), {TLS1_2_VERSION, TLS1_3_VERSION},
                          identity, catalogs, std::move(identities), client_certificate_required);
  if (!holder) return tl::unexpected(holder.error());
  return std::shared_ptr<ssl::context>(*holder, &(*holder)->context);
}

Result<std::shared_ptr<boost::asio::ssl::context>> make_device_dtls_context(
    const ServerTlsIdentity& identity, provisioning::CatalogHolder& catalogs,
    std::shared_ptr<const pki::IdentityTrust> identities, bool client_certificate_required) {
  namespace ssl = boost::asio::ssl;
  SSL_CTX* native = SSL_CTX_new(DTLS_server_method());
  if (native == nullptr) {
    return fail(ErrorCode::Internal, "device DTLS context: " + pki::openssl_error_string());
  }
  auto holder =
      make_device_context(ssl::context(native), {DTLS1_2_VERSION, DTLS1_2_VERSION}, identity,
                          catalogs, std::move(identities), client_certificate_required);
  if (!holder) return tl::unexpected(holder.error());
  SSL_CTX* ctx = (*holder)->context.native_handle();
  // The listener sets each session's link MTU itself (datagram_bio); records no larger than that
  // link also keep OpenSSL's per-session write buffer at ~1.3 KiB instead of ~17 KiB.
  SSL_CTX_set_options(ctx, SSL_OP_NO_QUERY_MTU);
  if (SSL_CTX_set_max_send_fragment(ctx, datagram_bio::kDefaultLinkMtu) != 1) {
    return fail(ErrorCode::Internal, "device DTLS context: max send fragment");
  }
  (*holder)->cookies = std::make_unique<DtlsCookieSecret>();
  enable_cookie_exchange(ctx, (*holder)->cookies.get());
  return std::shared_ptr<ssl::context>(*holder, &(*holder)->context);
}

std::chrono::steady_clock::time_point client_certificate_deadline(SSL* ssl, bool enabled) {
  using Steady = std::chrono::steady_clock;
  if (!enabled) return Steady::time_point::max();
  X509* cert = SSL_get0_peer_certificate(ssl);
  auto not_after = cert ? pki::to_time_point(X509_get0_notAfter(cert)) : std::nullopt;
  if (!not_after) return Steady::time_point::max();
  const auto left = *not_after - std::chrono::system_clock::now();
  return Steady::now() +
         std::max(std::chrono::duration_cast<Steady::duration>(left), Steady::duration::zero());
}

}  // namespace dps::net
