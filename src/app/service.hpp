// The composition root: turns a validated Config into a running service (store, CA, token
// minting, catalog, router, device listener). Executables stay thin mains around it.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/signal_set.hpp>
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>

#include "common/result.hpp"
#include "config/config.hpp"

namespace dps::app {

class Service {
 public:
  /// Creates the data directory, opens the store, upserts the config's groups and hubs, loads or
  /// creates the CA, server certificate and token key, and binds the device port. Any failure is
  /// a one-line message naming what failed.
  [[nodiscard]] static Result<std::unique_ptr<Service>> start(const config::Config& config);
  ~Service();

  boost::asio::ip::tcp::endpoint device_endpoint() const;
  /// CoAP over UDP+DTLS's address, when apis.coap.protocols has udp.
  std::optional<boost::asio::ip::udp::endpoint> udp_endpoint() const;
  /// The management API's address, when apis.http.enabled.
  std::optional<boost::asio::ip::tcp::endpoint> api_endpoint() const;
  /// <dataDirectory>/admin.token, when the API and apis.http.adminToken are enabled.
  std::optional<std::filesystem::path> admin_token_file() const;
  /// How long a signal lets open device sessions finish (a step under way is completed and
  /// answered) before the rest are closed; new connections are refused from the signal on.
  static constexpr std::chrono::milliseconds kShutdownGrace{2000};
  /// From now on SIGINT and SIGTERM stop the service (also when they arrive before run()), after
  /// kShutdownGrace at most.
  void stop_on_signals();
  /// Serves until stop().
  void run();
  void stop();

  struct Parts;

 private:
  explicit Service(std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> parts_;
  std::unique_ptr<boost::asio::signal_set> signals_;
};

}  // namespace dps::app
