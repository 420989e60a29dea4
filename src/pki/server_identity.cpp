#include "pki/server_identity.hpp"

#include <openssl/x509v3.h>

#include <system_error>

#include "common/private_file.hpp"
#include "pki/embedded_ca.hpp"
#include "pki/pem.hpp"
#include "pki/uuid.hpp"
#include "pki/x509_util.hpp"

namespace dps::pki {

namespace {

using namespace std::chrono_literals;

constexpr std::string_view kServerCertFile = "server.pem";
constexpr std::string_view kServerKeyFile = "server.key";
constexpr std::string_view kServerName = "dps";
// 397 days: the longest TLS server lifetime browsers accept; harmless for devices.
constexpr auto kServerValidity = std::chrono::days(397);
constexpr auto kRenewBefore = std::chrono::days(30);

// Reads and cross-checks a certificate chain file and its key.
Result<TlsIdentity> load(const std::filesystem::path& cert_path,
                         const std::filesystem::path& key_path) {
  auto cert_pem = read_file(cert_path);
  if (!cert_pem) return tl::unexpected(cert_pem.error());
  auto key_pem = read_file(key_path);
  if (!key_pem) return tl::unexpected(key_pem.error());
  auto chain = parse_certificates_pem(*cert_pem);
  if (!chain) return fail(ErrorCode::Internal, cert_path.string() + ": " + chain.error().internal);
  auto key = parse_private_key_pem(*key_pem);
  if (!key) return fail(ErrorCode::Internal, key_path.string() + ": " + key.error().internal);
  if (X509_check_private_key(chain->front().get(), key->get()) != 1) {
    (void)openssl_error_string();
    return fail(ErrorCode::Internal,
                key_path.string() + ": does not match the certificate in " + cert_path.string());
  }
  return TlsIdentity{std::move(*cert_pem), std::move(*key_pem), cert_path, key_path};
}

// A default certificate we created earlier is kept while it is still ours and not near expiry.
bool still_usable(const TlsIdentity& identity, const EmbeddedCa& ca) {
  auto chain = parse_certificates_pem(identity.cert_chain_pem);
  if (!chain) return false;
  X509* leaf = chain->front().get();
  const auto not_after = to_time_point(X509_get0_notAfter(leaf));
  EVP_PKEY* ca_key = X509_get0_pubkey(ca.certificate());
  const bool ours = ca_key != nullptr && X509_verify(leaf, ca_key) == 1;
  (void)openssl_error_string();
  return ours && not_after && *not_after - kRenewBefore > std::chrono::system_clock::now();
}

Result<void> create(const EmbeddedCa& ca, const std::filesystem::path& cert_path,
                    const std::filesystem::path& key_path) {
  auto key = generate_ec_key(EcCurve::P256);
  if (!key) return tl::unexpected(key.error());
  auto name = make_name(kServerName);
  if (!name) return tl::unexpected(name.error());
  const auto now = std::chrono::system_clock::now();
  auto cert = ca.issue({name->get(),
                        key->get(),
                        now - 1h,
                        now + kServerValidity,
                        {{NID_basic_constraints, "critical,CA:FALSE"},
                         {NID_key_usage, "critical,digitalSignature,keyAgreement"},
                         {NID_ext_key_usage, "serverAuth,clientAuth"},
                         {NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1,IP:::1"},
                         {NID_subject_key_identifier, "hash"},
                         {NID_authority_key_identifier, "keyid,issuer"}}});
  if (!cert) return tl::unexpected(cert.error());
  auto cert_pem = to_pem(cert->get());
  auto key_pem = private_key_to_pem(key->get());
  if (!cert_pem) return tl::unexpected(cert_pem.error());
  if (!key_pem) return tl::unexpected(key_pem.error());
  if (auto r = write_file(key_path, *key_pem, FileMode::Secret); !r) return r;
  return write_file(cert_path, *cert_pem + ca.intermediates_pem(), FileMode::Public);
}

}  // namespace

Result<TlsIdentity> load_or_create_server_identity(const EmbeddedCa& ca,
                                                   const std::filesystem::path& data_dir,
                                                   const std::string& cert_file,
                                                   const std::string& key_file) {
  if (cert_file.empty() != key_file.empty()) {
    return fail(ErrorCode::Internal,
                "server TLS identity: set both cert_file and key_file, or neither");
  }
  if (!cert_file.empty()) return load(cert_file, key_file);

  if (auto dir = ensure_private_directory(data_dir); !dir) return tl::unexpected(dir.error());
  auto lock = FileLock::acquire(data_dir / kPkiLockFile);
  if (!lock) return tl::unexpected(lock.error());
  const auto cert_path = data_dir / kServerCertFile;
  const auto key_path = data_dir / kServerKeyFile;
  if (std::filesystem::exists(cert_path) && std::filesystem::exists(key_path)) {
    auto existing = load(cert_path, key_path);
    if (existing && still_usable(*existing, ca)) return existing;
  }
  if (auto r = create(ca, cert_path, key_path); !r) return tl::unexpected(r.error());
  return load(cert_path, key_path);
}

std::string certificate_uuid(const std::string& cert_chain_pem) {
  constexpr std::string_view kPrefix = "uuid:";
  auto chain = parse_certificates_pem(cert_chain_pem);
  if (!chain) return {};
  const std::string cn = common_name(X509_get_subject_name(chain->front().get()));
  if (!cn.starts_with(kPrefix)) return {};
  auto uuid = Uuid::parse(std::string_view(cn).substr(kPrefix.size()));
  return uuid ? uuid->to_string() : std::string();
}

}  // namespace dps::pki
