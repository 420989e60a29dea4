#include <gtest/gtest.h>

#include "device/checks.hpp"
#include "device/csr.hpp"
#include "pki/pem.hpp"
#include "pki/x509_util.hpp"
#include "response_builder.hpp"
#include "support/test_pki.hpp"

namespace dps::device {
namespace {

using coap::Code;
using nlohmann::json;
using namespace std::chrono_literals;
using testing::response;

constexpr const char* kDi = "6f3c0d6e-7b0a-4a52-9d0e-3a5c0b8f1e2d";
constexpr const char* kSubjectOwner = "37dac31a-3f98-549d-a4d1-4d1b45fd08c9";

class CredentialChecks : public ::testing::Test {
 protected:
  CredentialChecks() : ca_(test::make_root_ca("issuing ca")) {
    auto csr = make_device_csr(kDi);
    EXPECT_TRUE(csr);
    csr_ = *csr;
  }

  /// A leaf for `public_key_der` issued by ca_, valid until now + `lifetime`.
  std::string leaf_pem(const std::string& public_key_der, std::chrono::seconds lifetime) {
    const auto* p = reinterpret_cast<const unsigned char*>(public_key_der.data());
    pki::EvpPkeyPtr key(d2i_PUBKEY(nullptr, &p, static_cast<long>(public_key_der.size())));
    auto name = pki::make_name(std::string("uuid:") + kDi);
    pki::CertificateProfile profile;
    profile.subject = name->get();
    profile.public_key = key.get();
    profile.not_before = std::chrono::system_clock::now() - 1h;
    profile.not_after = std::chrono::system_clock::now() + lifetime;
    profile.extensions = {{NID_ext_key_usage, "clientAuth,serverAuth"}};
    auto cert = pki::issue_certificate(profile, ca_.get(), ca_.key.get());
    return *pki::to_pem(cert->get());
  }

  json creds(std::chrono::seconds lifetime = 24h) {
    return {{"creds",
             {{{"credtype", 1},
               {"subjectuuid", kSubjectOwner},
               {"privatedata",
                {{"data", json::binary(std::vector<uint8_t>(16, 7))},
                 {"encoding", "oic.sec.encoding.raw"}}},
               {"tag", "dps"}},
              {{"credtype", 8},
               {"subjectuuid", kDi},
               {"credusage", "oic.sec.cred.cert"},
               {"publicdata",
                {{"data", leaf_pem(csr_.public_key_der, lifetime)},
                 {"encoding", "oic.sec.encoding.pem"}}},
               {"tag", "dps"}},
              {{"credtype", 8},
               {"subjectuuid", kSubjectOwner},
               {"credusage", "oic.sec.cred.trustca"},
               {"publicdata", {{"data", ca_.cert_pem()}, {"encoding", "oic.sec.encoding.pem"}}},
               {"tag", "dps"}}}}};
  }

  Result<IssuedCredentials> check(const json& body, std::optional<uint16_t> cf = 10000) {
    return check_credentials_response(
        response(Code::Changed, body, cf),
        CredentialExpectations{kDi, csr_.public_key_der, csr_.private_key_pem,
                               std::chrono::system_clock::now(), 1h});
  }

