// A refused device's record keeps the refusal for its owner (issue 15, "Refusals explain
// themselves, safely"): the enrollment that refused it names the stage and the reason in the
// record's attestation status (the API's OCF view), no other owner sees anything, a device no
// group names gets no record, and the device itself is told no more than before.
#include <chrono>
#include <thread>

#include "pki/uuid.hpp"
#include "pki/x509_util.hpp"
#include "support/api_fixture.hpp"

namespace dps::itest {
namespace {

using nlohmann::json;

class RefusalRecord : public ApiTest {
 protected:
  void SetUp() override {
    ApiTest::SetUp();
    if (HasFatalFailure()) return;
    group_ = enroll_api_mfg(kOwnerA)["id"];
    registration_ = pki::registration_id(api_mfg_.device.get());
  }

  std::vector<json> records_of(const std::string& owner) const {
    return list(std::string(kRecordsPath) + "?view=ocf", token_of(owner));
  }

  /// The record `registration_` of `owner` once its attestation status says `error`; the
  /// refusal is stored without the device waiting for it, so it may land just after the Abort.
  std::optional<json> wait_for_refusal(const std::string& owner, const std::string& error) const {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    std::optional<json> last;
    while (std::chrono::steady_clock::now() < deadline) {
      for (const auto& record : records_of(owner)) {
        if (record.value("id", "") != registration_) continue;
        last = record;
        if (record["attestation"]["status"].value("errorMessage", "") == error) return record;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ADD_FAILURE() << "no record of " << registration_ << " with \"" << error
                  << "\"; last seen: " << (last ? last->dump() : "none");
    return std::nullopt;
  }

  std::string group_;
  std::string registration_;
};

TEST_F(RefusalRecord, ADisabledGroupsOwnerSeesTheRefusalAndNoOneElseDoes) {
  put_group(group_, {{"disabled", true}});
  const auto result = provision(api_mfg_tls());
  ASSERT_FALSE(result.ok);
  EXPECT_EQ(result.connect_failure, device::ConnectFailure::Refused) << result.error;
  EXPECT_NE(result.error.find("refused: enrollment group disabled"), std::string::npos)
      << result.error;
  EXPECT_EQ(result.error.find(group_), std::string::npos) << "the device is told no ids";

  const auto record =
      wait_for_refusal(kOwnerA, "refused at admission: disabled (enrollment group " + group_ + ")");
  ASSERT_TRUE(record);
  EXPECT_EQ((*record)["attestation"]["status"]["coapCode"], 0);
  EXPECT_EQ((*record)["enrollmentGroupId"], group_);
  EXPECT_EQ((*record)["attestation"]["x509"]["commonName"],
            pki::common_name(X509_get_subject_name(api_mfg_.device.get())));
  EXPECT_TRUE(records_of(kOwnerB).empty()) << "another owner sees nothing";
}

TEST_F(RefusalRecord, ARevokedDevicesRecordKeepsItsEarlierProvisioningAndTheRefusal) {
  const auto before = provision(api_mfg_tls());
  ASSERT_TRUE(before.ok) << before.error;
  const std::string serial = pki::serial_hex(api_mfg_.device.get());
  put_group(group_, {{"revokedCertificates", {serial}}});
  const auto result = provision(api_mfg_tls());
  ASSERT_FALSE(result.ok);
  EXPECT_NE(result.error.find("refused: certificate revoked"), std::string::npos) << result.error;

  const auto record = wait_for_refusal(kOwnerA, "refused at admission: revoked (enrollment group " +
                                                    group_ + ": serial " + serial + " is revoked)");
  ASSERT_TRUE(record);
  for (const char* section : {"plgdTime", "ownership", "cloud", "credential", "acl"}) {
    ASSERT_TRUE(record->contains(section)) << section << " of the earlier provisioning";
    EXPECT_FALSE((*record)[section]["status"].contains("errorMessage")) << section;
  }
  EXPECT_EQ((*record)["deviceId"], before.device_id) << "the device id stays pinned";
  EXPECT_TRUE(records_of(kOwnerB).empty());
}

TEST_F(RefusalRecord, ADeviceNoGroupNamesCreatesNoRecord) {
  const auto stranger = make_manufacturer("itest stranger manufacturer");
  const auto unknown = provision(tls_for(stranger.device, &stranger.intermediate));
  ASSERT_FALSE(unknown.ok);
  EXPECT_EQ(unknown.connect_failure, device::ConnectFailure::Refused) << unknown.error;
  // A refusal that is stored, after the stranger's: once it is there, the stranger's would be.
  put_group(group_, {{"disabled", true}});
  ASSERT_FALSE(provision(api_mfg_tls()).ok);
  ASSERT_TRUE(wait_for_refusal(kOwnerA,
                               "refused at admission: disabled (enrollment group " + group_ + ")"));
  EXPECT_EQ(records_of(kOwnerA).size(), 1u);
  EXPECT_TRUE(records_of(kOwnerB).empty());
}

TEST_F(RefusalRecord, DpsDevicePrintsTheAbortAndWhereTheOwnerSeesWhy) {
  put_group(group_, {{"disabled", true}});
  const auto out = run_process(
      {dps_device_binary().string(), "provision", "--server",
       "127.0.0.1:" + std::to_string(dps_->port()), "--cert",
       write("device.pem", api_mfg_.device.cert_pem() + api_mfg_.intermediate.cert_pem()).string(),
       "--key", write("device.key", api_mfg_.device.key_pem()).string(), "--ca",
       (spec_.data_dir / "ca.pem").string()});
  EXPECT_EQ(out.exit_code, 1) << out.out << out.err;
  EXPECT_NE(out.out.find("FAILED at step connect: connect: the server refused the device: "
                         "refused: enrollment group disabled"),
            std::string::npos)
      << out.out;
  EXPECT_NE(out.out.find("likely cause: the device's owner sees why in `dpsctl records list --id " +
                         registration_ + "`"),
            std::string::npos)
      << out.out;
}

}  // namespace
}  // namespace dps::itest
