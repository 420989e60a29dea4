// find_tpm_group (provisioning/tpm_group_admission.hpp): a TPM group admits the TPM whose EK
// certificate its vendor CA issued, for the very EK the device sends; every other certificate
// is refused saying why (not a certificate, another key, no EK certificate, another CA, a
// certificate group's CA, disabled, revoked, expired, ambiguous), and another owner's group
// never takes or refuses a TPM of this owner's CA. TPM groups never admit a TLS client.
#include "provisioning/tpm_group_admission.hpp"

#include <gtest/gtest.h>

#include "pki/x509_util.hpp"
#include "provisioning/catalog.hpp"
#include "support/test_pki.hpp"
#include "tpm/public_key.hpp"
#include "tpm/software_keys.hpp"

namespace dps::provisioning {
namespace {

using RefusalKind = pki::TrustGroupIndex::RefusalKind;
using RefusedBy = pki::TrustGroupIndex::RefusedBy;
using std::chrono::system_clock;

store::EnrollmentGroup tpm_group_of(const std::string& id, const std::string& owner,
                                    const test::TestCa& vendor_ca) {
  store::EnrollmentGroup group;
  group.id = id;
  group.owner = owner;
  group.name = id;
  group.tpm.vendor_certificate_chain = vendor_ca.chain_pem();
  group.hub_ids = {"h1"};
  return group;
}

std::shared_ptr<const Catalog> catalog_of(std::vector<store::EnrollmentGroup> groups) {
  std::vector<std::string> skipped;
  auto catalog = Catalog::build(std::move(groups), {}, &skipped);
  EXPECT_TRUE(skipped.empty()) << skipped.front();
  return catalog;
}

class TpmGroupAdmission : public ::testing::Test {
 protected:
  // The admitted group's id, or the refusal: "<code>: <external text>".
  std::string outcome(const Catalog& catalog, X509* ek_certificate, RefusedBy* by = nullptr,
                      system_clock::time_point now = system_clock::now()) const {
    return outcome_of(catalog, test::to_der(ek_certificate), by, now);
  }
  std::string outcome_of(const Catalog& catalog, const std::vector<unsigned char>& der,
                         RefusedBy* by = nullptr,
                         system_clock::time_point now = system_clock::now()) const {
    auto found = find_tpm_group(catalog, der, ek_, now, by);
    if (found) return (*found)->id;
    return std::string(to_string(found.error().code)) + ": " + found.error().peer_message();
  }