  test::TestCa ca_;
  DeviceCsr csr_;
};

TEST_F(CredentialChecks, AcceptsPskCertAndTrustCa) {
  auto issued = check(creds());
  ASSERT_TRUE(issued) << issued.error().internal;
  EXPECT_EQ(issued->credtypes, (std::vector<int>{1, 8, 8}));
  ASSERT_TRUE(issued->psk);
  EXPECT_EQ(issued->psk->key.size(), 16u);
  EXPECT_EQ(issued->subject_uuid, kDi);
  EXPECT_EQ(issued->trust_ca_pem, ca_.cert_pem());
  EXPECT_EQ(issued->private_key_pem, csr_.private_key_pem);
}

TEST_F(CredentialChecks, AcceptsWithoutPsk) {
  json body = creds();
  body["creds"].erase(0);
  auto issued = check(body);
  ASSERT_TRUE(issued) << issued.error().internal;
  EXPECT_FALSE(issued->psk);
}

TEST_F(CredentialChecks, RejectsCredWithoutTag) {
  json body = creds();
  body["creds"][2].erase("tag");
  EXPECT_FALSE(check(body));
  body = creds();
  body["creds"][1]["tag"] = "other";
  EXPECT_FALSE(check(body));
}

TEST_F(CredentialChecks, RejectsRowneruuid) {
  json body = creds();
  body["creds"][1]["rowneruuid"] = kSubjectOwner;
  EXPECT_FALSE(check(body));
  body = creds();
  body["rowneruuid"] = kSubjectOwner;
  EXPECT_FALSE(check(body));
}

TEST_F(CredentialChecks, RejectsCertificateExpiringWithinAnHour) {
  auto r = check(creds(30min));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().internal.find("expires"), std::string::npos);
}

TEST_F(CredentialChecks, RejectsLeafWhoseKeyIsNotTheCsrKey) {
  auto other = make_device_csr(kDi);
  ASSERT_TRUE(other);
  json body = creds();
  body["creds"][1]["publicdata"]["data"] = leaf_pem(other->public_key_der, 24h);
  auto r = check(body);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().internal.find("CSR"), std::string::npos);
}

TEST_F(CredentialChecks, RejectsContentFormat50) { EXPECT_FALSE(check(creds(), 50)); }

TEST_F(CredentialChecks, RejectsMissingTrustCa) {
  json body = creds();
  body["creds"].erase(2);
  EXPECT_FALSE(check(body));
}

TEST_F(CredentialChecks, RejectsMissingIdentityCert) {
  json body = creds();
  body["creds"].erase(1);
  EXPECT_FALSE(check(body));
}

TEST_F(CredentialChecks, RejectsPskOfWrongLength) {
  json body = creds();
  body["creds"][0]["privatedata"]["data"] = json::binary(std::vector<uint8_t>(15, 7));
  EXPECT_FALSE(check(body));
}

TEST_F(CredentialChecks, RejectsIdentityForAnotherDevice) {
  json body = creds();
  body["creds"][1]["subjectuuid"] = kSubjectOwner;
  EXPECT_FALSE(check(body));
}

TEST_F(CredentialChecks, RejectsNonPemPublicData) {
  json body = creds();
  body["creds"][1]["publicdata"]["encoding"] = "oic.sec.encoding.der";
  EXPECT_FALSE(check(body));
}

TEST(DeviceCsr, HasCnUuidDiAndP256KeyAndNoExtensions) {
  auto csr = make_device_csr(kDi);
  ASSERT_TRUE(csr);
  pki::BioPtr bio(BIO_new_mem_buf(csr->csr_pem.data(), static_cast<int>(csr->csr_pem.size())));
  pki::X509ReqPtr req(PEM_read_bio_X509_REQ(bio.get(), nullptr, nullptr, nullptr));
  ASSERT_TRUE(req);
  EXPECT_EQ(pki::common_name(X509_REQ_get_subject_name(req.get())), std::string("uuid:") + kDi);
  EVP_PKEY* key = X509_REQ_get0_pubkey(req.get());
  EXPECT_EQ(pki::describe_key(key), "EC P-256");
  EXPECT_EQ(X509_REQ_verify(req.get(), key), 1);
  EXPECT_EQ(X509_REQ_get_signature_nid(req.get()), NID_ecdsa_with_SHA256);
  EXPECT_EQ(X509_REQ_get_attr_count(req.get()), 0);
  EXPECT_NE(make_device_csr(kDi)->public_key_der, csr->public_key_der);  // fresh key each time
}

}  // namespace
}  // namespace dps::device
