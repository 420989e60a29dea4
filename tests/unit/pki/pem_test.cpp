#include "pki/pem.hpp"

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pki/individual_verdict.hpp"
#include "pki/x509_util.hpp"
#include "support/test_pki.hpp"

namespace dps::pki {
namespace {

TEST(ParseCertificatesPem, ReturnsEveryCertificateInOrderIgnoringText) {
  const auto root = test::make_root_ca("Pem Root");
  const auto intermediate = test::make_intermediate_ca(root, "Pem Intermediate");
  auto certs = parse_certificates_pem("comment\n" + intermediate.chain_pem() + "trailer\n");
  ASSERT_TRUE(certs) << certs.error().internal;
  ASSERT_EQ(certs->size(), 2u);
  EXPECT_EQ(X509_cmp((*certs)[0].get(), intermediate.get()), 0);
  EXPECT_EQ(X509_cmp((*certs)[1].get(), root.get()), 0);
  std::vector<X509*> views{(*certs)[0].get(), (*certs)[1].get()};
  EXPECT_EQ(to_pem(views), intermediate.chain_pem());
}

TEST(ParseCertificatesPem, RefusesEmptyAndCorruptInput) {
  auto empty = parse_certificates_pem("");
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, ErrorCode::BadRequest);
  auto corrupt =
      parse_certificates_pem("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
  ASSERT_FALSE(corrupt);
  EXPECT_EQ(corrupt.error().peer_message(), "certificate PEM does not parse");
  EXPECT_EQ(ERR_peek_error(), 0u);  // the error queue was drained
}

TEST(CountCertificateBlocks, CountsEveryBlockParsingWouldReadWithoutDecodingAny) {
  const auto root = test::make_root_ca("Pem Count Root");
  const auto intermediate = test::make_intermediate_ca(root, "Pem Count Intermediate");
  EXPECT_EQ(count_certificate_blocks(""), 0u);
  EXPECT_EQ(count_certificate_blocks(intermediate.key_pem()), 0u);  // a key is no certificate
  EXPECT_EQ(count_certificate_blocks("text\n" + intermediate.chain_pem() + intermediate.key_pem()),
            2u);
  // Blocks that would not parse count all the same: the count bounds the parsing to come.
  const std::string bogus = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
  EXPECT_EQ(count_certificate_blocks(bogus + bogus + bogus), 3u);
  // The older label OpenSSL reads as a certificate too.
  std::string old_label = root.cert_pem();
  old_label.replace(old_label.find("BEGIN CERTIFICATE"), 17, "BEGIN X509 CERTIFICATE");
  old_label.replace(old_label.find("END CERTIFICATE"), 15, "END X509 CERTIFICATE");
  auto parsed = parse_certificates_pem(old_label + intermediate.cert_pem());
  ASSERT_TRUE(parsed) << parsed.error().internal;
  EXPECT_EQ(count_certificate_blocks(old_label + intermediate.cert_pem()), parsed->size());
}

TEST(ParseFirstCertificatePem, ReadsOnlyTheFirst) {
  const auto root = test::make_root_ca("Pem First Root");
  const auto intermediate = test::make_intermediate_ca(root, "Pem First Intermediate");
  // What follows the first is not read: a corrupt second block does not matter.
  auto first =
      parse_first_certificate_pem("comment\n" + intermediate.cert_pem() +
                                  "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
  ASSERT_TRUE(first) << first.error().internal;
  EXPECT_EQ(X509_cmp(first->get(), intermediate.get()), 0);
  auto none = parse_first_certificate_pem(intermediate.key_pem());
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().peer_message(), "no PEM certificate found");
  auto corrupt =
      parse_first_certificate_pem("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
  ASSERT_FALSE(corrupt);
  EXPECT_EQ(corrupt.error().peer_message(), "certificate PEM does not parse");
  EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(AllowsClientAuth, OnlyAnExtendedKeyUsageNamingClientAuth) {
  const auto root = test::make_root_ca("Pem Eku Root");
  EXPECT_TRUE(allows_client_auth(test::make_leaf(root).get()));
  test::LeafOptions server_only;
  server_only.client_auth_eku = false;
  EXPECT_FALSE(allows_client_auth(test::make_leaf(root, server_only).get()));
  test::LeafOptions no_eku;
  no_eku.client_auth_eku = false;
  no_eku.server_auth_eku = false;
  EXPECT_FALSE(allows_client_auth(test::make_leaf(root, no_eku).get()));
}

TEST(JudgeIndividually, DisabledFirstThenTheLeafsValidity) {
  using std::chrono::hours;
  const auto now = std::chrono::system_clock::now();
  const std::optional<TimePoint> before = now - hours(1);
  const std::optional<TimePoint> after = now + hours(1);
  EXPECT_EQ(judge_individually(false, before, after, now), IndividualVerdict::Admits);
  EXPECT_EQ(judge_individually(true, before, after, now), IndividualVerdict::Disabled);
  EXPECT_EQ(judge_individually(true, std::nullopt, std::nullopt, now), IndividualVerdict::Disabled);
  EXPECT_EQ(judge_individually(false, after, after, now), IndividualVerdict::Expired);
  EXPECT_EQ(judge_individually(false, before, before, now), IndividualVerdict::Expired);
  EXPECT_EQ(judge_individually(false, std::nullopt, after, now), IndividualVerdict::Expired);
  EXPECT_EQ(judge_individually(false, before, std::nullopt, now), IndividualVerdict::Expired);
  EXPECT_EQ(judge_individually(false, now, now, now), IndividualVerdict::Admits);  // inclusive
}

TEST(ParsePrivateKeyPem, RoundTripsAndRefusesEncryptedKeysWithoutPrompting) {
  const auto key = test::make_key();
  auto pem = private_key_to_pem(key.get());
  ASSERT_TRUE(pem);
  auto parsed = parse_private_key_pem(*pem);
  ASSERT_TRUE(parsed) << parsed.error().internal;
  EXPECT_EQ(EVP_PKEY_eq(parsed->get(), key.get()), 1);

  BioPtr bio(BIO_new(BIO_s_mem()));
  char pass[] = "secret";
  ASSERT_EQ(PEM_write_bio_PrivateKey(bio.get(), key.get(), EVP_aes_128_cbc(),
                                     reinterpret_cast<unsigned char*>(pass), 6, nullptr, nullptr),
            1);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  auto encrypted = parse_private_key_pem(std::string_view(data, static_cast<size_t>(n)));
  ASSERT_FALSE(encrypted);
  EXPECT_EQ(encrypted.error().peer_message(), "private key PEM does not parse");
}

TEST(OpenSslErrorString, DrainsTheQueue) {
  ERR_put_error(ERR_LIB_X509, 0, X509_R_CERT_ALREADY_IN_HASH_TABLE, __FILE__, __LINE__);
  EXPECT_NE(openssl_error_string(), "no OpenSSL error detail");
  EXPECT_EQ(openssl_error_string(), "no OpenSSL error detail");
}

TEST(WriteFile, SecretsAre0600AndRewritesReplaceAtomically) {
  test::TempDir dir;
  const auto path = dir.path() / "key.pem";
  ASSERT_TRUE(write_file(path, "first", FileMode::Secret));
  ASSERT_TRUE(write_file(path, "second", FileMode::Secret));
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(read_file(path).value(), "second");
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), {}), 1);  // no temp
}

// The temporary name used to be predictable (<path>.tmp.<pid>) and opened without O_EXCL: a link
// planted there made dps write the key into the file the link pointed at.
TEST(WriteFile, NeverWritesThroughALinkPlantedAtATemporaryName) {
  test::TempDir dir;
  const auto outside = dir.write("outside.txt", "precious");
  const auto path = dir.path() / "ca.key";
  auto planted = path;
  planted += ".tmp." + std::to_string(::getpid());
  std::filesystem::create_symlink(outside, planted);
  ASSERT_TRUE(write_file(path, "PRIVATE KEY", FileMode::Secret));
  EXPECT_EQ(read_file(outside).value(), "precious");
  EXPECT_EQ(read_file(path).value(), "PRIVATE KEY");
}

TEST(WriteFile, RefusesASymlinkAtThePath) {
  test::TempDir dir;
  const auto outside = dir.write("outside.txt", "precious");
  const auto path = dir.path() / "admin.token";
  std::filesystem::create_symlink(outside, path);
  auto r = write_file(path, "token", FileMode::Secret);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().internal.find("symbolic link"), std::string::npos);
  EXPECT_TRUE(std::filesystem::is_symlink(path));
  EXPECT_EQ(read_file(outside).value(), "precious");
}

