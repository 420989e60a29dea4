// Proof of possession and quotas through ManagementApi with dps's default options: an owner can
// enroll only a CA whose key it holds, and cannot grow its objects without bound.
#include "api_fixture.hpp"
#include "pki/pem.hpp"

namespace dps::api::testing {
namespace proof_of_possession {

constexpr int kGrpcPermissionDenied = 7;
constexpr int kGrpcInvalidArgument = 3;
constexpr int kGrpcAlreadyExists = 6;

class ProofOfPossessionTest : public ApiTest {
 protected:
  ProofOfPossessionTest() : ApiTest(ManagementApiOptions{}) {
    add_hubs(kAlice);
    add_hubs(kBob);
  }

  std::string new_code(const std::string& owner = kAlice) {
    ApiResponse response =
        call("POST", "/api/v1/enrollment-groups/verification-codes", std::string{}, owner);
    EXPECT_EQ(response.status, 200u) << response.body;
    json body = json::parse(response.body);
    EXPECT_TRUE(body.contains("expiresAt")) << response.body;
    return body.value("code", "");
  }

  /// A verification certificate: CN = code, signed by `signer`'s key.
  static json proof(const std::string& code, const test::TestCa& signer) {
    return {{"code", code},
            {"certificate", test::make_leaf(signer, {.common_name = code}).cert_pem()}};
  }

