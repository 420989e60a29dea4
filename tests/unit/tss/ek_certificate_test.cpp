// The EK certificate a real TPM holds, read by tss::TpmDevice and sent in its challenge request:
// on a swtpm manufactured by Debian's swtpm_setup (the RSA EK's certificate in NV, issued by
// swtpm's local CA), and on a blank swtpm given a P-256 EK certificate at the TCG index as a TPM
// maker stores one. dps's own reader of the request takes what the device sends; NV indexes
// larger than one TPM2_NV_Read are read whole; no index, or one never written, is no
// certificate.
#include <gtest/gtest.h>
#include <openssl/x509.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "pki/pem.hpp"
#include "provisioning/tpm_attestation.hpp"
#include "support/tpm_ek_certificate.hpp"
#include "support/tpm_tools.hpp"
#include "tpm/public_area.hpp"
#include "tpm/public_key.hpp"
#include "tss/nv.hpp"
#include "tss/tpm_device.hpp"

namespace dps::tss {
namespace {

using nlohmann::json;
using tpm::test::kEccEkCertificateIndex;
using tpm::test::kRsaEkCertificateIndex;

// The EK certificate the device's challenge request carries, as dps reads it; empty for none.
tpm::Bytes sent_certificate(const TpmDevice& device) {
  auto request = provisioning::tpm_attestation::read_challenge_request(device.challenge_request());
  EXPECT_TRUE(request) << request.error().internal;
  return request ? request->ek_certificate : tpm::Bytes{};
}

// Whether `der` is one X.509 certificate whose key is the EK `ek_tpm2b`.
testing::AssertionResult certifies_the_ek(const tpm::Bytes& der, const tpm::Bytes& ek_tpm2b) {
  const unsigned char* at = der.data();
  const pki::X509Ptr cert(d2i_X509(nullptr, &at, static_cast<long>(der.size())));
  if (!cert || at != der.data() + der.size()) {
    return testing::AssertionFailure() << "not one DER X.509 certificate";
  }
  auto area = tpm::parse_tpm2b_public(ek_tpm2b);
  if (!area) return testing::AssertionFailure() << area.error().internal;
  auto ek = tpm::to_evp_pkey(*area);
  if (!ek) return testing::AssertionFailure() << ek.error().internal;
  if (EVP_PKEY_eq(X509_get0_pubkey(cert.get()), ek->get()) != 1) {
    return testing::AssertionFailure() << "its key is not the EK";
  }
  return testing::AssertionSuccess();
}

TEST(TpmEkCertificate, TheRsaEkCertificateSwtpmSetupStoredIsSentAndChainsToItsLocalCa) {
  ASSERT_TRUE(tpm::test::have_programs({"swtpm", "swtpm_setup", "tpm2_nvread"}));
  const tpm::test::ManufacturedTpmState state;
  ASSERT_TRUE(state.ok()) << state.error();
  const tpm::test::Swtpm tpm(state.state_dir());
  ASSERT_TRUE(tpm.running()) << tpm.error();
  const auto read = tpm.tools("tpm2_nvread 0x01c00002 -o ek-cert.der");
  ASSERT_EQ(read.exit_code, 0) << read.output;
  const tpm::Bytes in_nv = tpm::test::read_file(tpm.file("ek-cert.der"));

  {
    auto device = TpmDevice::open(tpm.tcti(), EkKind::Rsa2048);
    ASSERT_TRUE(device) << device.error().internal;
    EXPECT_EQ(device->ek_certificate_problem(), "");
    const tpm::Bytes sent = sent_certificate(*device);
    EXPECT_EQ(sent, in_nv);
    EXPECT_TRUE(certifies_the_ek(sent, device->endorsement_key_tpm2b()));
    const unsigned char* at = sent.data();
    const pki::X509Ptr parsed(d2i_X509(nullptr, &at, static_cast<long>(sent.size())));
    ASSERT_TRUE(parsed);
    EXPECT_TRUE(dps::test::chains_to(*pki::to_pem(parsed.get()), state.vendor_chain_pem()));

    // A certificate from elsewhere replaces it; none leaves the member out.
    device->set_ek_certificate({0x30, 0x00});
    EXPECT_EQ(sent_certificate(*device), (tpm::Bytes{0x30, 0x00}));
    device->set_ek_certificate({});
    EXPECT_FALSE(device->challenge_request().contains("ekCertificate"));
  }
  // swtpm_setup stores no P-256 EK certificate (its ECC EK is P-384): no index, no certificate.
  auto ecc = TpmDevice::open(tpm.tcti(), EkKind::P256);
  ASSERT_TRUE(ecc) << ecc.error().internal;
  EXPECT_FALSE(ecc->challenge_request().contains("ekCertificate"));
  EXPECT_EQ(ecc->ek_certificate_problem(), "");
}

TEST(TpmEkCertificate, AP256EkCertificateInNvIsSentWithoutTheIndexPadding) {
  ASSERT_TRUE(tpm::test::have_programs({"swtpm", "tpm2_nvdefine", "tpm2_nvwrite"}));
  const tpm::test::Swtpm tpm;
  ASSERT_TRUE(tpm.running()) << tpm.error();
  tpm::Bytes ek;
  {
    auto blank = TpmDevice::open(tpm.tcti(), EkKind::P256);
    ASSERT_TRUE(blank) << blank.error().internal;
    EXPECT_FALSE(blank->challenge_request().contains("ekCertificate"));
    EXPECT_EQ(blank->ek_certificate_problem(), "");
    ek = blank->endorsement_key_tpm2b();
  }
  const auto vendor = dps::test::make_root_ca("dps test TPM vendor");
  const tpm::Bytes certificate = tpm::test::issue_ek_certificate(vendor, ek);
  // Stored in a larger index, as some TPMs keep it: what follows the DER is not sent.
  tpm::Bytes padded = certificate;
  padded.resize(certificate.size() + 100, 0x00);
  ASSERT_TRUE(tpm::test::store_in_nv(tpm, kEccEkCertificateIndex, padded));
  // Garbage where the RSA EK's certificate belongs: no certificate, and a reason.
  ASSERT_TRUE(tpm::test::store_in_nv(tpm, kRsaEkCertificateIndex, tpm::Bytes(64, 0xa5)));
  {
    auto device = TpmDevice::open(tpm.tcti(), EkKind::P256);
    ASSERT_TRUE(device) << device.error().internal;
    EXPECT_EQ(device->endorsement_key_tpm2b(), ek);
    EXPECT_EQ(sent_certificate(*device), certificate);
    EXPECT_TRUE(certifies_the_ek(device->ek_certificate(), ek));
  }
  auto rsa = TpmDevice::open(tpm.tcti(), EkKind::Rsa2048);
  ASSERT_TRUE(rsa) << rsa.error().internal;
  EXPECT_FALSE(rsa->challenge_request().contains("ekCertificate"));
  EXPECT_EQ(rsa->ek_certificate_problem(), "NV index 0x01c00002: not an X.509 certificate (DER)");
}

TEST(TpmNvIndex, IsReadWholeAcrossChunksAndAnUnwrittenIndexIsNone) {
  ASSERT_TRUE(tpm::test::have_programs({"swtpm", "tpm2_nvdefine", "tpm2_nvwrite"}));
  const tpm::test::Swtpm tpm;
  ASSERT_TRUE(tpm.running()) << tpm.error();
  // More than one of swtpm's 1024-byte reads, not a multiple of them (and no more than the 2048
  // bytes an index of swtpm holds).
  tpm::Bytes data(2000);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 7 + i / 256);
  ASSERT_TRUE(tpm::test::store_in_nv(tpm, 0x01500010, data));
  // One only the owner reads (no authread), one never written.
  tpm::test::write_file(tpm.file("owner.bin"), tpm::Bytes(40, 0x5a));
  const auto defined = tpm.tools(
      "tpm2_nvdefine 0x01500011 -C o -s 40 -a 'ownerread|ownerwrite' && "
      "tpm2_nvwrite 0x01500011 -C o -i owner.bin && "
      "tpm2_nvdefine 0x01500012 -C o -s 32 -a 'ownerread|ownerwrite|authread'");
  ASSERT_EQ(defined.exit_code, 0) << defined.output;

  auto context = EsysContext::open(tpm.tcti());
  ASSERT_TRUE(context) << context.error().internal;
  auto whole = read_nv_index(context->get(), 0x01500010);
  ASSERT_TRUE(whole) << whole.error().internal;
  ASSERT_TRUE(whole->has_value());
  EXPECT_EQ(**whole, data);
  auto by_owner = read_nv_index(context->get(), 0x01500011);
  ASSERT_TRUE(by_owner) << by_owner.error().internal;
  EXPECT_EQ(*by_owner, tpm::Bytes(40, 0x5a));
  auto unwritten = read_nv_index(context->get(), 0x01500012);
  ASSERT_TRUE(unwritten) << unwritten.error().internal;
  EXPECT_FALSE(unwritten->has_value());
  auto absent = read_nv_index(context->get(), 0x01500013);
  ASSERT_TRUE(absent) << absent.error().internal;
  EXPECT_FALSE(absent->has_value());
}

}  // namespace
}  // namespace dps::tss
