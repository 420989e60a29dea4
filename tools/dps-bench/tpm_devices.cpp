#include "tpm_devices.hpp"

#include <chrono>
#include <optional>
#include <stdexcept>

#include "common/data_uri.hpp"
#include "common/private_file.hpp"
#include "device/provisioner.hpp"
#include "device/tpm_attestor.hpp"
#include "parallel_make.hpp"
#include "pki/uuid.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "tpm/endorsement_key.hpp"

namespace dps::bench {
namespace {

namespace asio = boost::asio;
using TpmClock = std::chrono::steady_clock;

// The file dps opens in its data directory when clients.storage.sqlite.path is unset (as
// preload.cpp's).
constexpr const char* kTpmStoreFileName = "dps.db";

std::string as_text(const tpm::Bytes& bytes) { return std::string(bytes.begin(), bytes.end()); }

}  // namespace

std::vector<device::SoftwareTpm> make_software_tpms(
    size_t count, device::SoftwareTpm::EkKind kind, unsigned threads,
    const std::function<void(size_t done)>& progress) {
  return parallel_make<device::SoftwareTpm>(
      count, threads, "software TPM", [kind](size_t) { return device::SoftwareTpm::create(kind); },
      progress);
}

void enroll_software_tpms(const std::filesystem::path& data_dir,
                          const std::vector<device::SoftwareTpm>& tpms, const std::string& owner,
                          const std::string& hub_id) {
  if (auto made = ensure_private_directory(data_dir); !made) {
    throw std::runtime_error("data directory " + data_dir.string() + ": " + made.error().internal);
  }
  auto store = store::SqliteStore::open(data_dir / kTpmStoreFileName);
  if (!store) throw std::runtime_error("store: " + store.error().internal);
  std::vector<store::IndividualEnrollment> enrollments;
  enrollments.reserve(tpms.size());
  for (const auto& tpm : tpms) {
    const std::string ek = as_text(tpm.endorsement_key_tpm2b());
    // As the management API derives and keeps them (api/individual_enrollment_codec.cpp).
    auto hash = tpm::endorsement_key_hash(ek);
    if (!hash) throw std::runtime_error("endorsement key: " + hash.error().internal);
    store::IndividualEnrollment enrollment;
    enrollment.id = pki::random_uuid_v4().to_string();
    enrollment.owner = owner;
    enrollment.name = "dps-bench tpm " + enrollment.id.substr(0, 8);
    enrollment.public_key_sha256 = std::move(*hash);
    enrollment.hub_ids = {hub_id};
    enrollment.tpm_endorsement_key = encode_data_uri(ek);
    enrollments.push_back(std::move(enrollment));
  }
  if (auto created = (*store)->create_individual_enrollments(enrollments); !created) {
    throw std::runtime_error("TPM enrollments: " + created.error().internal);
  }
}

device::FleetResult run_tpm_fleet(const device::FleetOptions& options,
                                  std::vector<device::SoftwareTpm> tpms,
                                  const device::ClientTlsOptions& trust, unsigned threads) {
  // One context for every attestation session: no client certificate, only dps's CA.
  device::ClientTlsOptions no_certificate = trust;
  no_certificate.cert_chain_pem.clear();
  no_certificate.key_pem.clear();
  auto certificateless = device::ClientTls::create(no_certificate);
  if (!certificateless) throw std::runtime_error("TLS setup: " + certificateless.error().internal);

  const device::DeviceFlow flow = [&](size_t i, const device::ServerAddress& server,
                                      device::DeviceRun& run) -> asio::awaitable<void> {
    device::SoftwareTpmAttestor tpm(std::move(tpms.at(i)));
    device::DeviceConfig config = options.device;
    config.host = server.host;
    config.port = server.port;
    config.device_id = device::tpm_device_id(tpm.endorsement_key_tpm2b());
    device::Provisioner provisioner(config, *certificateless);
    const auto start = TpmClock::now();
    auto result = co_await provisioner.run_tpm(tpm);
    if (result.ok) {
      result = co_await provisioner.identity_session(
          result.credentials, trust, device::IdentitySessionSteps{true, true, false, false});
    }
    run.total_us =
        std::chrono::duration_cast<std::chrono::microseconds>(TpmClock::now() - start).count();
    run.device_id = result.device_id;
    run.ok = result.ok;
    run.error = result.error;
    for (const auto& step : result.steps) {
      if (step.ok) run.acknowledged.push_back(step.step);
    }
    run.answers = std::move(result.steps);
  };
  return device::run_fleet(options, flow, threads);
}

}  // namespace dps::bench
