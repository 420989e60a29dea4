// GoogleTest fixture: a fresh manufacturer PKI, a dps process of its own (port 0, temp data
// directory) and helpers to drive devices against it. Each test owns all of its data.
#pragma once

#include <gtest/gtest.h>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>

#include "device/device_session.hpp"
#include "device/provisioner.hpp"
#include "dps_config.hpp"
#include "dps_process.hpp"

namespace dps::itest {

template <class T>
using awaitable = boost::asio::awaitable<T>;

/// Runs a coroutine to completion on a private io_context (`guard` bounds a hang).
template <class T>
T run_coro(const std::function<awaitable<T>()>& make,
           std::chrono::seconds guard = std::chrono::seconds(45)) {
  boost::asio::io_context io;
  std::optional<T> out;
  std::exception_ptr error;
  boost::asio::co_spawn(io, make(), [&](std::exception_ptr e, T value) {
    if (e)
      error = e;
    else
      out = std::move(value);
  });
  io.run_for(guard);
  if (error) std::rethrow_exception(error);
  if (!out) throw std::runtime_error("coroutine did not finish in time");
  return std::move(*out);
}

/// Test-name suffix of suites parametrised on "force TLS 1.2".
inline std::string tls_version_name(const ::testing::TestParamInfo<bool>& p) {
  return p.param ? "Tls12" : "Tls13";
}

inline constexpr const char* kGroupId = "e0e0e0e0-0000-4000-8000-000000000001";

class DpsTest : public ::testing::Test {
 protected:
  void SetUp() override;
  /// A fresh manufacturer PKI named `manufacturer` and spec_ with one enrollment group
  /// (kGroupId, trusting it, hub kHubA): what SetUp() starts dps with.
  void prepare_default_spec(const std::string& manufacturer);
  void TearDown() override;
  /// Adjusts the config before dps starts (the default: one group of mfg_, hub A).
  virtual void configure(DpsConfigSpec& /*spec*/) {}

  void start_dps();
  /// SIGTERM; expects a clean exit.
  void stop_dps();

  /// TLS options of a device presenting `leaf` (+ `issuer` as intermediate when given).
  /// `count` device identities, each a leaf of its own under mfg_'s intermediate (so a record of
  /// its own), named "<prefix> <i>"; with `alternate_tls12` the even ones force TLS 1.2.
  /// Throws std::runtime_error when a context cannot be built.
  std::vector<std::shared_ptr<device::ClientTls>> device_identities(
      size_t count, const std::string& prefix, bool alternate_tls12 = false) const;
  device::ClientTlsOptions tls_for(const test::TestCert& leaf, const test::TestCa* issuer,
                                   bool tls12 = false) const;
  /// mfg_.device with its intermediate.
  device::ClientTlsOptions default_tls(bool tls12 = false) const;
  device::DeviceConfig device_config() const;

  device::ProvisionResult provision(const device::ClientTlsOptions& tls,
                                    std::optional<device::DeviceConfig> config = std::nullopt);
  /// A fresh normal device provisions fully (the server is still serving).
  void expect_server_serves();
  /// Connects a provisioning session and sends one request; the response or why none came.
  Result<coap::Message> request_once(const device::ClientTlsOptions& tls, coap::Message request);
  /// Connect + (for TLS 1.3, where the client finishes first) one request: true if refused.
  bool handshake_refused(const device::ClientTlsOptions& tls, std::string* why = nullptr);

  /// `dps-device provision` at this dps as mfg_.device (with its intermediate), trusting
  /// `ca_file`: the command line the dps-device tests start from.
  std::vector<std::string> provision_args(const std::string& ca_file) const;

  /// `dps --config <config> records`, one JSON object per line.
  std::vector<nlohmann::json> records();
  std::optional<nlohmann::json> record_of(const std::string& device_id);

  std::filesystem::path write(const std::string& name, const std::string& content) const {
    return dir_.write(name, content);
  }

  test::TempDir dir_;
  Manufacturer mfg_;
  DpsConfigSpec spec_;
  std::filesystem::path config_path_;
  std::unique_ptr<DpsProcess> dps_;
  std::string server_ca_pem_;
};

}  // namespace dps::itest
