// Individual enrollments against a running dps, on SQLite and on PostgreSQL (issue 14): one
// device enrolled on its own admits a device no group admits, refuses one its owner's group
// admits, routes one to another hub; and, owner B hostile, another owner's individual enrollment
// can neither take nor deny a device that owner A's group admits.
#include <atomic>

#include "pki/uuid.hpp"
#include "support/api_fixture.hpp"
#include "support/postgres_server.hpp"

namespace dps::itest {
namespace {

using nlohmann::json;

enum class Store { Sqlite, Postgres };

constexpr const char* kIndividualPath = "/api/v1/individual-enrollments";
constexpr const char* kOtherGateway = "coaps+tcp://other-hub.example.com:5684";

class IndividualEnrollment : public ApiTest, public ::testing::WithParamInterface<Store> {
 protected:
  void configure(DpsConfigSpec& spec) override {
    ApiTest::configure(spec);
    if (GetParam() == Store::Postgres) {
      static std::atomic<int> databases{0};
      spec.postgres_uri = test::shared_postgres_server().create_database(
          "individual_" + std::to_string(databases++));
    }
  }

  static json enrollment_body(const test::TestCert& device, const std::string& hub_id,
                              bool disabled = false) {
    json body{{"name", "one device"},
              {"attestationMechanism", {{"x509", {{"certificate", device.cert_pem()}}}}},
              {"disabled", disabled}};
    if (!hub_id.empty()) body["hubIds"] = {hub_id};
    return body;
  }

  std::vector<json> records_of(const std::string& owner) {
    return list(kRecordsPath, token_of(owner));
  }
};

std::string store_name(const ::testing::TestParamInfo<Store>& info) {
  return info.param == Store::Sqlite ? "Sqlite" : "Postgres";
}

TEST_P(IndividualEnrollment, AdmitsADeviceNoGroupAdmitsAndTheRecordSaysWhich) {
  create(kHubsPath, hub_body(kApiHub), kOwnerA);
  // A self-signed device: no group could ever admit it.
  const test::TestCert loner = test::make_self_signed_leaf();
  std::string why;
  EXPECT_TRUE(handshake_refused(tls_for(loner, nullptr), &why)) << "not enrolled yet: " << why;
  EXPECT_NE(why.find("no enrollment"), std::string::npos) << why;

  const json created = create(kIndividualPath, enrollment_body(loner, kApiHub), kOwnerA);
  const auto device = provision(tls_for(loner, nullptr));
  ASSERT_TRUE(device.ok) << device.error;
  EXPECT_EQ(device.hub.cis, kLocalGateway);
  EXPECT_EQ(device.owner_uuid.empty(), false);
  const auto records = records_of(kOwnerA);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].value("individualEnrollmentId", ""), created.value("id", ""));
  EXPECT_FALSE(records[0].contains("enrollmentGroupId")) << records[0].dump();
  EXPECT_TRUE(records_of(kOwnerB).empty());
}

TEST_P(IndividualEnrollment, DisabledRefusesADeviceItsOwnersGroupAdmitsUntilDeleted) {
  enroll_api_mfg(kOwnerA);
  const test::TestCert denied = api_mfg_leaf("uuid:" + pki::random_uuid_v4().to_string());
  const test::TestCert sibling = api_mfg_leaf("uuid:" + pki::random_uuid_v4().to_string());
  const json deny =
      create(kIndividualPath, enrollment_body(denied, "", /*disabled=*/true), kOwnerA);

  std::string why;
  EXPECT_TRUE(handshake_refused(tls_for(denied, &api_mfg_.intermediate), &why)) << why;
  EXPECT_NE(why.find("disabled"), std::string::npos) << "the device is told why: " << why;
  // The rest of the group is untouched.
  const auto other = provision(tls_for(sibling, &api_mfg_.intermediate));
  EXPECT_TRUE(other.ok) << other.error;

  const auto removed =
      call(Verb::delete_, std::string(kIndividualPath) + "?idFilter=" + deny.value("id", ""),
           token_of(kOwnerA));
  ASSERT_EQ(removed.status, 200u) << removed.body;
  const auto back = provision(tls_for(denied, &api_mfg_.intermediate));
  EXPECT_TRUE(back.ok) << "the group admits it again at the next connection: " << back.error;
}