  test::TestCa vendor_root_ = test::make_root_ca("TPM Vendor Root");
  test::TestCa vendor_ca_ = test::make_intermediate_ca(vendor_root_, "TPM Vendor EK CA 1");
  pki::EvpPkeyPtr ek_key_ = test::make_key(test::KeyType::P256);
  tpm::PublicArea ek_ = *tpm::make_ek_public(ek_key_.get());
  pki::X509Ptr ek_certificate_ = test::make_ek_certificate(vendor_ca_, ek_key_.get());
};

const std::string kForbidden = std::string(to_string(ErrorCode::Forbidden)) + ": ";

TEST_F(TpmGroupAdmission, AdmitsTheEkCertificateItsVendorCaIssuedForThatEk) {
  // Shaped as a real one: empty subject, critical subjectAltName of TPM attributes, the TCG EKU.
  ASSERT_EQ(X509_NAME_entry_count(X509_get_subject_name(ek_certificate_.get())), 0);
  auto catalog = catalog_of({tpm_group_of("g1", "alice", vendor_ca_)});
  RefusedBy by{"untouched", RefusalKind::NoGroup, {}};
  EXPECT_EQ(outcome(*catalog, ek_certificate_.get(), &by), "g1");
  EXPECT_EQ(by.group_id, "untouched") << "written on refusal only";
  // Without any extended key usage too (many EK certificates carry none).
  test::EkCertificateOptions no_eku;
  no_eku.extended_key_usage = "";
  EXPECT_EQ(outcome(*catalog, test::make_ek_certificate(vendor_ca_, ek_key_.get(), no_eku).get()),
            "g1");
  // A root that issues EK certificates itself is a group of one certificate.
  auto by_root = catalog_of({tpm_group_of("g2", "alice", vendor_root_)});
  EXPECT_EQ(outcome(*by_root, test::make_ek_certificate(vendor_root_, ek_key_.get()).get()), "g2");
}

TEST_F(TpmGroupAdmission, WhatIsNotOneDerCertificateIsBadRequestNamingEkCertificate) {
  auto catalog = catalog_of({tpm_group_of("g1", "alice", vendor_ca_)});
  const std::string bad = std::string(to_string(ErrorCode::BadRequest)) + ": ";
  EXPECT_EQ(outcome_of(*catalog, {}), bad + "ekCertificate: empty");
  EXPECT_EQ(outcome_of(*catalog, {0x30, 0x03, 0x02, 0x01, 0x01}),
            bad + "ekCertificate: not a DER X.509 certificate");
  std::vector<unsigned char> trailing = test::to_der(ek_certificate_.get());
  trailing.push_back(0);
  EXPECT_EQ(outcome_of(*catalog, trailing), bad + "ekCertificate: bytes after the certificate");
  std::vector<unsigned char> cut = test::to_der(ek_certificate_.get());
  cut.resize(cut.size() / 2);
  EXPECT_EQ(outcome_of(*catalog, cut), bad + "ekCertificate: not a DER X.509 certificate");
}

TEST_F(TpmGroupAdmission, ACertificateOfAnotherKeyOrOfNoEkIsRefused) {
  auto catalog = catalog_of({tpm_group_of("g1", "alice", vendor_ca_)});
  // A genuine EK certificate of another TPM: the device does not hold that EK.
  const auto other_key = test::make_key(test::KeyType::P256);
  EXPECT_EQ(outcome(*catalog, test::make_ek_certificate(vendor_ca_, other_key.get()).get()),
            kForbidden + "ekCertificate: its key is not the endorsement key");
  // A TLS client certificate the vendor CA issued for this key: no EK certificate.
  test::EkCertificateOptions client;
  client.extended_key_usage = "clientAuth";
  EXPECT_EQ(outcome(*catalog, test::make_ek_certificate(vendor_ca_, ek_key_.get(), client).get()),
            kForbidden +
                "ekCertificate: its extended key usage lacks tcg-kp-EKCertificate (2.23.133.8.1)");
  test::EkCertificateOptions ca;
  ca.ca = true;
  EXPECT_EQ(outcome(*catalog, test::make_ek_certificate(vendor_ca_, ek_key_.get(), ca).get()),
            kForbidden + "ekCertificate: a CA certificate is no EK certificate");
}

TEST_F(TpmGroupAdmission, ACaNamedLikeTheVendorsOrACertificateGroupsCaChainsToNoGroup) {
  // Anyone can make a CA with the vendor CA's name; its certificates name the group's lead as
  // issuer but do not verify, and name no group to the refusal record.
  const auto forger_root = test::make_root_ca("TPM Vendor Root");
  const auto forger_ca = test::make_intermediate_ca(forger_root, "TPM Vendor EK CA 1");
  auto catalog = catalog_of({tpm_group_of("g1", "alice", vendor_ca_)});
  RefusedBy by;
  EXPECT_EQ(outcome(*catalog, test::make_ek_certificate(forger_ca, ek_key_.get()).get(), &by),
            kForbidden + "ekCertificate: does not chain to any TPM enrollment group");
  EXPECT_EQ(by.group_id, "");
  EXPECT_EQ(by.kind, RefusalKind::NotVerified);
  // Issued by the root above the group's lead: the lead vouches only for what it issued.
  EXPECT_EQ(outcome(*catalog, test::make_ek_certificate(vendor_root_, ek_key_.get()).get(), &by),
            kForbidden + "ekCertificate: does not chain to any TPM enrollment group");
  EXPECT_EQ(by.kind, RefusalKind::NoGroup);
  // A root named like the lead below it: what it issues verifies through the group's root,
  // not through its lead, and is not the group's.
  const auto same_root = test::make_root_ca("Same Name");
  const auto same_lead = test::make_intermediate_ca(same_root, "Same Name");
  EXPECT_EQ(outcome(*catalog_of({tpm_group_of("g2", "alice", same_lead)}),
                    test::make_ek_certificate(same_root, ek_key_.get()).get()),
            kForbidden + "ekCertificate: does not chain to any TPM enrollment group");
  EXPECT_EQ(outcome(*catalog_of({tpm_group_of("g2", "alice", same_lead)}),
                    test::make_ek_certificate(same_lead, ek_key_.get()).get()),
            "g2");
  // The vendor CA enrolled as a certificate group: a certificate group admits no TPM.
  store::EnrollmentGroup certificates;
  certificates.id = "x1";
  certificates.owner = "alice";
  certificates.x509.certificate_chain = vendor_ca_.chain_pem();
  certificates.hub_ids = {"h1"};
  EXPECT_EQ(outcome(*catalog_of({certificates}), ek_certificate_.get(), &by),
            kForbidden + "ekCertificate: does not chain to any TPM enrollment group");
  EXPECT_EQ(by.kind, RefusalKind::NoGroup);
}

TEST_F(TpmGroupAdmission, ADisabledGroupRefusesItsTpmsSayingSo) {
  auto group = tpm_group_of("g1", "alice", vendor_ca_);
  group.disabled = true;
  RefusedBy by;
  EXPECT_EQ(outcome(*catalog_of({group}), ek_certificate_.get(), &by),
            kForbidden + "enrollment group disabled");
  EXPECT_EQ(by.group_id, "g1");
  EXPECT_EQ(by.kind, RefusalKind::Disabled);
  // A forged certificate naming the disabled group's CA is not its TPM: no group is named.
  const auto forger_ca = test::make_root_ca("TPM Vendor EK CA 1");
  EXPECT_EQ(
      outcome(*catalog_of({group}), test::make_ek_certificate(forger_ca, ek_key_.get()).get(), &by),
      kForbidden + "ekCertificate: does not chain to any TPM enrollment group");
  EXPECT_EQ(by.group_id, "");
}

TEST_F(TpmGroupAdmission, RevokedBySerialByTheEksHashOrByACrl) {
  X509* listed[] = {ek_certificate_.get()};
  auto ek_hash = tpm::key_hash(ek_);
  ASSERT_TRUE(ek_hash);
  for (const auto& [what, revoke] :
       std::vector<std::pair<std::string, std::function<void(store::EnrollmentGroup&)>>>{
           {"serial",
            [&](store::EnrollmentGroup& g) {
              g.revoked_certificates = {pki::serial_hex(ek_certificate_.get())};
            }},
           {"EK hash", [&](store::EnrollmentGroup& g) { g.revoked_certificates = {*ek_hash}; }},
           {"CRL",
            [&](store::EnrollmentGroup& g) { g.crl = test::make_crl_pem(vendor_ca_, listed); }}}) {
    auto group = tpm_group_of("g1", "alice", vendor_ca_);
    revoke(group);
    RefusedBy by;
    EXPECT_EQ(outcome(*catalog_of({group}), ek_certificate_.get(), &by),
              kForbidden + "ekCertificate: revoked")
        << what;
    EXPECT_EQ(by.group_id, "g1") << what;
    EXPECT_EQ(by.kind, RefusalKind::Revoked) << what;
  }
  // Another TPM of the same CA is still admitted.
  auto group = tpm_group_of("g1", "alice", vendor_ca_);
  group.revoked_certificates = {"01", std::string(64, 'a')};
  EXPECT_EQ(outcome(*catalog_of({group}), ek_certificate_.get()), "g1");
}

TEST_F(TpmGroupAdmission, ExpiredOrNotYetValidUnlessTheGroupAcceptsAnyDates) {
  test::EkCertificateOptions old;
  old.validity = {-std::chrono::days(3650), -std::chrono::days(1)};
  const auto expired = test::make_ek_certificate(vendor_ca_, ek_key_.get(), old);
  test::EkCertificateOptions future;
  future.validity = {std::chrono::days(1), std::chrono::days(3650)};
  const auto not_yet = test::make_ek_certificate(vendor_ca_, ek_key_.get(), future);
  auto group = tpm_group_of("g1", "alice", vendor_ca_);
  RefusedBy by;
  EXPECT_EQ(outcome(*catalog_of({group}), expired.get(), &by),
            kForbidden + "ekCertificate: expired");
  EXPECT_EQ(by.group_id, "g1");
  EXPECT_EQ(by.kind, RefusalKind::Expired);
  EXPECT_EQ(outcome(*catalog_of({group}), not_yet.get()),
            kForbidden + "ekCertificate: not yet valid");

  // A vendor CA that expired since it certified the TPM's EK (long-lived TPMs outlive it).
  test::CaOptions short_lived;
  short_lived.validity = {-std::chrono::days(3650), -std::chrono::days(2)};
  const auto old_ca = test::make_intermediate_ca(vendor_root_, "TPM Vendor EK CA 0", short_lived);
  auto old_group = tpm_group_of("g0", "alice", old_ca);
  const auto under_old_ca = test::make_ek_certificate(old_ca, ek_key_.get());
  EXPECT_EQ(outcome(*catalog_of({old_group}), under_old_ca.get()),
            kForbidden + "ekCertificate: expired");

  group.tpm.expired_certificate_enabled = true;
  old_group.tpm.expired_certificate_enabled = true;
  EXPECT_EQ(outcome(*catalog_of({group}), expired.get()), "g1");
  EXPECT_EQ(outcome(*catalog_of({group}), not_yet.get()), "g1");
  EXPECT_EQ(outcome(*catalog_of({old_group}), under_old_ca.get()), "g0");
}

TEST_F(TpmGroupAdmission, AnotherOwnersGroupNeitherTakesNorRefusesThisOwnersTpms) {
  // Bob, hostile, enrolls a CA of his own named like alice's vendor CA, disabled and revoking
  // everything: alice's TPMs are still hers.
  const auto bobs_root = test::make_root_ca("TPM Vendor Root");
  const auto bobs_ca = test::make_intermediate_ca(bobs_root, "TPM Vendor EK CA 1");
  auto bobs = tpm_group_of("b1", "bob", bobs_ca);
  bobs.disabled = true;
  bobs.revoked_certificates = {pki::serial_hex(ek_certificate_.get())};
  auto catalog = catalog_of({tpm_group_of("a1", "alice", vendor_ca_), bobs});
  EXPECT_EQ(outcome(*catalog, ek_certificate_.get()), "a1");
  bobs.disabled = false;
  bobs.revoked_certificates.clear();
  catalog = catalog_of({bobs});
  RefusedBy by;
  EXPECT_EQ(outcome(*catalog, ek_certificate_.get(), &by),
            kForbidden + "ekCertificate: does not chain to any TPM enrollment group");
  EXPECT_EQ(by.group_id, "") << "bob's group is not told about alice's TPM";
}

TEST_F(TpmGroupAdmission, TwoOwnersHoldingOneVendorCaRefuseRatherThanPickOne) {
  // The store refuses this; data written before that rule must not hand the TPM to either.
  auto catalog =
      catalog_of({tpm_group_of("a1", "alice", vendor_ca_), tpm_group_of("b1", "bob", vendor_ca_)});
  auto found =
      find_tpm_group(*catalog, test::to_der(ek_certificate_.get()), ek_, system_clock::now());
  ASSERT_FALSE(found);
  EXPECT_EQ(found.error().peer_message(), "enrollment is ambiguous");
  EXPECT_NE(found.error().internal.find("a1"), std::string::npos) << found.error().internal;
  EXPECT_NE(found.error().internal.find("b1"), std::string::npos) << found.error().internal;
}

TEST_F(TpmGroupAdmission, ATlsClientCertificateOfATpmVendorCaIsAdmittedByNoGroup) {
  // TPM groups stay out of the index handshakes match: a client certificate the vendor CA
  // issued (or that anyone holding an EK certificate's key could present) proves no TPM.
  auto catalog = catalog_of({tpm_group_of("g1", "alice", vendor_ca_)});
  EXPECT_EQ(catalog->trust().size(), 0u);
  EXPECT_EQ(catalog->tpm_trust().size(), 1u);
  const auto client = test::make_leaf(vendor_ca_);
  std::vector<X509*> chain{client.get(), vendor_ca_.get()};
  RefusalKind kind{};
  auto match = catalog->trust().match(chain, system_clock::now(), &kind);
  ASSERT_FALSE(match);
  EXPECT_EQ(kind, RefusalKind::NoGroup);
  // A certificate group of the same owner next to it still admits its own devices.
  const auto mfg = test::make_root_ca("Device Maker");
  store::EnrollmentGroup devices;
  devices.id = "x1";
  devices.owner = "alice";
  devices.x509.certificate_chain = mfg.chain_pem();
  devices.hub_ids = {"h1"};
  catalog = catalog_of({tpm_group_of("g1", "alice", vendor_ca_), devices});
  const auto device = test::make_leaf(mfg);
  std::vector<X509*> device_chain{device.get()};
  auto matched = catalog->trust().match(device_chain, system_clock::now());
  ASSERT_TRUE(matched) << matched.error().internal;
  EXPECT_EQ(matched->group_id, "x1");
  EXPECT_FALSE(catalog->trust().match(chain, system_clock::now()));
}

TEST_F(TpmGroupAdmission, AGroupChangingKindMovesBetweenTheIndexesOnAnIncrementalBuild) {
  auto as_tpm = tpm_group_of("g1", "alice", vendor_ca_);
  store::EnrollmentGroup as_x509 = as_tpm;
  as_x509.tpm = {};
  as_x509.x509.certificate_chain = vendor_ca_.chain_pem();
  const auto client = test::make_leaf(vendor_ca_);
  std::vector<X509*> chain{client.get(), vendor_ca_.get()};

  // The refresher's path: each update changes the previous snapshot's indexes in place of a
  // rebuild (Catalog::update with a previous snapshot).
  std::vector<std::string> skipped;
  auto before = Catalog::update(nullptr, {{"g1", 1}}, true, {as_x509}, {}, &skipped);
  ASSERT_TRUE(before->trust().match(chain, system_clock::now()));
  EXPECT_NE(outcome(*before, ek_certificate_.get()), "g1");
  auto after = Catalog::update(before.get(), {{"g1", 2}}, false, {as_tpm}, {}, &skipped);
  EXPECT_FALSE(after->trust().match(chain, system_clock::now()));
  EXPECT_EQ(outcome(*after, ek_certificate_.get()), "g1");
  EXPECT_EQ(after->trust().size() + after->tpm_trust().size(), 1u);
  auto back = Catalog::update(after.get(), {{"g1", 3}}, false, {as_x509}, {}, &skipped);
  EXPECT_TRUE(back->trust().match(chain, system_clock::now()));
  EXPECT_NE(outcome(*back, ek_certificate_.get()), "g1");
  EXPECT_EQ(back->trust().size() + back->tpm_trust().size(), 1u);
  // Deleted: gone from the TPM index too.
  auto gone = Catalog::update(after.get(), {}, true, {}, {}, &skipped);
  EXPECT_EQ(gone->tpm_trust().size(), 0u);
  EXPECT_TRUE(skipped.empty());
}

}  // namespace
}  // namespace dps::provisioning
