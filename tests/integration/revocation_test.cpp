// Beyond plgd (device-protocol §2, "improve"): revoked or denied manufacturer certificates, CRLs
// and disabled enrollment groups admit no device, at the handshake or with 4.03 on every request.
// Other devices of the same group still provision.
#include "device/requests.hpp"
#include "pki/x509_util.hpp"
#include "support/dps_fixture.hpp"

namespace dps::itest {
namespace {

constexpr const char* kDisabledGroupId = "e0e0e0e0-0000-4000-8000-000000000004";

class Revocation : public DpsTest {
 protected:
  void configure(DpsConfigSpec& spec) override {
    by_serial_ = leaf("revoked by serial");
    by_spki_ = leaf("revoked by key");
    by_crl_ = leaf("revoked by crl");
    GroupSpec& group = spec.groups[0];
    group.revoked_certificates = {pki::serial_hex(by_serial_.get()),
                                  pki::spki_sha256_hex(by_spki_.get())};
    X509* crl_listed[] = {by_crl_.get()};
    group.crl_file = write("mfg.crl", test::make_crl_pem(mfg_.intermediate, crl_listed));

    disabled_mfg_ = make_manufacturer("itest disabled mfg");
    GroupSpec disabled;
    disabled.id = kDisabledGroupId;
    disabled.chain_file = write("disabled-chain.pem", disabled_mfg_.chain_pem());
    disabled.disabled = true;
    disabled.hubs = {HubSpec{kHubA, {kGatewayA}}};
    spec.groups.push_back(disabled);
  }

  test::TestCert leaf(const std::string& cn) {
    test::LeafOptions o;
    o.common_name = cn;
    return test::make_leaf(mfg_.intermediate, o);
  }

  /// Refused at the handshake, or 4.03 to a request.
  void expect_not_admitted(const device::ClientTlsOptions& tls) {
    auto response = request_once(tls, device::make_ownership_request());
    if (response) {
      EXPECT_EQ(coap::to_string(response->code), "4.03") << response->payload_text();
    }
    expect_server_serves();
  }

  test::TestCert by_serial_;
  test::TestCert by_spki_;
  test::TestCert by_crl_;
  Manufacturer disabled_mfg_;
};

TEST_F(Revocation, RevokedSerialIsNotAdmitted) {
  expect_not_admitted(tls_for(by_serial_, &mfg_.intermediate));
}

TEST_F(Revocation, DeniedPublicKeyIsNotAdmitted) {
  expect_not_admitted(tls_for(by_spki_, &mfg_.intermediate));
}

TEST_F(Revocation, CrlListedCertificateIsNotAdmitted) {
  expect_not_admitted(tls_for(by_crl_, &mfg_.intermediate));
}

TEST_F(Revocation, DisabledGroupAdmitsNoDevice) {
  expect_not_admitted(tls_for(disabled_mfg_.device, &disabled_mfg_.intermediate));
}

TEST_F(Revocation, UnlistedDeviceOfTheSameGroupIsAdmitted) {
  const auto result = provision(tls_for(leaf("fine device"), &mfg_.intermediate));
  EXPECT_TRUE(result.ok) << result.error;
}

}  // namespace
}  // namespace dps::itest
