// An enrollment group whose hub no longer exists (deleted behind the service's back): the
// cloud-configuration step answers 4.00 (device-protocol §3.7, "unknown hub"), other groups still
// provision.
#include <sqlite3.h>

#include "device/requests.hpp"
#include "support/dps_fixture.hpp"

namespace dps::itest {
namespace {

constexpr const char* kOrphanGroupId = "e0e0e0e0-0000-4000-8000-000000000003";
constexpr const char* kGoneHub = "c3c3c3c3-0000-4000-8000-000000000003";

class MissingHub : public DpsTest {
 protected:
  void configure(DpsConfigSpec& spec) override {
    orphan_ = make_manufacturer("itest orphan mfg");
    GroupSpec group;
    group.id = kOrphanGroupId;
    group.chain_file = write("orphan-chain.pem", orphan_.chain_pem());
    group.hubs = {HubSpec{kGoneHub, {"coaps+tcp://gone.example.com:5684"}}};
    spec.groups.push_back(group);
  }

  /// Stops dps, deletes the orphan group's hub from the database and restarts dps on a config
  /// that no longer mentions that group (so nothing upserts the hub back).
  void delete_hub_and_restart() {
    expect_server_serves();  // also makes sure dps is past startup before it is stopped
    stop_dps();
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((spec_.data_dir / "dps.db").c_str(), &db), SQLITE_OK);
    const std::string sql = std::string("DELETE FROM hubs WHERE hub_id = '") + kGoneHub + "'";
    char* error = nullptr;
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
    const int deleted = sqlite3_changes(db);
    sqlite3_free(error);
    sqlite3_close(db);
    ASSERT_EQ(rc, SQLITE_OK);
    ASSERT_EQ(deleted, 1);
    spec_.groups.pop_back();
    start_dps();
  }

  Manufacturer orphan_;
};

TEST_F(MissingHub, CloudConfigurationIsBadRequest) {
  delete_hub_and_restart();
  const auto tls = tls_for(orphan_.device, &orphan_.intermediate);
  auto ownership = request_once(tls, device::make_ownership_request());
  ASSERT_TRUE(ownership) << ownership.error().internal;
  EXPECT_EQ(coap::to_string(ownership->code), "2.05") << "the group itself still exists";
  auto response = request_once(
      tls, device::make_cloud_configuration_request(device::random_uuid(), std::nullopt));
  ASSERT_TRUE(response) << response.error().internal;
  EXPECT_EQ(coap::to_string(response->code), "4.00") << response->payload_text();
  expect_server_serves();
}

}  // namespace
}  // namespace dps::itest
