#include "device/fleet.hpp"

#include <algorithm>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <mutex>
#include <random>
#include <thread>

#include "device/device_session.hpp"
#include "device/provisioner.hpp"
#include "device/requests.hpp"

namespace dps::device {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

constexpr Step kSteps[] = {Step::Time, Step::Ownership, Step::CloudConfiguration, Step::Credentials,
                           Step::Acls};

// Named apart from provisioner.cpp's micros_since: both land in one unity batch.
int64_t fleet_micros_since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count();
}

asio::awaitable<StepOutcome> run_step(Provisioner& device, Step step, DeviceSession& session) {
  switch (step) {
    case Step::Time:
      co_return co_await device.time(session);
    case Step::Ownership:
      co_return co_await device.ownership(session);
    case Step::CloudConfiguration:
      co_return co_await device.cloud_configuration(session);
    case Step::Credentials:
      co_return co_await device.credentials(session);
    case Step::Acls:
      co_return co_await device.acls(session);
    case Step::PreConfiguration:
      co_return co_await device.pre_configuration(session);
    case Step::TpmChallenge:
    case Step::TpmActivation:
      break;  // a TPM device's flow is run_fleet's `flow` (it needs the device's TPM)
  }
  co_return StepOutcome{step, false, coap::Code::Empty, {}, 0, "unknown step"};
}

// One device from first connection to success or giving up.
class DeviceRunner {
 public:
  DeviceRunner(const FleetOptions& options, std::shared_ptr<ClientTls> tls, size_t index,
               DeviceRun& run)
      : options_(options), tls_(std::move(tls)), index_(index), run_(run), random_(index) {}

  asio::awaitable<void> run() {
    DeviceConfig config = options_.device;
    // One identity across restarts: a rebooted device keeps its di (its certificate's, as a
    // Provisioner would choose; dps pins it to the device's record).
    if (config.device_id.empty() && tls_) config.device_id = tls_->default_device_id();
    if (config.device_id.empty()) config.device_id = random_uuid();
    run_.device_id = config.device_id;
    const auto start = Clock::now();
    for (;;) {
      Provisioner device(config, tls_);
      std::string error = co_await provision_once(device);
      run_.total_us = fleet_micros_since(start);
      if (error.empty()) {
        run_.ok = true;
        run_.error.clear();
        co_return;
      }
      run_.error = std::move(error);
      if (run_.restarts == options_.max_restarts) co_return;
      ++run_.restarts;
      co_await pause();
    }
  }

 private:
  // The five steps on the device's two sessions; "" on success, else why it restarts.
  asio::awaitable<std::string> provision_once(Provisioner& device) {
    std::unique_ptr<DeviceSession> session;
    for (Step step : kSteps) {
      unsigned transient_in_a_row = 0;
      for (;;) {
        StepOutcome outcome = co_await attempt(device, step, session);
        run_.answers.push_back(outcome);
        if (outcome.ok) {
          run_.acknowledged.push_back(step);
          consecutive_failures_ = 0;
          break;
        }
        if (session) co_await session->close();
        session.reset();
        const std::string why = std::string(to_string(step)) + ": " + outcome.error;
        if (!is_transient(outcome)) co_return why;
        if (++transient_in_a_row > options_.same_step_retries) co_return why;
        ++run_.retries;
        co_await pause();
      }
      // The time step runs on a session of its own (dates unchecked); the others share one.
      if (step == Step::Time && session) {
        co_await session->close();
        session.reset();
      }
    }
    if (session) co_await session->close();
    co_return std::string{};
  }

  asio::awaitable<StepOutcome> attempt(Provisioner& device, Step step,
                                       std::unique_ptr<DeviceSession>& session) {
    if (!session) {
      const auto servers = options_.servers();
      const ServerAddress& server = servers.at((index_ + connections_++) % servers.size());
      device.set_server(server.host, server.port);
      auto connected = co_await device.connect(step);
      if (!connected) {
        co_return StepOutcome{step, false, coap::Code::Empty,
                              {},   0,     "connect: " + connected.error().internal};
      }
      session = std::move(*connected);
    }
    co_return co_await run_step(device, step, *session);
  }

