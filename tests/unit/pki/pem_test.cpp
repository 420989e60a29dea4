#include "pki/pem.hpp"

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

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
