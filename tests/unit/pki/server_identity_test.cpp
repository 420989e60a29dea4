#include "pki/server_identity.hpp"

#include <gtest/gtest.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include "pki/embedded_ca.hpp"
#include "pki/pem.hpp"
#include "pki/x509_util.hpp"
#include "support/test_pki.hpp"

namespace dps::pki {
namespace {

using namespace std::chrono_literals;

std::unique_ptr<EmbeddedCa> make_ca(const std::filesystem::path& dir) {
  auto ca = EmbeddedCa::load_or_create({dir, "", "", 24h});
  if (!ca) throw std::runtime_error(ca.error().internal);
  return std::move(*ca);
}

int verify_as_server(X509* leaf, const EmbeddedCa& ca) {
  X509StorePtr store(X509_STORE_new());
  X509_STORE_add_cert(store.get(), ca.certificate());
  X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  X509_STORE_CTX_init(ctx.get(), store.get(), leaf, nullptr);
  X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_SERVER);
  X509_VERIFY_PARAM_set1_host(X509_STORE_CTX_get0_param(ctx.get()), "localhost", 0);
  X509_VERIFY_PARAM_set1_ip_asc(X509_STORE_CTX_get0_param(ctx.get()), "127.0.0.1");
  return X509_verify_cert(ctx.get());
}

TEST(ServerIdentity, CreatesOnceInTheDataDirectory) {
  test::TempDir dir;
  const auto ca = make_ca(dir.path());
  auto first = load_or_create_server_identity(*ca, dir.path(), "", "");
  ASSERT_TRUE(first) << first.error().internal;
  EXPECT_EQ(first->cert_file, dir.path() / "server.pem");
  EXPECT_EQ(first->key_file, dir.path() / "server.key");
  struct stat st {};
  ASSERT_EQ(::stat(first->key_file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  auto second = load_or_create_server_identity(*ca, dir.path(), "", "");
  ASSERT_TRUE(second) << second.error().internal;
  EXPECT_EQ(second->cert_chain_pem, first->cert_chain_pem);
  EXPECT_EQ(second->key_pem, first->key_pem);
}

// A link planted at server.key pointing outside the data directory: dps refuses to start rather
// than write the new key through it or silently drop it, and the file outside is untouched.
TEST(ServerIdentity, RefusesALinkPlantedAtTheKeyPath) {
  test::TempDir dir;
  test::TempDir elsewhere;
  const auto ca = make_ca(dir.path());
  const auto outside = elsewhere.write("victim", "precious");
  std::filesystem::create_symlink(outside, dir.path() / "server.key");
  auto identity = load_or_create_server_identity(*ca, dir.path(), "", "");
  ASSERT_FALSE(identity);
  EXPECT_NE(identity.error().internal.find("server.key: is a symbolic link"), std::string::npos)
      << identity.error().internal;
  EXPECT_EQ(read_file(outside).value(), "precious");
  EXPECT_TRUE(std::filesystem::is_symlink(dir.path() / "server.key"));
}

TEST(ServerIdentity, DataDirectoryIsCreatedOwnerOnly) {
  test::TempDir dir;
  const auto data = dir.path() / "dps-data";
  const auto ca = make_ca(data);
  struct stat st {};
  ASSERT_EQ(::stat(data.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
}

TEST(ServerIdentity, CertificateIsAServerAndClientCertForLocalhost) {
  test::TempDir dir;
  const auto ca = make_ca(dir.path());
  auto identity = load_or_create_server_identity(*ca, dir.path(), "", "");
  ASSERT_TRUE(identity) << identity.error().internal;
  auto chain = parse_certificates_pem(identity->cert_chain_pem);
  auto key = parse_private_key_pem(identity->key_pem);
  ASSERT_TRUE(chain && key);
  X509* leaf = chain->front().get();
  EXPECT_EQ(X509_check_private_key(leaf, key->get()), 1);
  EXPECT_EQ(common_name(X509_get_subject_name(leaf)), "dps");
  EXPECT_EQ(device_curve(key->get()), EcCurve::P256);
  EXPECT_EQ(X509_get_extended_key_usage(leaf),
            static_cast<uint32_t>(XKU_SSL_SERVER | XKU_SSL_CLIENT));
  EXPECT_EQ(verify_as_server(leaf, *ca), 1);
}

TEST(ServerIdentity, ReplacesACertificateNotIssuedByTheCurrentCa) {
  test::TempDir dir;
  test::TempDir other_ca_dir;
  const auto old_ca = make_ca(other_ca_dir.path());
  auto old_identity = load_or_create_server_identity(*old_ca, dir.path(), "", "");
  ASSERT_TRUE(old_identity) << old_identity.error().internal;

  const auto ca = make_ca(dir.path());
  auto identity = load_or_create_server_identity(*ca, dir.path(), "", "");
  ASSERT_TRUE(identity) << identity.error().internal;
  EXPECT_NE(identity->key_pem, old_identity->key_pem);
  auto chain = parse_certificates_pem(identity->cert_chain_pem);
  ASSERT_TRUE(chain);
  EXPECT_EQ(verify_as_server(chain->front().get(), *ca), 1);
}

TEST(ServerIdentity, LoadsConfiguredFiles) {
  test::TempDir dir;
  const auto ca = make_ca(dir.path());
  const auto root = test::make_root_ca("Operator Root");
  const auto server = test::make_leaf(root, {.common_name = "dps.example.com"});
  const auto cert_file = dir.write("tls.pem", server.cert_pem()).string();
  const auto key_file = dir.write("tls.key", server.key_pem()).string();
  auto identity = load_or_create_server_identity(*ca, dir.path(), cert_file, key_file);
  ASSERT_TRUE(identity) << identity.error().internal;
  EXPECT_EQ(identity->cert_chain_pem, server.cert_pem());
  EXPECT_EQ(identity->key_pem, server.key_pem());
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "server.pem"));
}

TEST(ServerIdentity, RefusesConfiguredKeyThatDoesNotMatch) {
  test::TempDir dir;
  const auto ca = make_ca(dir.path());
  const auto root = test::make_root_ca("Operator Root");
  const auto cert_file = dir.write("tls.pem", test::make_leaf(root).cert_pem()).string();
  const auto key_file = dir.write("tls.key", test::make_leaf(root).key_pem()).string();
  auto identity = load_or_create_server_identity(*ca, dir.path(), cert_file, key_file);
  ASSERT_FALSE(identity);
  EXPECT_NE(identity.error().internal.find("does not match"), std::string::npos);
}

TEST(ServerIdentity, RefusesOnlyOneConfiguredFile) {
  test::TempDir dir;
  const auto ca = make_ca(dir.path());
  auto identity = load_or_create_server_identity(*ca, dir.path(), "tls.pem", "");
  ASSERT_FALSE(identity);
  EXPECT_NE(identity.error().internal.find("set both"), std::string::npos);
}

}  // namespace
}  // namespace dps::pki