TEST_P(IndividualEnrollment, RoutesOneDeviceOfAGroupToAnotherHub) {
  enroll_api_mfg(kOwnerA);
  create(kHubsPath, hub_body(kApiHub2, kOtherGateway), kOwnerA);
  const test::TestCert routed = api_mfg_leaf("uuid:" + pki::random_uuid_v4().to_string());
  const json own = create(kIndividualPath, enrollment_body(routed, kApiHub2), kOwnerA);

  const auto device = provision(tls_for(routed, &api_mfg_.intermediate));
  ASSERT_TRUE(device.ok) << device.error;
  EXPECT_EQ(device.hub.cis, kOtherGateway);
  const auto grouped = provision(api_mfg_tls());
  ASSERT_TRUE(grouped.ok) << grouped.error;
  EXPECT_EQ(grouped.hub.cis, kLocalGateway);
  for (const json& record : records_of(kOwnerA)) {
    if (record.value("deviceId", "") == device.device_id) {
      EXPECT_EQ(record.value("individualEnrollmentId", ""), own.value("id", ""));
    } else {
      EXPECT_FALSE(record.value("enrollmentGroupId", "").empty()) << record.dump();
    }
  }
}

TEST_P(IndividualEnrollment, AnotherOwnersCannotTakeOrDenyADeviceAGroupAdmits) {
  const json group_a = enroll_api_mfg(kOwnerA);
  create(kHubsPath, hub_body(kApiHub, kOtherGateway), kOwnerB);
  const test::TestCert target = api_mfg_leaf("uuid:" + pki::random_uuid_v4().to_string());
  // B knows the device's certificate (it is public) and enrolls it: to its own hub...
  const json taken = create(kIndividualPath, enrollment_body(target, kApiHub), kOwnerB);
  auto device = provision(tls_for(target, &api_mfg_.intermediate));
  ASSERT_TRUE(device.ok) << device.error;
  EXPECT_EQ(device.hub.cis, kLocalGateway) << "A's hub, not B's";
  // ...or to refuse it.
  json deny = enrollment_body(target, "", /*disabled=*/true);
  const auto updated = call(Verb::put, std::string(kIndividualPath) + "/" + taken.value("id", ""),
                            token_of(kOwnerB), deny.dump());
  ASSERT_EQ(updated.status, 200u) << updated.body;
  device = provision(tls_for(target, &api_mfg_.intermediate));
  EXPECT_TRUE(device.ok) << "B denied A's device: " << device.error;

  // The device stays A's: its record is A's alone, and names A's group.
  const auto records_a = records_of(kOwnerA);
  ASSERT_EQ(records_a.size(), 1u);
  EXPECT_EQ(records_a[0].value("enrollmentGroupId", ""), group_a.value("id", ""));
  EXPECT_TRUE(records_of(kOwnerB).empty());
  EXPECT_NE(dps_->log().find("of another owner names this device"), std::string::npos);
}

TEST_P(IndividualEnrollment, AnExpiredDeviceCertificateIsRefused) {
  create(kHubsPath, hub_body(kApiHub), kOwnerA);
  const test::TestCert expired =
      test::make_self_signed_leaf({.validity = {-std::chrono::hours(48), -std::chrono::hours(24)}});
  create(kIndividualPath, enrollment_body(expired, kApiHub), kOwnerA);
  std::string why;
  EXPECT_TRUE(handshake_refused(tls_for(expired, nullptr), &why)) << why;
  EXPECT_NE(why.find("expired"), std::string::npos) << why;
  expect_server_serves();
}

INSTANTIATE_TEST_SUITE_P(Backends, IndividualEnrollment,
                         ::testing::Values(Store::Sqlite, Store::Postgres), store_name);

}  // namespace
}  // namespace dps::itest
