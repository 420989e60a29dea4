// The dps process itself: readiness line, data directory, clean exit on SIGTERM at any time.
#include "support/dps_fixture.hpp"

namespace dps::itest {
namespace {

class Lifecycle : public DpsTest {};

TEST_F(Lifecycle, CreatesTheCaDevicesTrust) {
  expect_server_serves();
  EXPECT_TRUE(std::filesystem::exists(spec_.data_dir / "ca.pem"));
  EXPECT_NE(dps_->port(), 0);
}

TEST_F(Lifecycle, SigtermRightAfterTheReadyLineExitsCleanly) {
  // Scripts stop dps as soon as it reports ready: the line must not come before SIGTERM is
  // handled.
  stop_dps();  // expects exit code 0
}

TEST_F(Lifecycle, SigtermAfterServingExitsCleanly) {
  expect_server_serves();
  stop_dps();
}

TEST_F(Lifecycle, RestartKeepsTheCaAndRecords) {
  const auto first = provision(default_tls());
  ASSERT_TRUE(first.ok) << first.error;
  const std::string ca_before = server_ca_pem_;
  stop_dps();
  start_dps();
  EXPECT_EQ(server_ca_pem_, ca_before);
  EXPECT_TRUE(record_of(first.device_id)) << "record lost across restart";
  expect_server_serves();
}

}  // namespace
}  // namespace dps::itest
