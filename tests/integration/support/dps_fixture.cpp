#include "dps_fixture.hpp"

#include <fstream>
#include <sstream>

#include "device/requests.hpp"

namespace dps::itest {

namespace fs = std::filesystem;
using device::ClientTls;
using device::DeviceSession;

void DpsTest::SetUp() {
  prepare_default_spec("itest mfg");
  configure(spec_);
  start_dps();
}

void DpsTest::prepare_default_spec(const std::string& manufacturer) {
  mfg_ = make_manufacturer(manufacturer);
  spec_.data_dir = dir_.path() / "data";
  GroupSpec group;
  group.id = kGroupId;
  group.chain_file = write("mfg-chain.pem", mfg_.chain_pem());
  group.hubs = {HubSpec{kHubA, {kGatewayA}}};
  spec_.groups.push_back(group);
}

void DpsTest::TearDown() {
  if (dps_ && HasFailure()) std::cerr << dps_->log_excerpt();
  stop_dps();
}

void DpsTest::start_dps() {
  config_path_ = write("config.yaml", render_config(spec_));
  dps_ = DpsProcess::start(config_path_, dir_.path() / "dps.log", std::chrono::seconds(20),
                           spec_.http_enabled);
  std::ifstream in(spec_.data_dir / "ca.pem");
  std::ostringstream ca;
  ca << in.rdbuf();
  server_ca_pem_ = ca.str();
  ASSERT_NE(server_ca_pem_.find("BEGIN CERTIFICATE"), std::string::npos)
      << "dps did not create " << (spec_.data_dir / "ca.pem");
}

void DpsTest::stop_dps() {
  if (!dps_) return;
  const int code = dps_->stop();
  // What dps wrote while stopping (a sanitizer report, an exception) is the only clue to why.
  EXPECT_EQ(code, 0) << "dps did not exit cleanly on SIGTERM"
                     << (code < 0 ? " (ended by signal " + std::to_string(-code) + ")" : "") << "\n"
                     << dps_->log_excerpt();
  dps_.reset();
}

device::ClientTlsOptions DpsTest::tls_for(const test::TestCert& leaf, const test::TestCa* issuer,
                                          bool tls12) const {
  device::ClientTlsOptions o;
  o.cert_chain_pem = leaf.cert_pem() + (issuer ? issuer->cert_pem() : std::string());
  o.key_pem = leaf.key_pem();
  o.ca_pem = server_ca_pem_;
  o.force_tls12 = tls12;
  return o;
}

std::vector<std::shared_ptr<ClientTls>> DpsTest::device_identities(size_t count,
                                                                   const std::string& prefix,
                                                                   bool alternate_tls12) const {
  std::vector<std::shared_ptr<ClientTls>> identities;
  for (size_t i = 0; i < count; ++i) {
    test::LeafOptions leaf;
    leaf.common_name = prefix + " " + std::to_string(i);
    auto tls = ClientTls::create(tls_for(test::make_leaf(mfg_.intermediate, leaf),
                                         &mfg_.intermediate, alternate_tls12 && i % 2 == 0));
    if (!tls)
      throw std::runtime_error("device identity " + leaf.common_name + ": " + tls.error().internal);
    identities.push_back(std::move(*tls));
  }
  return identities;
}

device::ClientTlsOptions DpsTest::default_tls(bool tls12) const {
  return tls_for(mfg_.device, &mfg_.intermediate, tls12);
}

device::DeviceConfig DpsTest::device_config() const {
  device::DeviceConfig c;
  c.host = "127.0.0.1";
  c.port = dps_ ? dps_->port() : 0;
  c.connect_timeout = std::chrono::seconds(10);
  c.step_timeout = std::chrono::seconds(10);
  return c;
}

device::ProvisionResult DpsTest::provision(const device::ClientTlsOptions& tls,
                                           std::optional<device::DeviceConfig> config) {
  return device::provision_blocking(config ? *config : device_config(), tls);
}

void DpsTest::expect_server_serves() {
  const auto result = provision(default_tls());
  EXPECT_TRUE(result.ok) << "a normal device right after failed: " << result.error;
}

Result<coap::Message> DpsTest::request_once(const device::ClientTlsOptions& tls,
                                            coap::Message request) {
  auto ctx = ClientTls::create(tls);
  if (!ctx) return tl::unexpected(ctx.error());
  device::Provisioner device(device_config(), *ctx);
  return run_coro<Result<coap::Message>>([&]() -> awaitable<Result<coap::Message>> {
    auto session = co_await device.connect(device::Step::Ownership);
    if (!session) co_return tl::unexpected(session.error());
    auto response = co_await (*session)->request(std::move(request));
    co_await (*session)->close();
    co_return response;
  });
}

std::vector<std::string> DpsTest::provision_args(const std::string& ca_file) const {
  return {dps_device_binary().string(),
          "provision",
          "--server",
          "127.0.0.1:" + std::to_string(dps_->port()),
          "--cert",
          write("device.pem", mfg_.device.cert_pem() + mfg_.intermediate.cert_pem()).string(),
          "--key",
          write("device.key", mfg_.device.key_pem()).string(),
          "--ca",
          ca_file};
}

bool DpsTest::handshake_refused(const device::ClientTlsOptions& tls, std::string* why) {
  auto response = request_once(tls, device::make_time_request());
  if (why)
    *why = response ? "answered " + coap::to_string(response->code) : response.error().internal;
  return !response;
}

std::vector<nlohmann::json> DpsTest::records() {
  const auto out =
      run_process({dps_binary().string(), "--config", config_path_.string(), "records"});
  EXPECT_EQ(out.exit_code, 0) << out.err;
  std::vector<nlohmann::json> list;
  std::istringstream lines(out.out);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) continue;
    auto j = nlohmann::json::parse(line, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << "not JSON: " << line;
    if (!j.is_discarded()) list.push_back(std::move(j));
  }
  return list;
}

std::optional<nlohmann::json> DpsTest::record_of(const std::string& device_id) {
  for (auto& r : records()) {
    if (r.value("deviceId", "") == device_id) return r;
  }
  return std::nullopt;
}

}  // namespace dps::itest
