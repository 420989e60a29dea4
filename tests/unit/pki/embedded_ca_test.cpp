#include "pki/embedded_ca.hpp"

#include <gtest/gtest.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cstdlib>

#include "pki/csr.hpp"
#include "pki/pem.hpp"
#include "pki/x509_util.hpp"
#include "support/test_pki.hpp"

namespace dps::pki {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kIssuedDeviceId = "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0";

std::chrono::seconds distance(TimePoint a, TimePoint b) {
  return std::chrono::duration_cast<std::chrono::seconds>(a > b ? a - b : b - a);
}

ValidatedCsr device_csr(EVP_PKEY* key) {
  auto csr = validate_csr(test::make_csr_pem(key, "uuid:" + std::string(kIssuedDeviceId)),
                          kIssuedDeviceId);
  if (!csr) throw std::runtime_error(csr.error().internal);
  return std::move(*csr);
}

// Verifies `chain_pem` (leaf first) up to `root_pem` as a TLS client certificate, now.
std::string verify_chain(const std::string& chain_pem, const std::string& root_pem) {
  auto chain = parse_certificates_pem(chain_pem);
  auto root = parse_certificates_pem(root_pem);
  if (!chain || !root) return "does not parse";
  X509StorePtr store(X509_STORE_new());
  X509_STORE_add_cert(store.get(), root->front().get());
  StackOfX509ViewPtr untrusted(sk_X509_new_null());
  for (size_t i = 1; i < chain->size(); ++i) sk_X509_push(untrusted.get(), (*chain)[i].get());
  X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  X509_STORE_CTX_init(ctx.get(), store.get(), chain->front().get(), untrusted.get());
  X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_CLIENT);
  if (X509_verify_cert(ctx.get()) == 1) return "ok";
  return X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get()));
}

X509Ptr first_cert(const std::string& pem) {
  auto certs = parse_certificates_pem(pem);
  if (!certs) throw std::runtime_error(certs.error().internal);
  return std::move(certs->front());
}

