#include "device/identity_files.hpp"

#include <system_error>

#include "device/checks.hpp"
#include "pki/pem.hpp"
#include "pki/x509_util.hpp"

namespace dps::device {

namespace fs = std::filesystem;

namespace {

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.pop_back();
  }
  return text;
}

Result<std::string> read_part(const fs::path& dir, std::string_view name) {
  const fs::path path = dir / name;
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    return fail(ErrorCode::BadRequest, path.string() + ": missing (not an identity directory?)");
  }
  auto text = pki::read_file(path);
  if (!text) return fail(ErrorCode::BadRequest, path.string() + ": cannot be read");
  if (text->empty()) return fail(ErrorCode::BadRequest, path.string() + ": empty");
  return text;
}

}  // namespace

Result<void> save_identity(const fs::path& dir, const IssuedCredentials& identity) {
  if (!is_uuid(identity.subject_uuid)) {
    return fail(ErrorCode::BadRequest, "identity: device id is not a UUID");
  }
  if (identity.cert_chain_pem.empty() || identity.private_key_pem.empty()) {
    return fail(ErrorCode::BadRequest, "identity: no issued certificate chain and key to save");
  }
  std::error_code ec;
  if (!fs::exists(dir, ec)) {
    fs::create_directories(dir, ec);
    if (ec) return fail(ErrorCode::Internal, "create " + dir.string() + ": " + ec.message());
    // The directory holds a private key: nobody else lists or enters it.
    fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
    if (ec) return fail(ErrorCode::Internal, "chmod " + dir.string() + ": " + ec.message());
  }
  // The key before the chain: should the process die in between after a renewal, load_identity()
  // reports a key that does not match the chain rather than silently using a stale pair.
  const std::pair<std::string_view, const std::string*> parts[] = {
      {identity_file::kKey, &identity.private_key_pem},
      {identity_file::kChain, &identity.cert_chain_pem},
      {identity_file::kTrustCa, &identity.trust_ca_pem}};
  for (const auto& [name, content] : parts) {
    const auto mode = name == identity_file::kKey ? pki::FileMode::Secret : pki::FileMode::Public;
    if (auto ok = pki::write_file(dir / name, *content, mode); !ok) {
      return tl::unexpected(ok.error());
    }
  }
  return pki::write_file(dir / identity_file::kDeviceId, identity.subject_uuid + "\n",
                         pki::FileMode::Public);
}

Result<IssuedCredentials> load_identity(const fs::path& dir) {
  IssuedCredentials identity;
  auto device_id = read_part(dir, identity_file::kDeviceId);
  if (!device_id) return tl::unexpected(device_id.error());
  identity.subject_uuid = trimmed(std::move(*device_id));
  if (!is_uuid(identity.subject_uuid)) {
    return fail(ErrorCode::BadRequest,
                (dir / identity_file::kDeviceId).string() + ": not a canonical UUID");
  }
  auto chain = read_part(dir, identity_file::kChain);
  if (!chain) return tl::unexpected(chain.error());
  auto certs = pki::parse_certificates_pem(*chain);
  if (!certs) {
    return fail(ErrorCode::BadRequest,
                (dir / identity_file::kChain).string() +
                    ": not a PEM certificate chain: " + certs.error().internal);
  }
  auto key = read_part(dir, identity_file::kKey);
  if (!key) return tl::unexpected(key.error());
  if (auto pair = pki::check_key_pair(*chain, *key); !pair) {
    return fail(ErrorCode::BadRequest,
                (dir / identity_file::kKey).string() + ": " + pair.error().internal);
  }
  // The trust CA is kept for the device's hub connection; dps itself is trusted through --ca.
  auto trust_ca = read_part(dir, identity_file::kTrustCa);
  if (!trust_ca) return tl::unexpected(trust_ca.error());
  const auto not_after = pki::to_time_point(X509_get0_notAfter(certs->front().get()));
  if (!not_after) {
    return fail(ErrorCode::BadRequest,
                (dir / identity_file::kChain).string() + ": leaf has an unreadable notAfter");
  }
  identity.cert_chain_pem = std::move(*chain);
  identity.private_key_pem = std::move(*key);
  identity.trust_ca_pem = std::move(*trust_ca);
  identity.not_after = *not_after;
  return identity;
}

}  // namespace dps::device
