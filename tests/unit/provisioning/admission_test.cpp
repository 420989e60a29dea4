// provisioning::admit: which enrollment admits a device once the handshake's group verdict and
// the device's individual enrollment (any owner's) are known. The rules protect owners from each
// other: another owner's individual enrollment neither takes nor refuses a device a group admits.
#include "provisioning/admission.hpp"

#include <gtest/gtest.h>

#include "pki/x509_util.hpp"
#include "provisioning/catalog.hpp"
#include "support/test_pki.hpp"

namespace dps::provisioning {
namespace {

using namespace std::chrono_literals;
using Kind = pki::TrustGroupIndex::RefusalKind;

class Admit : public ::testing::Test {
 protected:
  Admit() {
    store::EnrollmentGroup group;
    group.id = "group-a";
    group.owner = "alice";
    group.name = "line A";
    group.x509.certificate_chain = ca_.chain_pem();
    group.hub_ids = {"hub-a"};
    catalog_ = Catalog::build({group}, {});
  }

  static store::IndividualEnrollment individual(const std::string& owner, bool disabled = false) {
    store::IndividualEnrollment e;
    e.id = "individual-" + owner;
    e.owner = owner;
    e.name = "one device";
    e.public_key_sha256 = std::string(64, 'a');
    e.hub_ids = {"hub-" + owner};
    e.disabled = disabled;
    return e;
  }

  static GroupVerdict admitted_by_group() { return {"group-a", {}, {}, Kind::NoGroup, {}}; }
  static GroupVerdict no_group() {
    return {{}, "no enrollment group for issuer CN x", "no enrollment group", Kind::NoGroup, {}};
  }

  Admission run(const GroupVerdict& verdict, const std::optional<store::IndividualEnrollment>& e,
                LeafValidity validity = {now() - 1h, now() + 1h}) {
    return admit(peer_, verdict, *catalog_, e, validity, now());
  }
  static std::chrono::system_clock::time_point now() {
    static const auto fixed = std::chrono::system_clock::now();
    return fixed;
  }

