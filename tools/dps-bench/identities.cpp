#include "identities.hpp"

#include <chrono>
#include <stdexcept>

#include "parallel_make.hpp"
#include "pki/pem.hpp"
#include "pki/x509_util.hpp"

namespace dps::bench {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

device::ClientTlsOptions tls_options(const DeviceTlsSettings& settings, std::string chain,
                                     std::string key) {
  device::ClientTlsOptions options;
  options.cert_chain_pem = std::move(chain);
  options.key_pem = std::move(key);
  options.ca_pem = settings.server_ca_pem;
  options.force_tls12 = settings.tls12;
  return options;
}

// A leaf shaped like the demo device's: EKU clientAuth, signed by the intermediate.
Result<std::shared_ptr<device::ClientTls>> issue_one(const Manufacturer& mfg, size_t index,
                                                     const DeviceTlsSettings& settings) {
  auto key = pki::generate_ec_key(pki::EcCurve::P256);
  if (!key) return tl::unexpected(key.error());
  auto name = pki::make_name("dps-bench device " + std::to_string(index));
  if (!name) return tl::unexpected(name.error());
  const auto now = std::chrono::system_clock::now();
  pki::CertificateProfile profile;
  profile.subject = name->get();
  profile.public_key = key->get();
  profile.not_before = now - 1h;
  profile.not_after = now + 24h * 365;
  profile.extensions = {{NID_basic_constraints, "critical,CA:FALSE"},
                        {NID_key_usage, "critical,digitalSignature,keyAgreement"},
                        {NID_ext_key_usage, "clientAuth"},
                        {NID_subject_key_identifier, "hash"},
                        {NID_authority_key_identifier, "keyid:always"}};
  auto cert = pki::issue_certificate(profile, mfg.intermediate.get(), mfg.intermediate_key.get());
  if (!cert) return tl::unexpected(cert.error());
  auto leaf_pem = pki::to_pem(cert->get());
  if (!leaf_pem) return tl::unexpected(leaf_pem.error());
  auto key_pem = pki::private_key_to_pem(key->get());
  if (!key_pem) return tl::unexpected(key_pem.error());
  return device::ClientTls::create(
      tls_options(settings, *leaf_pem + mfg.intermediate_pem, std::move(*key_pem)));
}

}  // namespace

Result<Manufacturer> load_manufacturer(const fs::path& dir) {
  Manufacturer mfg;
  mfg.dir = dir;
  mfg.chain_file = dir / "chain.pem";
  const fs::path key_file = dir / "intermediate.key";
  std::error_code ec;
  if (!fs::exists(key_file, ec)) {
    return fail(ErrorCode::BadRequest,
                key_file.string() +
                    " is missing: dps-bench issues one certificate per device with the "
                    "intermediate's key, which `dps-device demo-pki` keeps since this version; "
                    "create a new directory with `dps-device demo-pki --out NEWDIR`");
  }
  auto inter_pem = pki::read_file(dir / "intermediate.pem");
  if (!inter_pem) return tl::unexpected(inter_pem.error());
  auto certs = pki::parse_certificates_pem(*inter_pem);
  if (!certs) return tl::unexpected(certs.error());
  auto key_pem = pki::read_file(key_file);
  if (!key_pem) return tl::unexpected(key_pem.error());
  auto key = pki::parse_private_key_pem(*key_pem);
  if (!key) return tl::unexpected(key.error());
  if (X509_check_private_key(certs->front().get(), key->get()) != 1) {
    return fail(ErrorCode::BadRequest, key_file.string() + " does not match intermediate.pem");
  }
  auto device_pem = pki::read_file(dir / "device.pem");
  if (!device_pem) return tl::unexpected(device_pem.error());
  auto device_key = pki::read_file(dir / "device.key");
  if (!device_key) return tl::unexpected(device_key.error());
  mfg.intermediate_pem = std::move(*inter_pem);
  mfg.intermediate = std::move(certs->front());
  mfg.intermediate_key = std::move(*key);
  mfg.device_cert_pem = std::move(*device_pem);
  mfg.device_key_pem = std::move(*device_key);
  return mfg;
}

std::vector<std::shared_ptr<device::ClientTls>> issue_identities(
    const Manufacturer& mfg, size_t count, const DeviceTlsSettings& settings, unsigned threads,
    const std::function<void(size_t done)>& progress) {
  return parallel_make<std::shared_ptr<device::ClientTls>>(
      count, threads, "device identity", [&](size_t i) { return issue_one(mfg, i, settings); },
      progress);
}

Result<std::shared_ptr<device::ClientTls>> demo_device_identity(const Manufacturer& mfg,
                                                                const DeviceTlsSettings& settings) {
  return device::ClientTls::create(tls_options(settings, mfg.device_cert_pem, mfg.device_key_pem));
}

}  // namespace dps::bench
