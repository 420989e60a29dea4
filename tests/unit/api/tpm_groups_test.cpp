// TPM enrollment groups through ManagementApi: a vendor CA is enrolled with the proof of
// possession a certificate group needs, belongs to one owner whichever kind of group claims it
// (a hostile bob can neither copy alice's vendor chain nor claim it under a shared root), counts
// for the lead-name quota and filter, and renders as the tpm mechanism.
#include "api_fixture.hpp"

namespace dps::api::testing {
namespace tpm_groups {

constexpr int kGrpcPermissionDenied = 7;
constexpr int kGrpcAlreadyExists = 6;

json tpm_body(const std::string& name, const test::TestCa& vendor_ca) {
  return {{"name", name},
          {"attestationMechanism", {{"tpm", {{"vendorCertificateChain", vendor_ca.chain_pem()}}}}},
          {"hubIds", {kHubA}}};
}

json x509_body(const std::string& name, const test::TestCa& ca) { return group_body(name, &ca); }

class TpmGroups : public ApiTest {
 protected:
  explicit TpmGroups(ManagementApiOptions options = ManagementApiOptions{})
      : ApiTest(std::move(options)) {
    add_hubs(kAlice);
    add_hubs(kBob);
  }

  std::string new_code(const std::string& owner) {
    ApiResponse response =
        call("POST", "/api/v1/enrollment-groups/verification-codes", std::string{}, owner);
    EXPECT_EQ(response.status, 200u) << response.body;
    return json::parse(response.body).value("code", "");
  }

  // The body with a proof signed by `signer`'s key, for a code of `owner`.
  json proven(json body, const test::TestCa& signer, const std::string& owner) {
    const std::string code = new_code(owner);
    body["proofOfPossession"] = {
        {"code", code}, {"certificate", test::make_leaf(signer, {.common_name = code}).cert_pem()}};
    return body;
  }

  // The vendor's EK CA under a vendor root (alice's TPMs' vendor).
  test::TestCa vendor_root_ = test::make_root_ca("TPM Vendor Root");
  test::TestCa vendor_ca_ = test::make_intermediate_ca(vendor_root_, "TPM Vendor EK CA 1");
};

TEST_F(TpmGroups, AVendorCaIsEnrolledWithAProofOfItsKeyAndShownAsTpm) {
  ApiResponse unproven = call("POST", "/api/v1/enrollment-groups", tpm_body("tpms", vendor_ca_));
  EXPECT_EQ(unproven.status, 403u) << "a vendor CA is claimed like any CA: " << unproven.body;
  json created =
      create("enrollment-groups", proven(tpm_body("tpms", vendor_ca_), vendor_ca_, kAlice));
  EXPECT_EQ(created["attestationMechanism"],
            (json{{"tpm",
                   {{"vendorCertificateChain", vendor_ca_.chain_pem()},
                    {"leadCertificateName", "TPM Vendor EK CA 1"},
                    {"expiredCertificateEnabled", false}}}}));
  auto listed = list(
      "/api/v1/enrollment-groups?attestationMechanismX509CertificateNames=TPM+"
      "Vendor+EK+CA+1");
  ASSERT_EQ(listed.size(), 1u) << "the lead-name filter finds TPM groups by their vendor CA";
  EXPECT_EQ(listed.front()["id"], created["id"]);

  // What GET shows, PUT back with a change, keeps it a TPM group and needs no new proof.
  json changed = listed.front();
  changed["disabled"] = true;
  const std::string path = "/api/v1/enrollment-groups/" + created["id"].get<std::string>();
  ApiResponse put = call("PUT", path, changed);
  ASSERT_EQ(put.status, 200u) << put.body;
  EXPECT_TRUE(json::parse(put.body)["attestationMechanism"].contains("tpm"));
}

TEST_F(TpmGroups, BobCannotCopyAlicesVendorChainNorClaimItUnderASharedRoot) {
  create("enrollment-groups", proven(tpm_body("alice-tpms", vendor_ca_), vendor_ca_, kAlice));
  // Bob copies the public chain, as a TPM group or a certificate group, signing with a key of
  // his own: no proof.
  const test::TestCa bobs = test::make_root_ca("Bob Root");
  for (const json& body : {tpm_body("bob", vendor_ca_), x509_body("bob", vendor_ca_)}) {
    ApiResponse copied = call("POST", "/api/v1/enrollment-groups", proven(body, bobs, kBob), kBob);
    EXPECT_EQ(copied.status, 403u) << copied.body;
    EXPECT_NE(error_message(copied, kGrpcPermissionDenied).find("not signed by the key"),
              std::string::npos);
  }
  // Bob holding a key of the vendor's PKI (here: its root, shared by every EK CA under it) can
  // prove it, and still not claim trust that contains alice's vendor CA; the message names
  // neither alice nor her group.
  ApiResponse root = call("POST", "/api/v1/enrollment-groups",
                          proven(tpm_body("bob-root", vendor_root_), vendor_root_, kBob), kBob);
  EXPECT_EQ(root.status, 409u) << root.body;
  const std::string message = error_message(root, kGrpcAlreadyExists);
  EXPECT_EQ(
      message,
      "attestationMechanism.tpm.vendorCertificateChain: the certificate chain's trust belongs "
      "to another owner's enrollment group");
  // A sibling EK CA under that root is bob's to enroll: it certifies none of alice's TPMs.
  const test::TestCa bobs_ca = test::make_intermediate_ca(vendor_root_, "TPM Vendor EK CA 2");
  create("enrollment-groups", proven(tpm_body("bob-tpms", bobs_ca), bobs_ca, kBob), kBob);
  EXPECT_EQ(list("/api/v1/enrollment-groups", kAlice).size(), 1u);
}

class TpmGroupsWithoutProof : public TpmGroups {
 protected:
  TpmGroupsWithoutProof() : TpmGroups(small_lead_name_quota()) {}
  static ManagementApiOptions small_lead_name_quota() {
    ManagementApiOptions options = options_without_proof();
    options.quotas.groups_per_lead_name = 1;
    return options;
  }
};

TEST_F(TpmGroupsWithoutProof, AnotherOwnersVendorCaIs409WhicheverKindAndTheLeadNameQuotaCounts) {
  // Where proofs are off (an operator's choice), the store still keeps a CA to one owner.
  create("enrollment-groups", tpm_body("alice-tpms", vendor_ca_));
  for (const json& body : {tpm_body("bob", vendor_ca_), x509_body("bob", vendor_ca_)}) {
    ApiResponse taken = call("POST", "/api/v1/enrollment-groups", body, kBob);
    EXPECT_EQ(taken.status, 409u) << taken.body;
    EXPECT_EQ(error_message(taken, kGrpcAlreadyExists).find("alice"), std::string::npos);
  }
  EXPECT_TRUE(list("/api/v1/enrollment-groups", kBob).empty());
  // Alice's second CA of the same name (EK certificates find groups by their issuer's name) is
  // over the per-name quota of one, as a certificate group's would be.
  const test::TestCa namesake =
      test::make_intermediate_ca(test::make_root_ca("Elsewhere"), "TPM Vendor EK CA 1");
  ApiResponse second = call("POST", "/api/v1/enrollment-groups", tpm_body("again", namesake));
  EXPECT_EQ(second.status, 409u) << second.body;
  EXPECT_NE(error_message(second, kGrpcAlreadyExists).find("groupsPerLeadCertificateName"),
            std::string::npos);
}

}  // namespace tpm_groups
}  // namespace dps::api::testing
