// The device's ids and keys of TPM attestation: the device id and record id a TPM device derives
// from its EK (stable, distinct, the record id the one dps computes: UUIDv5 in the X.500 name
// space of the EK's SPKI), the EK certificate its challenge carries when it has one, and the
// identity key an activation carries, which the issued certificate must certify.
#include "device/tpm_attestor.hpp"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "device/checks.hpp"
#include "pki/uuid.hpp"
#include "pki/x509_ptr.hpp"
#include "support/test_pki.hpp"
#include "support/tpm_ek_certificate.hpp"
#include "tpm/credential.hpp"
#include "tpm/public_area.hpp"
#include "tpm/public_key.hpp"

namespace dps::device {
namespace {

using nlohmann::json;

TEST(TpmAttestor, DeviceAndRecordIdsComeFromTheEkAndDiffer) {
  auto made = SoftwareTpm::create(SoftwareTpm::EkKind::P256);
  ASSERT_TRUE(made) << made.error().internal;
  const auto ek = made->endorsement_key_tpm2b();
  const std::string device_id = tpm_device_id(ek);
  const std::string record_id = tpm_registration_id(ek);
  EXPECT_TRUE(is_uuid(device_id)) << device_id;
  EXPECT_TRUE(is_uuid(record_id)) << record_id;
  EXPECT_NE(device_id, record_id);
  EXPECT_EQ(tpm_device_id(ek), device_id) << "one TPM, one id";

  auto area = tpm::parse_tpm2b_public(ek);
  ASSERT_TRUE(area) << area.error().internal;
  auto key = tpm::to_evp_pkey(*area);
  ASSERT_TRUE(key) << key.error().internal;
  auto spki = tpm::spki_der(key->get());
  ASSERT_TRUE(spki) << spki.error().internal;
  EXPECT_EQ(record_id, pki::uuid_v5(pki::kNamespaceX500, *spki).to_string());

  auto other = SoftwareTpm::create(SoftwareTpm::EkKind::P256);
  ASSERT_TRUE(other) << other.error().internal;
  EXPECT_NE(tpm_device_id(other->endorsement_key_tpm2b()), device_id);
  EXPECT_TRUE(tpm_device_id(tpm::Bytes{1, 2, 3}).empty());
  EXPECT_TRUE(tpm_registration_id(tpm::Bytes{}).empty());
}

TEST(TpmAttestor, TheChallengeCarriesTheEkCertificateOnlyWhenItHasOne) {
  auto made = SoftwareTpm::create(SoftwareTpm::EkKind::P256);
  ASSERT_TRUE(made) << made.error().internal;
  EXPECT_FALSE(made->challenge_request().contains("ekCertificate"));
  const auto vendor = test::make_root_ca("dps test TPM vendor");
  const tpm::Bytes certificate =
      tpm::test::issue_ek_certificate(vendor, made->endorsement_key_tpm2b());
  made->set_ek_certificate(certificate);

  const SoftwareTpmAttestor attestor(std::move(*made));
  const json request = attestor.challenge_request();
  ASSERT_TRUE(request.contains("ekCertificate"));
  ASSERT_TRUE(request["ekCertificate"].is_binary());
  const tpm::Bytes sent(request["ekCertificate"].get_binary().begin(),
                        request["ekCertificate"].get_binary().end());
  EXPECT_EQ(sent, certificate);
  // An EK certificate of the vendor over this TPM's EK, without a subject (the TCG profile).
  const unsigned char* at = sent.data();
  const pki::X509Ptr cert(d2i_X509(nullptr, &at, static_cast<long>(sent.size())));
  ASSERT_TRUE(cert);
  EXPECT_EQ(X509_NAME_entry_count(X509_get_subject_name(cert.get())), 0);
  EXPECT_EQ(X509_check_issued(vendor.get(), cert.get()), X509_V_OK);
  auto ek = tpm::parse_tpm2b_public(attestor.endorsement_key_tpm2b());
  ASSERT_TRUE(ek) << ek.error().internal;
  auto ek_key = tpm::to_evp_pkey(*ek);
  ASSERT_TRUE(ek_key) << ek_key.error().internal;
  EXPECT_EQ(EVP_PKEY_eq(X509_get0_pubkey(cert.get()), ek_key->get()), 1);
}

TEST(TpmAttestor, TheActivationKeyIsTheKeyOfTheAnswer) {
  auto made = SoftwareTpm::create(SoftwareTpm::EkKind::P256);
  ASSERT_TRUE(made) << made.error().internal;
  SoftwareTpm& tpm = *made;
  // dps's credential for this TPM, made as dps makes it.
  auto ek = tpm::parse_tpm2b_public(tpm.endorsement_key_tpm2b());
  ASSERT_TRUE(ek) << ek.error().internal;
  const tpm::Bytes secret(32, 7);
  auto credential = tpm::make_credential(*ek, tpm.attestation_key().name(), secret);
  ASSERT_TRUE(credential) << credential.error().internal;
  const json body{{"credentialBlob", json::binary(credential->id_object)},
                  {"encryptedSecret", json::binary(credential->encrypted_secret)}};

  SoftwareTpmAttestor attestor(std::move(tpm));
  auto answer = attestor.answer(body, "8a6b3e6e-6a2f-4c0e-9b0e-2f1d5c6e7a10");
  ASSERT_TRUE(answer) << answer.error().internal;
  ASSERT_FALSE(answer->private_key_pem.empty());
  auto spki = activation_key_spki(answer->body);
  ASSERT_TRUE(spki) << spki.error().internal;
  BIO* bio = BIO_new_mem_buf(answer->private_key_pem.data(),
                             static_cast<int>(answer->private_key_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  ASSERT_NE(key, nullptr);
  auto expected = tpm::spki_der(key);
  EVP_PKEY_free(key);
  ASSERT_TRUE(expected) << expected.error().internal;
  EXPECT_EQ(*spki, std::string(expected->begin(), expected->end()));
  EXPECT_EQ(attestor.identity_key().value(), nullptr) << "its key has a PEM: nothing held";

  EXPECT_FALSE(activation_key_spki(json{{"key", "not bytes"}}));
  EXPECT_FALSE(activation_key_spki(json{{"key", json::binary({0, 1, 2})}}));
}

}  // namespace
}  // namespace dps::device