  // t/2 + random(t/2), t doubling from retry_delay up to 12x (device-protocol §3.7's 10 s ..
  // 120 s, scaled).
  asio::awaitable<void> pause() {
    const int64_t base = options_.retry_delay.count();
    const int64_t t =
        base * std::min<int64_t>(int64_t{1} << std::min(consecutive_failures_, 4u), 12);
    ++consecutive_failures_;
    std::uniform_int_distribution<int64_t> jitter(0, std::max<int64_t>(t / 2, 0));
    asio::steady_timer timer(co_await asio::this_coro::executor,
                             std::chrono::milliseconds(t / 2 + jitter(random_)));
    co_await timer.async_wait(asio::use_awaitable);
  }

  const FleetOptions& options_;
  std::shared_ptr<ClientTls> tls_;
  size_t index_;
  DeviceRun& run_;
  std::mt19937_64 random_;
  size_t connections_ = 0;
  unsigned consecutive_failures_ = 0;
};

}  // namespace

bool is_transient(const StepOutcome& outcome) {
  return outcome.code == coap::Code::Empty || outcome.code == coap::Code::ServiceUnavailable ||
         outcome.code == coap::Code::GatewayTimeout;
}

size_t FleetResult::succeeded() const {
  return static_cast<size_t>(
      std::count_if(devices.begin(), devices.end(), [](const DeviceRun& d) { return d.ok; }));
}

namespace {

// `concurrency` workers on `threads` I/O threads, each taking the next device when its previous
// one is done, started no faster than start_rate; `run_device(i, run)` runs device i.
template <class RunDevice>
FleetResult run_workers(const FleetOptions& options, unsigned threads, RunDevice run_device) {
  FleetResult result;
  result.devices.resize(options.devices);
  asio::io_context io;
  std::atomic<size_t> next{0};
  std::mutex progress_mutex;
  size_t finished = 0;
  size_t failed = 0;
  const auto start = Clock::now();

  auto worker = [&]() -> asio::awaitable<void> {
    asio::steady_timer pace(co_await asio::this_coro::executor);
    for (size_t i = next++; i < options.devices; i = next++) {
      if (options.start_rate > 0) {
        pace.expires_at(start +
                        std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
                            static_cast<double>(i) / options.start_rate)));
        boost::system::error_code ignored;
        co_await pace.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
      }
      co_await run_device(i, result.devices[i]);
      std::lock_guard lock(progress_mutex);
      ++finished;
      if (!result.devices[i].ok) ++failed;
      if (options.on_device_done) options.on_device_done(finished, failed);
    }
  };
  const size_t workers =
      std::clamp<size_t>(options.concurrency, 1, std::max<size_t>(1, options.devices));
  for (size_t w = 0; w < workers; ++w) {
    asio::co_spawn(asio::make_strand(io), worker, asio::detached);
  }
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < std::max(1u, threads); ++t) pool.emplace_back([&io] { io.run(); });
  io.run();
  for (auto& thread : pool) thread.join();
  result.wall_us = fleet_micros_since(start);
  return result;
}

}  // namespace

FleetResult run_fleet(const FleetOptions& options,
                      const std::vector<std::shared_ptr<ClientTls>>& identities, unsigned threads) {
  return run_workers(options, threads, [&](size_t i, DeviceRun& run) -> asio::awaitable<void> {
    DeviceRunner runner(options, identities.at(i % identities.size()), i, run);
    co_await runner.run();
  });
}

FleetResult run_fleet(const FleetOptions& options, const DeviceFlow& flow, unsigned threads) {
  return run_workers(options, threads, [&](size_t i, DeviceRun& run) -> asio::awaitable<void> {
    const auto servers = options.servers();
    co_await flow(i, servers.at(i % servers.size()), run);
  });
}

}  // namespace dps::device
