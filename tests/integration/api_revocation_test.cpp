// Revocation through the management API over real HTTPS: a group updated with
// `revokedCertificates` (a serial or an SPKI SHA-256) or a `crl` refuses that device at the TLS
// handshake of its next connection, while a sibling of the same group still provisions; a PUT
// that omits the (new) fields keeps them (a plgd client does not silently lift a revocation);
// clearing them admits the device again.
#include <openssl/evp.h>

#include "pki/x509_util.hpp"
#include "support/api_fixture.hpp"

namespace dps::itest {
namespace {

using nlohmann::json;

/// RFC 4648 base64 (with padding), what a data: URI carries.
std::string base64(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

class ApiRevocation : public ApiTest {
 protected:
  void SetUp() override {
    ApiTest::SetUp();
    if (HasFatalFailure()) return;
    target_ = api_mfg_leaf("itest revoked device");
    sibling_ = api_mfg_leaf("itest sibling device");
    group_ = enroll_api_mfg(kOwnerA)["id"];
    const auto before = provision(target_tls());
    ASSERT_TRUE(before.ok) << "admitted before the revocation: " << before.error;
  }

  device::ClientTlsOptions target_tls() const { return tls_for(target_, &api_mfg_.intermediate); }
  device::ClientTlsOptions sibling_tls() const { return tls_for(sibling_, &api_mfg_.intermediate); }

  void expect_target_refused_sibling_admitted(const std::string& when) {
    SCOPED_TRACE(when);
    std::string why;
    EXPECT_TRUE(handshake_refused(target_tls(), &why)) << "revoked, yet: " << why;
    const auto sibling = provision(sibling_tls());
    EXPECT_TRUE(sibling.ok) << "the sibling: " << sibling.error;
  }

  test::TestCert target_;
  test::TestCert sibling_;
  std::string group_;
};

enum class RevokedBy { Serial, SpkiSha256 };

class ApiRevokedCertificate : public ApiRevocation,
                              public ::testing::WithParamInterface<RevokedBy> {
 protected:
  std::string entry() const {
    return GetParam() == RevokedBy::Serial ? pki::serial_hex(target_.get())
                                           : pki::spki_sha256_hex(target_.get());
  }
};

TEST_P(ApiRevokedCertificate, RefusesThatDeviceAtTheHandshakeUntilLifted) {
  const json revoked = put_group(group_, {{"revokedCertificates", {entry()}}});
  EXPECT_EQ(revoked["revokedCertificates"], json({entry()}));
  EXPECT_EQ(list(kGroupsPath, token_of(kOwnerA)).at(0)["revokedCertificates"], json({entry()}));
  expect_target_refused_sibling_admitted("revoked");

  const json kept = put_group(group_, {{"name", "renamed by a plgd client"}});
  EXPECT_EQ(kept["revokedCertificates"], json({entry()}));
  expect_target_refused_sibling_admitted("after a PUT without revokedCertificates");

  const json lifted = put_group(group_, {{"revokedCertificates", json::array()}});
  EXPECT_FALSE(lifted.contains("revokedCertificates")) << lifted.dump();
  const auto again = provision(target_tls());
  EXPECT_TRUE(again.ok) << "revocation lifted, yet: " << again.error;
}

INSTANTIATE_TEST_SUITE_P(Entries, ApiRevokedCertificate,
                         ::testing::Values(RevokedBy::Serial, RevokedBy::SpkiSha256),
                         [](const ::testing::TestParamInfo<RevokedBy>& param) {
                           return param.param == RevokedBy::Serial ? "Serial" : "SpkiSha256";
                         });

TEST_F(ApiRevocation, CrlRefusesTheListedDeviceAtTheHandshakeUntilCleared) {
  X509* listed[] = {target_.get()};
  const std::string crl = test::make_crl_pem(api_mfg_.intermediate, listed);
  const json updated = put_group(group_, {{"crl", crl}});
  EXPECT_EQ(updated["crl"], crl);
  expect_target_refused_sibling_admitted("CRL given as PEM");

  const json kept = put_group(group_, {{"name", "renamed by a plgd client"}});
  EXPECT_EQ(kept["crl"], crl);
  expect_target_refused_sibling_admitted("after a PUT without crl");

  const json cleared = put_group(group_, {{"crl", ""}});
  EXPECT_FALSE(cleared.contains("crl")) << cleared.dump();
  const auto again = provision(target_tls());
  EXPECT_TRUE(again.ok) << "CRL cleared, yet: " << again.error;
}

TEST_F(ApiRevocation, CrlGivenAsADataUriRefusesTheListedDevice) {
  X509* listed[] = {target_.get()};
  const std::string crl = test::make_crl_pem(api_mfg_.intermediate, listed);
  const json updated = put_group(group_, {{"crl", "data:;base64," + base64(crl)}});
  EXPECT_EQ(updated["crl"], crl) << "stored as the PEM it stands for";
  expect_target_refused_sibling_admitted("CRL given as a data: URI");
}

}  // namespace
}  // namespace dps::itest
