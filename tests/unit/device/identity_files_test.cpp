// The identity directory of dps-device (`provision --save-identity`, `refresh --identity`): what
// is written comes back unchanged, the key stays private, and every broken directory is named.
#include "device/identity_files.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "support/test_pki.hpp"

namespace dps::device {
namespace {

namespace fs = std::filesystem;

class IdentityFiles : public ::testing::Test {
 protected:
  IdentityFiles() : ca_(test::make_root_ca("identity files ca")) {}

  IssuedCredentials issue(const std::string& device_id) const {
    test::LeafOptions options;
    options.common_name = "uuid:" + device_id;
    const auto leaf = test::make_leaf(ca_, options);
    IssuedCredentials identity;
    identity.subject_uuid = device_id;
    identity.cert_chain_pem = leaf.cert_pem();
    identity.private_key_pem = leaf.key_pem();
    identity.trust_ca_pem = ca_.cert_pem();
    return identity;
  }

  static mode_t mode_of(const fs::path& path) {
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
    return st.st_mode & 0777;
  }

  test::TempDir dir_;
  test::TestCa ca_;
  const std::string device_id_ = "2d5e8f4a-6b1c-4e7d-9a3f-0c1b2d3e4f50";
};

TEST_F(IdentityFiles, RoundTripsAndKeepsTheKeyPrivate) {
  const auto identity_dir = dir_.path() / "identity";
  const auto identity = issue(device_id_);
  ASSERT_TRUE(save_identity(identity_dir, identity));
  EXPECT_EQ(mode_of(identity_dir), 0700u);
  EXPECT_EQ(mode_of(identity_dir / identity_file::kKey), 0600u);

  auto loaded = load_identity(identity_dir);
  ASSERT_TRUE(loaded) << loaded.error().internal;
  EXPECT_EQ(loaded->subject_uuid, device_id_);
  EXPECT_EQ(loaded->cert_chain_pem, identity.cert_chain_pem);
  EXPECT_EQ(loaded->private_key_pem, identity.private_key_pem);
  EXPECT_EQ(loaded->trust_ca_pem, identity.trust_ca_pem);
  EXPECT_GT(loaded->not_after, std::chrono::system_clock::now());
}

TEST_F(IdentityFiles, ARenewalReplacesTheSavedIdentity) {
  ASSERT_TRUE(save_identity(dir_.path(), issue(device_id_)));
  const auto renewed = issue(device_id_);
  ASSERT_TRUE(save_identity(dir_.path(), renewed));
  auto loaded = load_identity(dir_.path());
  ASSERT_TRUE(loaded) << loaded.error().internal;
  EXPECT_EQ(loaded->private_key_pem, renewed.private_key_pem);
  EXPECT_EQ(loaded->cert_chain_pem, renewed.cert_chain_pem);
}

TEST_F(IdentityFiles, RefusesToSaveAnIncompleteIdentity) {
  auto no_key = issue(device_id_);
  no_key.private_key_pem.clear();
  EXPECT_EQ(save_identity(dir_.path(), no_key).error().code, ErrorCode::BadRequest);
  auto no_id = issue(device_id_);
  no_id.subject_uuid = "not-a-uuid";
  EXPECT_EQ(save_identity(dir_.path(), no_id).error().code, ErrorCode::BadRequest);
  EXPECT_FALSE(fs::exists(dir_.path() / identity_file::kKey));
}

TEST_F(IdentityFiles, NamesTheMissingFile) {
  ASSERT_TRUE(save_identity(dir_.path(), issue(device_id_)));
  fs::remove(dir_.path() / identity_file::kChain);
  auto loaded = load_identity(dir_.path());
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().code, ErrorCode::BadRequest);
  EXPECT_NE(loaded.error().internal.find("identity-chain.pem: missing"), std::string::npos)
      << loaded.error().internal;
}

TEST_F(IdentityFiles, RefusesAKeyOfAnotherCertificate) {
  ASSERT_TRUE(save_identity(dir_.path(), issue(device_id_)));
  dir_.write(std::string(identity_file::kKey), issue(device_id_).private_key_pem);
  auto loaded = load_identity(dir_.path());
  ASSERT_FALSE(loaded);
  EXPECT_NE(loaded.error().internal.find("identity-key.pem"), std::string::npos)
      << loaded.error().internal;
  EXPECT_EQ(loaded.error().internal.find("PRIVATE KEY"), std::string::npos);
}

TEST_F(IdentityFiles, RefusesADeviceIdThatIsNotAUuid) {
  ASSERT_TRUE(save_identity(dir_.path(), issue(device_id_)));
  dir_.write(std::string(identity_file::kDeviceId), "../../etc\n");
  auto loaded = load_identity(dir_.path());
  ASSERT_FALSE(loaded);
  EXPECT_NE(loaded.error().internal.find("device-id: not a canonical UUID"), std::string::npos)
      << loaded.error().internal;
}

}  // namespace
}  // namespace dps::device
