#include "world.hpp"

#include <benchmark/benchmark.h>

#include <chrono>
#include <stdexcept>

#include "device/demo_pki.hpp"
#include "device/requests.hpp"
#include "net/tls_context.hpp"
#include "pki/pem.hpp"
#include "pki/server_identity.hpp"
#include "pki/uuid.hpp"
#include "pki/x509_util.hpp"

namespace dps::microbench {
namespace {

// The ids dps-bench's generated configuration uses (tools/dps-bench/target.cpp).
constexpr const char* kGroupId = "7b1e5a2c-4d3f-4e6a-8b9c-0d1e2f3a4b5c";
constexpr const char* kHubId = "3c9d8e7f-6a5b-4c3d-9e2f-1a0b9c8d7e6f";

template <class T>
T take(Result<T> result, const char* what) {
  if (!result) throw std::runtime_error(std::string(what) + ": " + result.error().internal);
  return std::move(*result);
}

// dps-bench's configuration: one group enrolling the manufacturer's chain.pem (intermediate +
// root), owner "1", linking one hub whose tokens dps mints itself.
std::shared_ptr<const provisioning::Catalog> bench_catalog(const std::string& chain_pem) {
  store::EnrollmentGroup group;
  group.id = kGroupId;
  group.owner = "1";
  group.name = "dps-microbench manufacturer";
  group.x509.certificate_chain = chain_pem;
  group.hub_ids = {kHubId};
  store::Hub hub;
  hub.id = kHubId;
  hub.hub_id = kHubId;
  hub.owner = "1";
  hub.gateways = {"coaps+tcp://127.0.0.1:5684"};
  hub.authorization.owner_claim = "https://plgd.dev/owner";
  hub.authorization.provider.name = "plgd";
  std::vector<std::string> skipped;
  auto catalog = provisioning::Catalog::build({group}, {hub}, &skipped);
  if (!skipped.empty()) throw std::runtime_error("enrollment group skipped: " + skipped.front());
  return catalog;
}

std::shared_ptr<device::ClientTls> device_tls(const std::string& chain_pem,
                                              const std::string& key_pem,
                                              const std::string& server_ca_pem, bool tls12) {
  device::ClientTlsOptions options;
  options.cert_chain_pem = chain_pem;
  options.key_pem = key_pem;
  options.ca_pem = server_ca_pem;
  options.force_tls12 = tls12;
  return take(device::ClientTls::create(options), "device TLS context");
}

std::unique_ptr<World> build_world() {
  auto w = std::make_unique<World>();
  const auto data_dir = w->dir.path() / "data";
  const auto mfg = take(device::create_demo_pki(w->dir.path() / "mfg"), "demo PKI");

  pki::EmbeddedCaOptions ca_options;
  ca_options.data_dir = data_dir;
  w->ca = take(pki::EmbeddedCa::load_or_create(ca_options), "embedded CA");
  w->tokens =
      take(auth::EmbeddedTokenMinter::load_or_create(data_dir, "dps", std::chrono::hours(1)),
           "token minter");
  const auto identity =
      take(pki::load_or_create_server_identity(*w->ca, data_dir, "", ""), "server identity");

  w->group_id = kGroupId;
  w->catalogs = std::make_unique<provisioning::CatalogHolder>(
      bench_catalog(take(pki::read_file(mfg.chain), "chain.pem")));
  w->router = std::make_unique<provisioning::Router>(
      provisioning::Services{w->ca.get(), w->tokens.get(), {}, nullptr, nullptr});
  w->server_tls =
      take(net::make_device_tls_context({identity.cert_chain_pem, identity.key_pem}, *w->catalogs),
           "server TLS context");
  w->server_chain_pem = identity.cert_chain_pem;
  w->server_key_pem = identity.key_pem;
  w->group_root_pem = take(pki::read_file(mfg.root), "root.pem");

  w->device_chain_pem = take(pki::read_file(mfg.device_cert), "device.pem");
  const auto device_key_pem = take(pki::read_file(mfg.device_key), "device.key");
  w->device_chain = take(pki::parse_certificates_pem(w->device_chain_pem), "device chain");
  w->device_tls13 = device_tls(w->device_chain_pem, device_key_pem, w->ca->root_pem(), false);
  w->device_tls12 = device_tls(w->device_chain_pem, device_key_pem, w->ca->root_pem(), true);

  // What net/tls_context.cpp's verify callback fills in for this device.
  X509* leaf = w->device_chain.front().get();
  w->peer.enrollment_group_id = kGroupId;
  w->peer.registration_id = pki::registration_id(leaf);
  w->peer.common_name = pki::common_name(X509_get_subject_name(leaf));
  w->peer.leaf_pem = take(pki::to_pem(leaf), "device leaf PEM");

  w->device_id = device::random_uuid();
  w->csr = take(device::make_device_csr(w->device_id), "device CSR");
  return w;
}

}  // namespace

World& world() {
  static const std::unique_ptr<World> instance = build_world();
  return *instance;
}

World* world_or_skip(benchmark::State& state) {
  try {
    return &world();
  } catch (const std::exception& e) {
    static std::string why;  // SkipWithError keeps the text past this call on older versions
    why = std::string("setup failed: ") + e.what();
    state.SkipWithError(why.c_str());
    return nullptr;
  }
}

}  // namespace dps::microbench