  static json with_proof(json body, const json& proof) {
    body["proofOfPossession"] = proof;
    return body;
  }
};

TEST_F(ProofOfPossessionTest, GroupWithoutProofIsRefusedSayingHowToProve) {
  ApiResponse response = call("POST", "/api/v1/enrollment-groups", own_ca_group_body("plain"));
  EXPECT_EQ(response.status, 403u);
  EXPECT_NE(error_message(response, kGrpcPermissionDenied).find("verification-codes"),
            std::string::npos);
  EXPECT_EQ(changes_, 0);
}

TEST_F(ProofOfPossessionTest, CodeSignedByTheLeadKeyCreatesTheGroupOnceOnly) {
  const test::TestCa& ca = Pki::get().intermediate_for("proven");
  const json the_proof = proof(new_code(), ca);
  json created = create("enrollment-groups", with_proof(own_ca_group_body("proven"), the_proof));
  EXPECT_FALSE(created.contains("proofOfPossession")) << "a proof is checked, never stored";
  // The same code again, for another group of the same CA's family: single use.
  ApiResponse again =
      call("POST", "/api/v1/enrollment-groups",
           with_proof(own_ca_group_body("proven-again"),
                      proof(the_proof["code"], Pki::get().intermediate_for("proven-again"))));
  EXPECT_EQ(again.status, 403u);
  EXPECT_NE(error_message(again, kGrpcPermissionDenied).find("already used"), std::string::npos);
}

TEST_F(ProofOfPossessionTest, KeyAboveTheLeadProvesNothing) {
  // The certificates above the lead are the requester's own statement: anyone can issue a
  // certificate for another's public key under a root of their own. Only the lead's key counts.
  ApiResponse response =
      call("POST", "/api/v1/enrollment-groups",
           with_proof(own_ca_group_body("by-root"), proof(new_code(), Pki::get().root)));
  EXPECT_EQ(response.status, 403u);
  EXPECT_NE(error_message(response, kGrpcPermissionDenied).find("lead certificate"),
            std::string::npos);
}

TEST_F(ProofOfPossessionTest, LeadKeyOfAnotherCaUnderTheSameNameProvesNothing) {
  // Bob's chain: a certificate with the name and public key of alice's intermediate, issued by a
  // root bob holds (he can sign the code with that root's key, not with the intermediate's).
  const test::TestCa bob_root = test::make_root_ca("Bob Root");
  const test::TestCa& alices = Pki::get().intermediate_for("alices");
  const std::string chain =
      pki::to_pem(test::cross_certify(bob_root, alices).get()).value() + bob_root.cert_pem();
  json body = own_ca_group_body("alices");
  body["attestationMechanism"]["x509"]["certificateChain"] = chain;
  ApiResponse response = call("POST", "/api/v1/enrollment-groups",
                              with_proof(body, proof(new_code(kBob), bob_root)), kBob);
  EXPECT_EQ(response.status, 403u) << response.body;
}

TEST_F(ProofOfPossessionTest, ForeignChainWithoutItsKeyIsRefusedAndTheCodeStaysUsable) {
  // Bob copies alice's public chain and signs the code with the key he has (another CA's).
  const std::string code = new_code(kBob);
  ApiResponse copied =
      call("POST", "/api/v1/enrollment-groups",
           with_proof(own_ca_group_body("alice-line"), proof(code, Pki::get().other_root)), kBob);
  EXPECT_EQ(copied.status, 403u);
  EXPECT_NE(error_message(copied, kGrpcPermissionDenied).find("not signed by the key"),
            std::string::npos);
  EXPECT_TRUE(list("/api/v1/enrollment-groups", kBob).empty());
  // A wrong certificate does not burn the code: bob can still prove his own CA with it.
  create("enrollment-groups",
         with_proof(group_body("bob-line", &Pki::get().other_root),
                    proof(code, Pki::get().other_root)),
         kBob);
}

TEST_F(ProofOfPossessionTest, AnotherOwnersCodeProvesNothing) {
  const test::TestCa& ca = Pki::get().intermediate_for("stolen-code");
  const std::string alices = new_code(kAlice);
  ApiResponse response =
      call("POST", "/api/v1/enrollment-groups",
           with_proof(own_ca_group_body("stolen-code"), proof(alices, ca)), kBob);
  EXPECT_EQ(response.status, 403u);
  EXPECT_NE(error_message(response, kGrpcPermissionDenied).find("unknown, already used"),
            std::string::npos);
  // ... and alice's code is still hers to use.
  create("enrollment-groups", with_proof(own_ca_group_body("stolen-code"), proof(alices, ca)));
}

TEST_F(ProofOfPossessionTest, CertificateForAnotherCodeIsABadRequest) {
  const test::TestCa& ca = Pki::get().intermediate_for("wrong-cn");
  json wrong = proof(new_code(), ca);
  wrong["certificate"] = test::make_leaf(ca, {.common_name = "not-the-code"}).cert_pem();
  ApiResponse response =
      call("POST", "/api/v1/enrollment-groups", with_proof(own_ca_group_body("wrong-cn"), wrong));
  EXPECT_EQ(response.status, 400u);
  EXPECT_NE(error_message(response, kGrpcInvalidArgument).find("CN must be the verification code"),
            std::string::npos);
}

TEST_F(ProofOfPossessionTest, UpdateNeedsAProofOnlyWhenTheTrustChanges) {
  const test::TestCa& first = Pki::get().intermediate_for("moving");
  json group = create("enrollment-groups",
                      with_proof(own_ca_group_body("moving"), proof(new_code(), first)));
  const std::string path = "/api/v1/enrollment-groups/" + group["id"].get<std::string>();

  json renamed = own_ca_group_body("moving");
  renamed["name"] = "renamed";
  renamed["disabled"] = true;
  EXPECT_EQ(call("PUT", path, renamed).status, 200u) << "name and disabling need no proof";

  const test::TestCa& second = Pki::get().intermediate_for("moved");
  json moved = own_ca_group_body("moved");
  ApiResponse unproven = call("PUT", path, moved);
  EXPECT_EQ(unproven.status, 403u) << unproven.body;
  EXPECT_EQ(call("PUT", path, with_proof(moved, proof(new_code(), second))).status, 200u);
}

TEST_F(ProofOfPossessionTest, VerificationCodesAcceptOnlyAnEmptyPost) {
  EXPECT_EQ(call("GET", "/api/v1/enrollment-groups/verification-codes").status, 405u);
  EXPECT_EQ(call("PUT", "/api/v1/enrollment-groups/verification-codes", json::object()).status,
            405u);
  EXPECT_EQ(call("POST", "/api/v1/enrollment-groups/verification-codes", json::object()).status,
            200u);
  ApiResponse with_fields =
      call("POST", "/api/v1/enrollment-groups/verification-codes", json{{"code", "mine"}});
  EXPECT_EQ(with_fields.status, 400u);
}

class QuotaTest : public ApiTest {
 protected:
  static ManagementApiOptions small_quotas() {
    ManagementApiOptions options = options_without_proof();
    options.quotas = {.enrollment_groups = 2,
                      .hubs = 1,
                      .revoked_certificates_per_group = 3,
                      .verification_codes = 2,
                      .groups_per_lead_name = 1};
    return options;
  }
  QuotaTest() : ApiTest(small_quotas()) {
    add_hubs(kAlice);
    add_hubs(kBob);
  }
};

TEST_F(QuotaTest, GroupsBeyondTheOwnersQuotaAre409AndOtherOwnersAreUnaffected) {
  create("enrollment-groups", own_ca_group_body("q1"));
  create("enrollment-groups", own_ca_group_body("q2"));
  ApiResponse third = call("POST", "/api/v1/enrollment-groups", own_ca_group_body("q3"));
  EXPECT_EQ(third.status, 409u);
  EXPECT_NE(error_message(third, kGrpcAlreadyExists).find("apis.http.quotas.enrollmentGroups"),
            std::string::npos);
  create("enrollment-groups", own_ca_group_body("q3"), kBob);
}

TEST_F(QuotaTest, HubsRevocationsAndCodesHaveTheirQuotasToo) {
  // The fixture's two hubs already exceed the quota of one.
  ApiResponse hub = call("POST", "/api/v1/hubs", hub_body(""));
  EXPECT_EQ(hub.status, 409u);
  EXPECT_NE(error_message(hub, kGrpcAlreadyExists).find("apis.http.quotas.hubs"),
            std::string::npos);

  json revoked = own_ca_group_body("revoking");
  revoked["revokedCertificates"] = {"01", "02", "03", "04"};
  ApiResponse too_many = call("POST", "/api/v1/enrollment-groups", revoked);
  EXPECT_EQ(too_many.status, 409u);
  EXPECT_NE(error_message(too_many, kGrpcAlreadyExists).find("revokedCertificatesPerGroup"),
            std::string::npos);

  const std::string codes = "/api/v1/enrollment-groups/verification-codes";
  EXPECT_EQ(call("POST", codes).status, 200u);
  EXPECT_EQ(call("POST", codes).status, 200u);
  EXPECT_EQ(call("POST", codes).status, 409u);
  EXPECT_EQ(call("POST", codes, std::string{}, kBob).status, 200u);
}

TEST_F(QuotaTest, GroupsNamedAlikeAreBoundedPerOwner) {
  // Two CAs with one name (a rotated CA, or another owner's name copied): each group with the
  // name costs a chain verification to every device whose issuer carries it.
  const test::TestCa first = test::make_intermediate_ca(Pki::get().root, "Shared Lead Name");
  const test::TestCa second = test::make_intermediate_ca(Pki::get().root, "Shared Lead Name");
  create("enrollment-groups", group_body("first", &first));
  ApiResponse again = call("POST", "/api/v1/enrollment-groups", group_body("second", &second));
  EXPECT_EQ(again.status, 409u);
  EXPECT_NE(error_message(again, kGrpcAlreadyExists).find("groupsPerLeadCertificateName"),
            std::string::npos);
  create("enrollment-groups", group_body("second", &second), kBob);
}

}  // namespace proof_of_possession
}  // namespace dps::api::testing
