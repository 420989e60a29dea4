// Many devices at once through the coroutine API on ONE io_context (how a load generator drives
// the client), and the renewal session a device opens later.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "support/dps_fixture.hpp"

namespace dps::itest {
namespace {

using device::Step;

class ConcurrentDevices : public DpsTest {};

TEST_F(ConcurrentDevices, TwentyDevicesProvisionAtOnceWithCompleteRecords) {
  constexpr int kDevices = 20;
  const auto contexts = device_identities(kDevices, "itest concurrent device", true);
  boost::asio::io_context io;
  std::vector<device::ProvisionResult> results(kDevices);
  for (int i = 0; i < kDevices; ++i) {
    boost::asio::co_spawn(io, device::provision(device_config(), contexts[i]),
                          [&results, i](std::exception_ptr e, device::ProvisionResult r) {
                            if (e) r.error = "exception";
                            results[i] = std::move(r);
                          });
  }
  io.run_for(std::chrono::seconds(40));
  for (const auto& r : results) EXPECT_TRUE(r.ok) << r.device_id << ": " << r.error;

  const auto all = records();
  for (const auto& r : results) {
    const auto it = std::find_if(all.begin(), all.end(), [&](const auto& rec) {
      return rec.value("deviceId", "") == r.device_id;
    });
    ASSERT_NE(it, all.end()) << "no record for " << r.device_id;
    for (const char* s : {"attestation", "plgdTime", "ownership", "cloud", "credential", "acl"}) {
      EXPECT_TRUE(it->contains(s)) << r.device_id << " lacks " << s;
    }
  }
}

TEST_F(ConcurrentDevices, RenewalSessionRunsOnlyTheCredentialsStep) {
  auto tls = device::ClientTls::create(default_tls(true));
  ASSERT_TRUE(tls);
  device::Provisioner device(device_config(), *tls);
  const auto ok = run_coro<bool>([&]() -> awaitable<bool> {
    auto first = co_await device.run();
    if (!first.ok) co_return false;
    auto session = co_await device.connect(Step::Credentials);  // a third session, later
    if (!session) co_return false;
    auto renewal = co_await device.credentials(**session);
    co_await (*session)->close();
    co_return renewal.ok;
  });
  EXPECT_TRUE(ok) << device.result().error;
  EXPECT_EQ(device.result().steps.size(), 6u);
}

}  // namespace
}  // namespace dps::itest