  test::TestCa ca_ = test::make_root_ca("admission test CA");
  std::shared_ptr<const Catalog> catalog_;
  PeerIdentity peer_;
};

TEST_F(Admit, AGroupAloneAdmitsAsBefore) {
  const auto admission = run(admitted_by_group(), std::nullopt);
  EXPECT_TRUE(admission.admitted);
  EXPECT_EQ(peer_.enrollment_group_id, "group-a");
  EXPECT_EQ(peer_.individual, nullptr);
  EXPECT_EQ(enrollment_of(peer_, *catalog_)->id, "group-a");
}

TEST_F(Admit, NoGroupAndNoIndividualEnrollmentRefusesWithTheGroupsReason) {
  const auto admission = run(no_group(), std::nullopt);
  EXPECT_FALSE(admission.admitted);
  EXPECT_EQ(admission.refusal_kind, Kind::NoGroup);
  EXPECT_EQ(admission.refusal_for_device, "no enrollment group");
  EXPECT_EQ(enrollment_of(peer_, *catalog_), nullptr);
}

TEST_F(Admit, AnIndividualEnrollmentAdmitsADeviceNoGroupAdmitsWithItsOwnHubs) {
  const auto admission = run(no_group(), individual("bob"));
  ASSERT_TRUE(admission.admitted) << admission.refusal;
  ASSERT_NE(peer_.individual, nullptr);
  EXPECT_TRUE(peer_.enrollment_group_id.empty());
  const store::EnrollmentGroup* enrollment = enrollment_of(peer_, *catalog_);
  EXPECT_EQ(enrollment->id, "individual-bob");
  EXPECT_EQ(enrollment->owner, "bob");
  EXPECT_EQ(enrollment->hub_ids, std::vector<std::string>{"hub-bob"});
}

TEST_F(Admit, TheSameOwnersIndividualEnrollmentWinsOverItsGroup) {
  const auto admission = run(admitted_by_group(), individual("alice"));
  ASSERT_TRUE(admission.admitted);
  EXPECT_EQ(enrollment_of(peer_, *catalog_)->hub_ids, std::vector<std::string>{"hub-alice"});
  EXPECT_TRUE(admission.warning.empty());
}

TEST_F(Admit, ADisabledIndividualEnrollmentRefusesADeviceItsOwnersGroupAdmits) {
  const auto admission = run(admitted_by_group(), individual("alice", /*disabled=*/true));
  EXPECT_FALSE(admission.admitted);
  EXPECT_EQ(admission.refusal_kind, Kind::Disabled);
  EXPECT_NE(admission.refusal.find("individual-alice"), std::string::npos);
  EXPECT_EQ(admission.refusal_for_device.find("individual-alice"), std::string::npos)
      << "the device is not told ids";
}

TEST_F(Admit, AnotherOwnersIndividualEnrollmentNeitherTakesNorRefusesAGroupsDevice) {
  for (const bool disabled : {false, true}) {
    peer_ = {};
    const auto admission = run(admitted_by_group(), individual("mallory", disabled));
    ASSERT_TRUE(admission.admitted) << "disabled=" << disabled;
    EXPECT_EQ(peer_.enrollment_group_id, "group-a");
    EXPECT_EQ(peer_.individual, nullptr);
    EXPECT_EQ(enrollment_of(peer_, *catalog_)->owner, "alice");
    EXPECT_NE(admission.warning.find("individual-mallory"), std::string::npos);
  }
}

TEST_F(Admit, ATpmEnrollmentNeitherAdmitsNorRefusesACertificateSession) {
  // A certificate carrying an enrolled EK's public key (anyone can make one) is not that TPM.
  store::IndividualEnrollment tpm = individual("alice");
  tpm.tpm_endorsement_key = "AToAAQALAAMAsgAg";
  EXPECT_FALSE(run(no_group(), tpm).admitted);
  EXPECT_EQ(peer_.individual, nullptr);

  peer_ = {};
  tpm.disabled = true;
  const auto admission = run(admitted_by_group(), tpm);
  EXPECT_TRUE(admission.admitted) << "a disabled TPM enrollment refused a group's device";
  EXPECT_EQ(peer_.enrollment_group_id, "group-a");
  EXPECT_TRUE(admission.warning.empty());
}

TEST_F(Admit, AnIndividualEnrollmentRefusesACertificateOutsideItsValidity) {
  const auto expired = run(no_group(), individual("bob"), {now() - 2h, now() - 1h});
  EXPECT_FALSE(expired.admitted);
  EXPECT_EQ(expired.refusal_kind, Kind::Expired);
  const auto early = run(no_group(), individual("bob"), {now() + 1h, now() + 2h});
  EXPECT_FALSE(early.admitted);
  const auto unreadable = run(no_group(), individual("bob"), {});
  EXPECT_FALSE(unreadable.admitted);
}

// A refusal by an enrollment of a known owner goes to that owner's record of the device; a device
// no enrollment claims gets no record (no owner to show it to).
TEST_F(Admit, ARefusingGroupKeepsTheRefusalForItsOwnerOnly) {
  peer_.registration_id = "registration-1";
  peer_.leaf_pem = "LEAF PEM";
  peer_.common_name = "device 7";
  GroupVerdict verdict = {{},
                          "enrollment group group-a is disabled",
                          "enrollment group disabled",
                          Kind::Disabled,
                          {"group-a", Kind::Disabled, ""}};
  const auto admission = run(verdict, std::nullopt);
  ASSERT_FALSE(admission.admitted);
  EXPECT_EQ(admission.refusal_for_device, "enrollment group disabled") << "the device: as before";
  ASSERT_TRUE(admission.refusing);
  const RefusingEnrollment& by = *admission.refusing;
  EXPECT_EQ(by.owner, "alice");
  EXPECT_EQ(by.enrollment_id, "group-a");
  EXPECT_FALSE(by.individual);
  EXPECT_EQ(by.record_id, "registration-1");
  EXPECT_EQ(by.reason, "refused at admission: disabled (enrollment group group-a)");

  const auto record = refusal_record(by, 1234);
  EXPECT_EQ(record.id, "registration-1");
  EXPECT_EQ(record.owner, "alice");
  EXPECT_EQ(record.enrollment_group_id, "group-a");
  EXPECT_EQ(record.individual_enrollment_id, "");
  EXPECT_EQ(record.device_id, "") << "a refusal pins no device id";
  ASSERT_TRUE(record.attestation);
  EXPECT_EQ(record.attestation->status,
            (store::StepStatus{1234, 0,
                               "refused at admission: disabled (enrollment group "
                               "group-a)"}));
  EXPECT_EQ(record.attestation->certificate_pem, "LEAF PEM");
  EXPECT_EQ(record.attestation->common_name, "device 7");
  EXPECT_FALSE(record.plgd_time || record.ownership || record.cloud || record.credential ||
               record.acl || record.pre_configuration)
      << "an earlier provisioning's sections stay as they are";

  verdict.refused_by = {"group-a", Kind::Revoked, "serial 0A is revoked"};
  EXPECT_EQ(run(verdict, std::nullopt).refusing->reason,
            "refused at admission: revoked (enrollment group group-a: serial 0A is revoked)");
  verdict.refused_by = {"deleted-since", Kind::Disabled, ""};
  EXPECT_FALSE(run(verdict, std::nullopt).refusing) << "no such group now: no one to tell";
  EXPECT_FALSE(run(no_group(), std::nullopt).refusing) << "no enrollment claims the device";
}

TEST_F(Admit, ARefusingIndividualEnrollmentKeepsTheRefusalForItsOwner) {
  peer_.registration_id = "registration-2";
  const auto disabled = run(no_group(), individual("bob", /*disabled=*/true));
  ASSERT_TRUE(disabled.refusing);
  EXPECT_EQ(disabled.refusing->owner, "bob");
  EXPECT_EQ(disabled.refusing->enrollment_id, "individual-bob");
  EXPECT_TRUE(disabled.refusing->individual);
  EXPECT_EQ(disabled.refusing->reason,
            "refused at admission: disabled (individual enrollment individual-bob)");
  EXPECT_EQ(refusal_record(*disabled.refusing, 1).individual_enrollment_id, "individual-bob");
  const auto expired = run(no_group(), individual("bob"), {now() - 2h, now() - 1h});
  ASSERT_TRUE(expired.refusing);
  EXPECT_EQ(expired.refusing->reason.rfind("refused at admission: expired (", 0), 0u)
      << expired.refusing->reason;
}

// An identity-certificate session: the record dps keeps for the device decides.
class AdmitIdentity : public Admit {
 protected:
  AdmitIdentity() {
    identity_ = test::make_leaf(ca_, {.common_name = "uuid:" + kDevice});
    peer_.key_hash = pki::spki_sha256_hex(identity_.get());
    store::ProvisioningRecord record;
    record.id = "registration-1";
    record.owner = "alice";
    record.device_id = kDevice;
    record.enrollment_group_id = "group-a";
    record.credential.emplace();
    record.credential->identity_certificate_pem = identity_.cert_pem();
    facts_.device_id = kDevice;
    facts_.leaf_serial = pki::serial_hex(identity_.get());
    facts_.record = record;
  }