TEST(ReadFile, NamesTheMissingPath) {
  auto r = read_file("/nonexistent/dps/file.pem");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().internal.find("/nonexistent/dps/file.pem"), std::string::npos);
}

}  // namespace
}  // namespace dps::pki

namespace dps::pki {
namespace {

// RFC 5280 §4.1.2.5: 99991231235959Z means "no well-defined expiration", common on factory
// device certificates. In nanoseconds since 1970 it does not fit 64 bits; read as the past, it
// would close every such device at once under disconnectOnExpiredCertificate.
TEST(ToTimePoint, NoExpirationDateReadsAsTheFarFutureNotThePast) {
  Asn1TimePtr never(ASN1_TIME_new());
  ASSERT_EQ(ASN1_TIME_set_string(never.get(), "99991231235959Z"), 1);
  const auto when = to_time_point(never.get());
  ASSERT_TRUE(when);
  EXPECT_GT(*when, std::chrono::system_clock::now() + std::chrono::days(365 * 50));
  EXPECT_GT(*when - std::chrono::system_clock::from_time_t(0), std::chrono::seconds(0));

  Asn1TimePtr old(ASN1_TIME_new());
  ASSERT_EQ(ASN1_TIME_set_string(old.get(), "19500101000000Z"), 1);
  const auto then = to_time_point(old.get());
  ASSERT_TRUE(then);
  EXPECT_LT(*then, *when);
  EXPECT_GT(*when - *then, std::chrono::hours(24 * 365 * 100)) << "no overflow in differences";
}

}  // namespace
}  // namespace dps::pki
