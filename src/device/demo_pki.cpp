#include "device/demo_pki.hpp"

#include <chrono>
#include <system_error>

#include "pki/pem.hpp"
#include "pki/x509_util.hpp"

namespace dps::device {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

constexpr auto kCaLifetime = 20 * 365 * 24h;
constexpr auto kDeviceLifetime = 10 * 365 * 24h;

struct Issued {
  pki::X509Ptr cert;
  pki::EvpPkeyPtr key;
};

Result<Issued> issue(std::string_view cn, bool ca, X509* issuer, EVP_PKEY* issuer_key,
                     std::chrono::hours lifetime) {
  auto key = pki::generate_ec_key(pki::EcCurve::P256);
  if (!key) return tl::unexpected(key.error());
  auto name = pki::make_name(cn);
  if (!name) return tl::unexpected(name.error());
  const auto now = std::chrono::system_clock::now();
  pki::CertificateProfile profile;
  profile.subject = name->get();
  profile.public_key = key->get();
  profile.not_before = now - 1h;
  profile.not_after = now + lifetime;
  if (ca) {
    profile.extensions = {{NID_basic_constraints, "critical,CA:TRUE"},
                          {NID_key_usage, "critical,keyCertSign,cRLSign"},
                          {NID_subject_key_identifier, "hash"}};
  } else {
    profile.extensions = {{NID_basic_constraints, "critical,CA:FALSE"},
                          {NID_key_usage, "critical,digitalSignature,keyAgreement"},
                          {NID_ext_key_usage, "clientAuth"},
                          {NID_subject_key_identifier, "hash"}};
  }
  if (issuer) profile.extensions.push_back({NID_authority_key_identifier, "keyid:always"});
  auto cert = pki::issue_certificate(profile, issuer, issuer ? issuer_key : key->get());
  if (!cert) return tl::unexpected(cert.error());
  return Issued{std::move(*cert), std::move(*key)};
}

Result<std::string> pem_of(std::initializer_list<X509*> certs) {
  std::string out;
  for (X509* c : certs) {
    auto pem = pki::to_pem(c);
    if (!pem) return tl::unexpected(pem.error());
    out += *pem;
  }
  return out;
}

}  // namespace

Result<DemoPkiFiles> create_demo_pki(const fs::path& dir) {
  DemoPkiFiles files{dir / "root.pem",
                     dir / "intermediate.pem",
                     dir / "chain.pem",
                     dir / "device.pem",
                     dir / "device.key",
                     dir / "intermediate.key",
                     false};
  std::error_code ec;
  if (fs::exists(files.device_cert, ec)) return files;
  fs::create_directories(dir, ec);
  if (ec) return fail(ErrorCode::Internal, "create " + dir.string() + ": " + ec.message());

  auto root = issue("dps demo manufacturer root", true, nullptr, nullptr, kCaLifetime);
  if (!root) return tl::unexpected(root.error());
  auto inter = issue("dps demo manufacturer intermediate", true, root->cert.get(), root->key.get(),
                     kCaLifetime);
  if (!inter) return tl::unexpected(inter.error());
  auto leaf = issue("dps demo device", false, inter->cert.get(), inter->key.get(), kDeviceLifetime);
  if (!leaf) return tl::unexpected(leaf.error());

  auto root_pem = pem_of({root->cert.get()});
  auto inter_pem = pem_of({inter->cert.get()});
  auto chain_pem = pem_of({inter->cert.get(), root->cert.get()});
  auto device_pem = pem_of({leaf->cert.get(), inter->cert.get()});
  auto key_pem = pki::private_key_to_pem(leaf->key.get());
  // Demo/test only: kept so that more device certificates can be issued (dps-bench).
  auto inter_key_pem = pki::private_key_to_pem(inter->key.get());
  for (const auto* r : {&root_pem, &inter_pem, &chain_pem, &device_pem, &key_pem, &inter_key_pem}) {
    if (!*r) return tl::unexpected(r->error());
  }
  // device.pem last: its presence marks a complete PKI (the idempotence check above).
  const std::pair<const fs::path*, const std::string*> writes[] = {
      {&files.root, &*root_pem},
      {&files.intermediate, &*inter_pem},
      {&files.chain, &*chain_pem},
      {&files.device_key, &*key_pem},
      {&files.intermediate_key, &*inter_key_pem},
      {&files.device_cert, &*device_pem}};
  for (const auto& [path, content] : writes) {
    const bool secret = path == &files.device_key || path == &files.intermediate_key;
    const auto mode = secret ? pki::FileMode::Secret : pki::FileMode::Public;
    if (auto ok = pki::write_file(*path, *content, mode); !ok) return tl::unexpected(ok.error());
  }
  files.created = true;
  return files;
}

}  // namespace dps::device
