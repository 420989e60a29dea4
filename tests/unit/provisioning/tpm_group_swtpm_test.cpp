// find_tpm_group with real parts: Debian's swtpm_setup manufactures a swtpm as a TPM maker would
// (its EKs, and EK certificates in NV issued by swtpm_localca, a local CA created in a temp dir),
// and the EK certificates read back from the TPM with tpm2_nvread are admitted by a TPM group
// whose vendor chain is that local CA, for the EK the TPM derives (tpm2_createek), and refused by
// a group of another CA with the same names. The P-256 EK's certificate is swtpm_localca's too
// (swtpm_setup of Debian 12 certifies a P-384 ECC EK, which dps does not take).
#include <gtest/gtest.h>
#include <openssl/x509v3.h>

#include "common/hex.hpp"
#include "pki/x509_ptr.hpp"
#include "provisioning/catalog.hpp"
#include "provisioning/tpm_group_admission.hpp"
#include "support/test_pki.hpp"
#include "support/tpm_ek_certificate.hpp"
#include "support/tpm_tools.hpp"
#include "tpm/public_area.hpp"

namespace dps::provisioning {
namespace swtpm_ek {
namespace {

using std::chrono::system_clock;

class TpmGroupOnSwtpm : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(tpm::test::have_programs({"swtpm", "swtpm_setup", "swtpm_localca", "certtool",
                                          "tpm2_nvread", "tpm2_createek", "tpm2_flushcontext"}));
    ASSERT_TRUE(state_.ok()) << state_.error();
    tpm_ = std::make_unique<tpm::test::Swtpm>(state_.state_dir());
    ASSERT_TRUE(tpm_->running()) << tpm_->error();
  }

  // The EK the TPM derives from its endorsement seed with the TCG template (what a device sends).
  tpm::PublicArea endorsement_key(const std::string& algorithm) {
    const auto created = tpm_->tools("tpm2_createek -Q -G " + algorithm + " -c ek-" + algorithm +
                                     ".ctx -u ek-" + algorithm + ".pub && tpm2_flushcontext -t");
    EXPECT_EQ(created.exit_code, 0) << created.output;
    auto ek = tpm::parse_tpm2b_public(tpm::test::read_file(tpm_->file("ek-" + algorithm + ".pub")));
    EXPECT_TRUE(ek) << ek.error().internal;
    return ek ? *ek : tpm::PublicArea{};
  }

  store::EnrollmentGroup group(const std::string& vendor_chain) const {
    store::EnrollmentGroup g;
    g.id = "g1";
    g.owner = "alice";
    g.tpm.vendor_certificate_chain = vendor_chain;
    g.hub_ids = {"h1"};
    return g;
  }

  std::string outcome(const store::EnrollmentGroup& g, const tpm::Bytes& ek_certificate,
                      const tpm::PublicArea& ek) const {
    std::vector<std::string> skipped;
    auto catalog = Catalog::build({g}, {}, &skipped);
    EXPECT_TRUE(skipped.empty()) << skipped.front();
    auto found = find_tpm_group(*catalog, ek_certificate, ek, system_clock::now());
    return found ? (*found)->id
                 : found.error().peer_message() + " (" + found.error().internal + ")";
  }

  // Manufactured by swtpm_setup, with swtpm_localca's CA in its temp dir (nothing of /etc or
  // /var/lib/swtpm-localca is used).
  const tpm::test::ManufacturedTpmState state_;
  const std::string vendor_chain_ = state_.vendor_chain_pem();
  tpm::test::TempDir dir_;
  std::unique_ptr<tpm::test::Swtpm> tpm_;
};

TEST_F(TpmGroupOnSwtpm, EkCertificatesItsLocalCaIssuedAreAdmittedByThatCaAlone) {
  // The RSA EK certificate as a TPM holds it: in NV at the TCG index, read without any CA.
  const auto read = tpm_->tools("tpm2_nvread 0x01c00002 -o ek-rsa.der");
  ASSERT_EQ(read.exit_code, 0) << read.output;
  const tpm::Bytes rsa_certificate = tpm::test::read_file(tpm_->file("ek-rsa.der"));
  const tpm::PublicArea rsa_ek = endorsement_key("rsa");
  {
    // It is a real one: critical subjectAltName of TPM attributes, TCG extensions.
    const unsigned char* der = rsa_certificate.data();
    pki::X509Ptr parsed(d2i_X509(nullptr, &der, static_cast<long>(rsa_certificate.size())));
    ASSERT_TRUE(parsed);
    const int san = X509_get_ext_by_NID(parsed.get(), NID_subject_alt_name, -1);
    ASSERT_GE(san, 0);
    EXPECT_EQ(X509_EXTENSION_get_critical(X509_get_ext(parsed.get(), san)), 1);
  }
  EXPECT_EQ(outcome(group(vendor_chain_), rsa_certificate, rsa_ek), "g1");

  // A P-256 EK, certified by the same local CA (swtpm_localca, as swtpm_setup calls it).
  const tpm::PublicArea ecc_ek = endorsement_key("ecc");
  const std::string out = dir_.file("ecc-out");
  std::filesystem::create_directories(out);
  const auto certified = tpm::test::run(
      "swtpm_localca --type ek --ek x=" + to_hex(ecc_ek.ecc_x) + ",y=" + to_hex(ecc_ek.ecc_y) +
      ",id=secp256r1 --dir " + out +
      " --tpm-spec-family 2.0 --tpm-spec-level 0 --tpm-spec-revision 164 --tpm-manufacturer "
      "id:00001014 --tpm-model swtpm --tpm-version id:20191023 --tpm2 --configfile " +
      state_.localca_config_file() + " --optsfile " + state_.localca_options_file());
  ASSERT_EQ(certified.exit_code, 0) << certified.output;
  const tpm::Bytes ecc_certificate = tpm::test::read_file(out + "/ek.cert");
  EXPECT_EQ(outcome(group(vendor_chain_), ecc_certificate, ecc_ek), "g1");

  // Each certificate vouches for its own EK only.
  EXPECT_EQ(outcome(group(vendor_chain_), rsa_certificate, ecc_ek)
                .rfind("ekCertificate: its key is not the endorsement key", 0),
            0u);
  // Another local CA with the same names (anyone can make one) admits neither.
  const auto other_root = test::make_root_ca("swtpm-localca-rootca");
  const auto other_ca = test::make_intermediate_ca(other_root, "swtpm-localca");
  for (const auto* certificate : {&rsa_certificate, &ecc_certificate}) {
    const auto& ek = certificate == &rsa_certificate ? rsa_ek : ecc_ek;
    EXPECT_EQ(outcome(group(other_ca.chain_pem()), *certificate, ek)
                  .rfind("ekCertificate: does not chain to any TPM enrollment group", 0),
              0u);
  }
}

}  // namespace
}  // namespace swtpm_ek
}  // namespace dps::provisioning