  Admission run_identity() { return admit_identity(peer_, facts_, *catalog_); }

  inline static const std::string kDevice = "2f1e0b6c-54c8-4a39-9d2e-6f0a7f3b9c11";
  test::TestCert identity_;
  IdentityFacts facts_;
};

TEST_F(AdmitIdentity, TheCurrentCertificateOfARecordedDeviceIsAdmittedAsThatRecord) {
  const auto admission = run_identity();
  ASSERT_TRUE(admission.admitted) << admission.refusal;
  EXPECT_EQ(peer_.registration_id, "registration-1");
  EXPECT_EQ(peer_.identity_device_id, kDevice);
  EXPECT_EQ(enrollment_of(peer_, *catalog_)->id, "group-a");
}

TEST_F(AdmitIdentity, ADeletedRecordRevokesTheDevice) {
  facts_.record.reset();
  const auto admission = run_identity();
  EXPECT_FALSE(admission.admitted);
  EXPECT_EQ(admission.refusal_kind, Kind::Revoked);
}

TEST_F(AdmitIdentity, ACertificateSupersededByARenewalIsRefused) {
  facts_.record->credential->identity_certificate_pem =
      test::make_leaf(ca_, {.common_name = "uuid:" + kDevice}).cert_pem();
  EXPECT_FALSE(run_identity().admitted);
}

TEST_F(AdmitIdentity, ADisabledOrDeletedOrForeignEnrollmentRefuses) {
  facts_.record->enrollment_group_id = "no-such-group";
  EXPECT_FALSE(run_identity().admitted);
  facts_.record->enrollment_group_id = "group-a";
  facts_.record->owner = "mallory";  // the group is alice's now: not the record's enrollment
  EXPECT_FALSE(run_identity().admitted);
  facts_.record->owner = "alice";
  facts_.record->enrollment_group_id.clear();
  facts_.record->individual_enrollment_id = "individual-alice";
  EXPECT_FALSE(run_identity().admitted) << "the individual enrollment was deleted";
  facts_.individual = individual("alice", /*disabled=*/true);
  const auto disabled = run_identity();
  EXPECT_FALSE(disabled.admitted);
  EXPECT_EQ(disabled.refusal_kind, Kind::Disabled);
  facts_.individual->disabled = false;
  const auto admitted = run_identity();
  ASSERT_TRUE(admitted.admitted) << admitted.refusal;
  EXPECT_EQ(enrollment_of(peer_, *catalog_)->hub_ids, std::vector<std::string>{"hub-alice"});
}

TEST_F(AdmitIdentity, ARefusalOfARecordedDeviceGoesToThatRecordWithItsAttestation) {
  facts_.record->attestation.emplace();
  facts_.record->attestation->certificate_pem = "MANUFACTURER PEM";
  facts_.record->attestation->common_name = "manufacturer cn";
  store::EnrollmentGroup group = *catalog_->find_group("group-a");
  group.disabled = true;
  catalog_ = Catalog::build({group}, {});
  const auto admission = run_identity();
  ASSERT_FALSE(admission.admitted);
  ASSERT_TRUE(admission.refusing);
  EXPECT_EQ(admission.refusing->record_id, "registration-1");
  EXPECT_EQ(admission.refusing->owner, "alice");
  EXPECT_EQ(admission.refusing->reason,
            "refused at identity session: disabled (enrollment group group-a)");
  EXPECT_EQ(admission.refusing->certificate_pem, "MANUFACTURER PEM")
      << "the attestation section keeps the manufacturer certificate";
  facts_.record.reset();
  EXPECT_FALSE(run_identity().refusing) << "no record: nothing to keep it in";
}

TEST_F(AdmitIdentity, TheGroupsRevocationListRevokesTheIdentityCertificate) {
  store::EnrollmentGroup group = *catalog_->find_group("group-a");
  group.revoked_certificates = {facts_.leaf_serial};
  catalog_ = Catalog::build({group}, {});
  const auto by_serial = run_identity();
  EXPECT_FALSE(by_serial.admitted);
  EXPECT_EQ(by_serial.refusal_kind, Kind::Revoked);
  group.revoked_certificates = {peer_.key_hash};
  catalog_ = Catalog::build({group}, {});
  EXPECT_FALSE(run_identity().admitted);
}

TEST_F(AdmitIdentity, ATpmDeviceKeepsItsCertifiedKeyAndItsTpmGroupRevokesItByItsEk) {
  // A TPM device's record names its EK; its group is a TPM group (of some vendor CA).
  const std::string ek_hash(64, 'e');
  facts_.record->attestation.emplace();
  facts_.record->attestation->tpm_endorsement_key_sha256 = ek_hash;
  store::EnrollmentGroup group = *catalog_->find_group("group-a");
  group.tpm.vendor_certificate_chain = group.x509.certificate_chain;
  group.x509 = {};
  catalog_ = Catalog::build({group}, {});
  const auto admitted = run_identity();
  ASSERT_TRUE(admitted.admitted) << admitted.refusal;
  EXPECT_EQ(peer_.tpm_endorsement_key_sha256, ek_hash);
  EXPECT_EQ(peer_.certified_key_sha256, peer_.key_hash) << "renewals must keep this key";

  PeerIdentity fresh;
  fresh.key_hash = peer_.key_hash;
  peer_ = fresh;
  group.revoked_certificates = {ek_hash};
  catalog_ = Catalog::build({group}, {});
  const auto revoked = run_identity();
  EXPECT_FALSE(revoked.admitted);
  EXPECT_EQ(revoked.refusal_kind, Kind::Revoked);
  ASSERT_TRUE(revoked.refusing);
  EXPECT_NE(revoked.refusing->reason.find(ek_hash), std::string::npos) << revoked.refusing->reason;
}

}  // namespace
}  // namespace dps::provisioning
