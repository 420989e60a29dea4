#include "common/private_file.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

namespace dps {
namespace {

namespace fs = std::filesystem;

// common_test links dps_common alone, so it keeps its own throw-away directory.
class PrivateFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "dps-private-file-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
  }
  void TearDown() override { fs::remove_all(root_); }

  static std::string slurp(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
  }
  static mode_t mode_of(const fs::path& file) {
    struct stat st {};
    EXPECT_EQ(::lstat(file.c_str(), &st), 0) << file;
    return st.st_mode & 07777;
  }

  fs::path root_;
};

TEST_F(PrivateFileTest, SymlinkAtTargetIsRefusedAndNotFollowed) {
  const fs::path outside = root_ / "outside.txt";
  std::ofstream(outside) << "precious";
  const fs::path key = root_ / "ca.key";
  fs::create_symlink(outside, key);

  auto written = write_file_atomically(key, "PRIVATE KEY", kSecretFileMode);
  ASSERT_FALSE(written);
  EXPECT_NE(written.error().internal.find("symbolic link"), std::string::npos);
  EXPECT_NE(written.error().internal.find(key.string()), std::string::npos);
  EXPECT_EQ(slurp(outside), "precious");
  EXPECT_TRUE(fs::is_symlink(key));
  EXPECT_EQ(std::distance(fs::directory_iterator(root_), {}), 2);  // no temporary left behind
}

TEST_F(PrivateFileTest, DanglingSymlinkAtTargetCreatesNothingOutside) {
  const fs::path outside = root_ / "elsewhere" / "stolen.key";
  fs::create_directory(root_ / "elsewhere");
  const fs::path key = root_ / "token-signing.key";
  fs::create_symlink(outside, key);

  EXPECT_FALSE(write_file_atomically(key, "PRIVATE KEY", kSecretFileMode));
  auto created = create_file_exclusively(key, "PRIVATE KEY", kSecretFileMode);
  ASSERT_TRUE(created) << created.error().internal;
  EXPECT_FALSE(*created);  // something is there: link() neither follows nor replaces it
  EXPECT_FALSE(fs::exists(outside));
}

// The umask may neither widen nor narrow the mode: a key is 0600, a certificate 0644.
TEST_F(PrivateFileTest, FilesGetExactlyTheirModeWhateverTheUmask) {
  for (mode_t mask : {mode_t{0}, mode_t{077}}) {
    const mode_t previous = ::umask(mask);
    ASSERT_TRUE(write_file_atomically(root_ / "admin.token", "t1", kSecretFileMode));
    ASSERT_TRUE(write_file_atomically(root_ / "admin.token", "t2", kSecretFileMode));
    ASSERT_TRUE(write_file_atomically(root_ / "jwks.json", "{}", kPublicFileMode));
    ::umask(previous);
    EXPECT_EQ(mode_of(root_ / "admin.token"), 0600u) << "umask " << mask;
    EXPECT_EQ(mode_of(root_ / "jwks.json"), 0644u) << "umask " << mask;
    EXPECT_EQ(slurp(root_ / "admin.token"), "t2");
  }
}

TEST_F(PrivateFileTest, CreateExclusivelyKeepsWhatIsThere) {
  const fs::path key = root_ / "api-token-signing.key";
  auto first = create_file_exclusively(key, "mine", kSecretFileMode);
  ASSERT_TRUE(first && *first);
  auto second = create_file_exclusively(key, "theirs", kSecretFileMode);
  ASSERT_TRUE(second);
  EXPECT_FALSE(*second);
  EXPECT_EQ(slurp(key), "mine");
  EXPECT_EQ(mode_of(key), 0600u);
  EXPECT_EQ(std::distance(fs::directory_iterator(root_), {}), 1);
}

TEST_F(PrivateFileTest, NewDataDirectoryIsOwnerOnly) {
  const fs::path dir = root_ / "a" / "dps-data";
  auto made = ensure_private_directory(dir);
  ASSERT_TRUE(made) << made.error().internal;
  EXPECT_FALSE(*made);
  EXPECT_EQ(mode_of(dir), 0700u);
}

TEST_F(PrivateFileTest, ReadableDataDirectoryIsTightened) {
  const fs::path dir = root_ / "dps-data";
  fs::create_directory(dir);
  ASSERT_EQ(::chmod(dir.c_str(), 0755), 0);
  auto made = ensure_private_directory(dir);
  ASSERT_TRUE(made) << made.error().internal;
  EXPECT_TRUE(*made);
  EXPECT_EQ(mode_of(dir), 0700u);
}

TEST_F(PrivateFileTest, GroupOrWorldWritableDataDirectoryIsRefused) {
  for (mode_t mode : {mode_t{0770}, mode_t{0707}, mode_t{01777}}) {
    const fs::path dir = root_ / "shared";
    fs::create_directory(dir);
    ASSERT_EQ(::chmod(dir.c_str(), mode), 0);
    auto made = ensure_private_directory(dir);
    ASSERT_FALSE(made) << std::oct << mode;
    EXPECT_NE(made.error().internal.find(dir.string() + ": writable by group or others"),
              std::string::npos)
        << made.error().internal;
    EXPECT_EQ(mode_of(dir), mode);  // left for the operator to fix
    fs::remove(dir);
  }
}

}  // namespace
}  // namespace dps
