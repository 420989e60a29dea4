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

// X.509's upper bound for a common name (RFC 5280 ub-common-name).
constexpr size_t kMaxCommonName = 64;

// The intermediate's name in an existing demo PKI, to tell whether it is the one asked for.
Result<std::string> existing_intermediate_name(const fs::path& path) {
  auto pem = pki::read_file(path);
  if (!pem) return tl::unexpected(pem.error());
  auto certs = pki::parse_certificates_pem(*pem);
  if (!certs) return fail(ErrorCode::BadRequest, path.string() + ": " + certs.error().internal);
  return pki::common_name(X509_get_subject_name(certs->front().get()));
}

}  // namespace

Result<DemoPkiNames> demo_pki_names(std::string_view name) {
  if (name.empty()) {
    return DemoPkiNames{"dps demo manufacturer root", "dps demo manufacturer intermediate",
                        "dps demo device"};
  }
  for (const char c : name) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return fail(ErrorCode::BadRequest, "--name: control characters are not allowed");
    }
  }
  if (name.front() == ' ' || name.back() == ' ') {
    return fail(ErrorCode::BadRequest, "--name: no leading or trailing spaces");
  }
  DemoPkiNames names{std::string(name) + " root", std::string(name) + " intermediate",
                     std::string(name) + " device"};
  if (names.intermediate.size() > kMaxCommonName) {
    const size_t suffix = names.intermediate.size() - name.size();
    return fail(ErrorCode::BadRequest,
                "--name: at most " + std::to_string(kMaxCommonName - suffix) + " characters (\"" +
                    names.intermediate + "\" would exceed X.509's " +
                    std::to_string(kMaxCommonName) + ")");
  }
  return names;
}

Result<DemoPkiFiles> create_demo_pki(const fs::path& dir, std::string_view name) {
  auto names = demo_pki_names(name);
  if (!names) return tl::unexpected(names.error());
  DemoPkiFiles files{dir / "root.pem",
                     dir / "intermediate.pem",
                     dir / "chain.pem",
                     dir / "device.pem",
                     dir / "device.key",
                     dir / "intermediate.key",
                     false};
  std::error_code ec;
  if (fs::exists(files.device_cert, ec)) {
    // Kept as it is; but a PKI of another manufacturer name is not the one asked for.
    auto existing = existing_intermediate_name(files.intermediate);
    if (!existing) return tl::unexpected(existing.error());
    if (*existing != names->intermediate) {
      return fail(ErrorCode::Conflict, dir.string() +
                                           " already holds a demo PKI whose intermediate "
                                           "is \"" +
                                           *existing + "\", not \"" + names->intermediate +
                                           "\": choose another --out");
    }
    return files;
  }
  fs::create_directories(dir, ec);
  if (ec) return fail(ErrorCode::Internal, "create " + dir.string() + ": " + ec.message());

  auto root = issue(names->root, true, nullptr, nullptr, kCaLifetime);
  if (!root) return tl::unexpected(root.error());
  auto inter = issue(names->intermediate, true, root->cert.get(), root->key.get(), kCaLifetime);
  if (!inter) return tl::unexpected(inter.error());
  auto leaf = issue(names->device, false, inter->cert.get(), inter->key.get(), kDeviceLifetime);
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