TEST(EmbeddedCa, CreatesFilesOnceAndReloadsTheSameCa) {
  test::TempDir dir;
  auto first = EmbeddedCa::load_or_create({dir.path() / "data", "", "", 24h});
  ASSERT_TRUE(first) << first.error().internal;
  const auto ca_pem = dir.path() / "data" / "ca.pem";
  const auto ca_key = dir.path() / "data" / "ca.key";
  ASSERT_TRUE(std::filesystem::exists(ca_pem));
  ASSERT_TRUE(std::filesystem::exists(ca_key));
  struct stat st {};
  ASSERT_EQ(::stat(ca_key.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const auto written = read_file(ca_pem).value();

  auto second = EmbeddedCa::load_or_create({dir.path() / "data", "", "", 24h});
  ASSERT_TRUE(second) << second.error().internal;
  EXPECT_EQ((*second)->root_pem(), (*first)->root_pem());
  EXPECT_EQ(read_file(ca_pem).value(), written);
  EXPECT_EQ((*second)->intermediates_pem(), "");
}

TEST(EmbeddedCa, CreatedRootHasTheDocumentedProfile) {
  test::TempDir dir;
  auto ca = EmbeddedCa::load_or_create({dir.path(), "", "", 24h});
  ASSERT_TRUE(ca) << ca.error().internal;
  X509* root = (*ca)->certificate();
  EXPECT_EQ(common_name(X509_get_subject_name(root)), "dps embedded CA");
  EXPECT_TRUE(is_self_signed(root));
  EXPECT_TRUE(X509_get_extension_flags(root) & EXFLAG_CA);
  EXPECT_EQ(X509_get_key_usage(root), static_cast<uint32_t>(KU_KEY_CERT_SIGN | KU_CRL_SIGN));
  int critical = 0;
  BASIC_CONSTRAINTS* bc = static_cast<BASIC_CONSTRAINTS*>(
      X509_get_ext_d2i(root, NID_basic_constraints, &critical, nullptr));
  ASSERT_NE(bc, nullptr);
  BASIC_CONSTRAINTS_free(bc);
  EXPECT_EQ(critical, 1);
  EXPECT_EQ(device_curve(X509_get0_pubkey(root)), EcCurve::P256);
  const auto lifetime = *to_time_point(X509_get0_notAfter(root)) - std::chrono::system_clock::now();
  EXPECT_GT(lifetime, std::chrono::days(365 * 20 - 2));
  EXPECT_LT(lifetime, std::chrono::days(365 * 20 + 6));
}

TEST(EmbeddedCa, IssuedCertificateFollowsTheIdentityProfile) {
  test::TempDir dir;
  auto ca = EmbeddedCa::load_or_create({dir.path(), "", "", std::chrono::days(30)});
  ASSERT_TRUE(ca) << ca.error().internal;
  const auto key = test::make_key();
  const auto csr = device_csr(key.get());
  const auto now = std::chrono::system_clock::now();
  auto issued = (*ca)->sign(csr);
  ASSERT_TRUE(issued) << issued.error().internal;
  EXPECT_EQ(issued->chain_pem, issued->leaf_pem);  // the CA is the root: no intermediates
  EXPECT_EQ(issued->root_pem, (*ca)->root_pem());
  EXPECT_EQ(verify_chain(issued->chain_pem, issued->root_pem), "ok");

  const X509Ptr leaf = first_cert(issued->leaf_pem);
  EXPECT_EQ(X509_NAME_cmp(X509_get_subject_name(leaf.get()),
                          X509_REQ_get_subject_name(csr.request.get())),
            0);
  EXPECT_EQ(X509_NAME_entry_count(X509_get_subject_name(leaf.get())), 1);
  EXPECT_EQ(EVP_PKEY_eq(X509_get0_pubkey(leaf.get()), key.get()), 1);
  EXPECT_EQ(X509_get_signature_nid(leaf.get()), NID_ecdsa_with_SHA256);

  const ASN1_INTEGER* serial = X509_get0_serialNumber(leaf.get());
  EXPECT_EQ(ASN1_STRING_length(serial), 16);
  EXPECT_EQ(ASN1_STRING_type(serial), V_ASN1_INTEGER);  // V_ASN1_NEG_INTEGER when negative

  EXPECT_EQ(X509_get_key_usage(leaf.get()),
            static_cast<uint32_t>(KU_DIGITAL_SIGNATURE | KU_KEY_AGREEMENT));
  // Exactly two critical extensions: basicConstraints CA:FALSE and keyUsage.
  const int first_critical = X509_get_ext_by_critical(leaf.get(), 1, -1);
  EXPECT_EQ(first_critical, X509_get_ext_by_NID(leaf.get(), NID_basic_constraints, -1));
  EXPECT_EQ(X509_get_ext_by_critical(leaf.get(), 1, first_critical),
            X509_get_ext_by_NID(leaf.get(), NID_key_usage, -1));
  EXPECT_FALSE(X509_get_extension_flags(leaf.get()) & EXFLAG_CA);
  EXPECT_TRUE(X509_get_extension_flags(leaf.get()) & EXFLAG_BCONS);
  EXPECT_EQ(X509_get_extended_key_usage(leaf.get()),
            static_cast<uint32_t>(XKU_SSL_CLIENT | XKU_SSL_SERVER));
  EXTENDED_KEY_USAGE* eku = static_cast<EXTENDED_KEY_USAGE*>(
      X509_get_ext_d2i(leaf.get(), NID_ext_key_usage, nullptr, nullptr));
  ASSERT_NE(eku, nullptr);
  std::vector<std::string> oids;
  for (int i = 0; i < sk_ASN1_OBJECT_num(eku); ++i) {
    char text[64];
    OBJ_obj2txt(text, sizeof text, sk_ASN1_OBJECT_value(eku, i), 1);
    oids.emplace_back(text);
  }
  EXTENDED_KEY_USAGE_free(eku);
  EXPECT_EQ(oids, (std::vector<std::string>{"1.3.6.1.5.5.7.3.2", "1.3.6.1.5.5.7.3.1",
                                            "1.3.6.1.4.1.44924.1.6"}));

  const ASN1_OCTET_STRING* akid = X509_get0_authority_key_id(leaf.get());
  const ASN1_OCTET_STRING* skid = X509_get0_subject_key_id((*ca)->certificate());
  ASSERT_NE(akid, nullptr);
  ASSERT_NE(skid, nullptr);
  EXPECT_EQ(ASN1_OCTET_STRING_cmp(akid, skid), 0);

  EXPECT_LT(distance(*to_time_point(X509_get0_notBefore(leaf.get())), now - 1h), 60s);
  EXPECT_LT(distance(*to_time_point(X509_get0_notAfter(leaf.get())), now + std::chrono::days(30)),
            60s);
}

TEST(EmbeddedCa, SubjectIsOnlyTheCheckedDeviceIdWhateverElseTheCsrNames) {
  // A device must not get a certificate naming anything but itself (an O, OU or second CN of its
  // choosing would reach every peer that trusts the CA).
  test::TempDir dir;
  auto ca = EmbeddedCa::load_or_create({dir.path(), "", "", 24h});
  ASSERT_TRUE(ca) << ca.error().internal;
  const auto key = test::make_key();
  test::CsrOptions options;
  options.extra_subject = {{"O", "Hub Operator"}, {"OU", "Gateways"}};
  auto csr =
      validate_csr(test::make_csr_pem(key.get(), "uuid:" + std::string(kIssuedDeviceId), options),
                   kIssuedDeviceId);
  ASSERT_TRUE(csr) << csr.error().internal;
  auto issued = (*ca)->sign(*csr);
  ASSERT_TRUE(issued) << issued.error().internal;
  const X509Ptr leaf = first_cert(issued->leaf_pem);
  X509_NAME* subject = X509_get_subject_name(leaf.get());
  ASSERT_EQ(X509_NAME_entry_count(subject), 1);
  EXPECT_EQ(common_name(subject), "uuid:" + std::string(kIssuedDeviceId));
}

TEST(EmbeddedCa, SignsWithADigestAsStrongAsItsKey) {
  test::TempDir dir;
  const auto root = test::make_root_ca("P-384 Operator Root", {.key_type = test::KeyType::P384});
  const auto cert_file = dir.write("ca.pem", root.chain_pem());
  const auto key_file = dir.write("ca.key", root.key_pem());
  auto ca = EmbeddedCa::load_or_create({dir.path(), cert_file.string(), key_file.string(), 24h});
  ASSERT_TRUE(ca) << ca.error().internal;
  const auto key = test::make_key();
  auto issued = (*ca)->sign(device_csr(key.get()));
  ASSERT_TRUE(issued) << issued.error().internal;
  EXPECT_EQ(X509_get_signature_nid(first_cert(issued->leaf_pem).get()), NID_ecdsa_with_SHA384);
}

TEST(EmbeddedCa, EverySignatureGetsAFreshSerial) {
  test::TempDir dir;
  auto ca = EmbeddedCa::load_or_create({dir.path(), "", "", 24h});
  ASSERT_TRUE(ca) << ca.error().internal;
  const auto key = test::make_key();
  const auto csr = device_csr(key.get());
  auto a = (*ca)->sign(csr);
  auto b = (*ca)->sign(csr);
  ASSERT_TRUE(a && b);
  EXPECT_NE(serial_hex(first_cert(a->leaf_pem).get()), serial_hex(first_cert(b->leaf_pem).get()));
}

// A configured intermediate CA (file = intermediate, then root) that expires in two days.
struct ConfiguredIntermediate {
  test::TempDir dir;
  test::TestCa root = test::make_root_ca("Operator Root");
  test::TestCa intermediate = test::make_intermediate_ca(
      root, "Operator Issuing CA", {{-std::chrono::days(1), std::chrono::days(2)}});
  std::string cert_file = dir.write("ca-chain.pem", intermediate.chain_pem()).string();
  std::string key_file = dir.write("ca.key", intermediate.key_pem()).string();
};

TEST(EmbeddedCa, ConfiguredChainSendsIntermediatesAndTheRoot) {
  ConfiguredIntermediate operator_ca;
  auto ca = EmbeddedCa::load_or_create(
      {operator_ca.dir.path(), operator_ca.cert_file, operator_ca.key_file, 24h});
  ASSERT_TRUE(ca) << ca.error().internal;
  const auto key = test::make_key(test::KeyType::P384);
  auto issued = (*ca)->sign(device_csr(key.get()));
  ASSERT_TRUE(issued) << issued.error().internal;
  EXPECT_EQ(issued->chain_pem, issued->leaf_pem + operator_ca.intermediate.cert_pem());
  EXPECT_EQ(issued->root_pem, operator_ca.root.cert_pem());
  EXPECT_EQ(verify_chain(issued->chain_pem, issued->root_pem), "ok");
}

TEST(EmbeddedCa, ClampsLifetimeToTheCaNotAfter) {
  ConfiguredIntermediate operator_ca;
  auto ca = EmbeddedCa::load_or_create({operator_ca.dir.path(), operator_ca.cert_file,
                                        operator_ca.key_file, std::chrono::days(365)});
  ASSERT_TRUE(ca) << ca.error().internal;
  const auto key = test::make_key();
  auto issued = (*ca)->sign(device_csr(key.get()));
  ASSERT_TRUE(issued) << issued.error().internal;
  const X509Ptr leaf = first_cert(issued->leaf_pem);
  EXPECT_EQ(ASN1_TIME_compare(X509_get0_notAfter(leaf.get()),
                              X509_get0_notAfter(operator_ca.intermediate.get())),
            0);
}

TEST(EmbeddedCa, ExpiredCaRefusesToSign) {
  test::TempDir dir;
  const auto root =
      test::make_root_ca("Expired Root", {{-std::chrono::days(10), -std::chrono::days(1)}});
  const auto cert_file = dir.write("ca.pem", root.cert_pem()).string();
  const auto key_file = dir.write("ca.key", root.key_pem()).string();
  auto ca = EmbeddedCa::load_or_create({dir.path(), cert_file, key_file, 24h});
  ASSERT_TRUE(ca) << ca.error().internal;
  const auto key = test::make_key();
  auto issued = (*ca)->sign(device_csr(key.get()));
  ASSERT_FALSE(issued);
  EXPECT_EQ(issued.error().code, ErrorCode::Internal);
  EXPECT_EQ(issued.error().peer_message(), "certificate authority unavailable");
}

struct BadSetup {
  std::string name;
  std::string cert_pem;  // empty: do not write the file
  std::string key_pem;
  std::string expected_substring;
};

class EmbeddedCaRefuses : public testing::TestWithParam<BadSetup> {};

TEST_P(EmbeddedCaRefuses, WithAMessageNamingTheProblem) {
  test::TempDir dir;
  const auto cert_file = dir.path() / "ca.pem";
  const auto key_file = dir.path() / "ca.key";
  if (!GetParam().cert_pem.empty()) dir.write("ca.pem", GetParam().cert_pem);
  if (!GetParam().key_pem.empty()) dir.write("ca.key", GetParam().key_pem);
  auto ca = EmbeddedCa::load_or_create({dir.path(), cert_file.string(), key_file.string(), 24h});
  ASSERT_FALSE(ca);
  EXPECT_NE(ca.error().internal.find(GetParam().expected_substring), std::string::npos)
      << ca.error().internal;
}

std::vector<BadSetup> bad_setups() {
  const auto root = test::make_root_ca("Setup Root");
  const auto other = test::make_root_ca("Other Root");
  const auto intermediate = test::make_intermediate_ca(root, "Setup Intermediate");
  const auto leaf = test::make_leaf(root);
  return {
      {"MissingCertificate", "", root.key_pem(), "cannot open"},
      {"MissingKey", root.cert_pem(), "", "cannot open"},
      {"KeyDoesNotMatch", root.cert_pem(), other.key_pem(), "the key does not match"},
      {"NotACa", leaf.cert_pem(), leaf.key_pem(), "is not a CA"},
      {"NoSelfSignedRoot", intermediate.cert_pem(), intermediate.key_pem(),
       "does not end with a self-signed root"},
      {"ChainOutOfOrder", intermediate.cert_pem() + other.cert_pem(), intermediate.key_pem(),
       "is not issued by the certificate after it"},
      {"GarbageCertificate", "not a certificate", root.key_pem(), "no PEM certificate found"},
  };
}

INSTANTIATE_TEST_SUITE_P(Setups, EmbeddedCaRefuses, testing::ValuesIn(bad_setups()),
                         [](const auto& param_info) { return param_info.param.name; });

TEST(EmbeddedCa, RefusesDefaultKeyWithoutCertificate) {
  test::TempDir dir;
  dir.write("ca.key", test::make_root_ca("Lonely").key_pem());
  auto ca = EmbeddedCa::load_or_create({dir.path(), "", "", 24h});
  ASSERT_FALSE(ca);
  EXPECT_NE(ca.error().internal.find("exists without"), std::string::npos) << ca.error().internal;
}

}  // namespace
}  // namespace dps::pki
