#include "config/file_source.hpp"

#include <gtest/gtest.h>

#include "temp_dir.hpp"

namespace dps::config {
namespace {

using testing::TempDir;

TEST(ReadSource, DecodesDataUrisInsteadOfReadingAFile) {
  EXPECT_EQ(read_source("data:,A%20brief%20note", "/nonexistent"), "A brief note");
  EXPECT_EQ(read_source("DATA:;BASE64,MDEyMzQ1Njc4OTAxMjM0NQ==", "/nonexistent"),
            "0123456789012345");
  auto bad = read_source("data:;base64,a", "/nonexistent");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().internal.find("base64"), std::string::npos) << bad.error().internal;
}

TEST(ReadSource, ReadsPathsRelativeToBaseDir) {
  TempDir dir;
  dir.write("secrets/psk", "0123456789012345");
  EXPECT_EQ(read_source("secrets/psk", dir.path()), "0123456789012345");
  EXPECT_EQ(read_source((dir.path() / "secrets/psk").string(), "/elsewhere"), "0123456789012345");
  EXPECT_EQ(read_source("file://" + (dir.path() / "secrets/psk").string(), "/"),
            "0123456789012345");
  EXPECT_EQ(read_source("", dir.path()), "");
}

TEST(ReadSource, RefusesFilesOverOneMiB) {
  TempDir dir;
  dir.write("big", std::string((1 << 20) + 1, 'x'));
  auto big = read_source("big", dir.path());
  ASSERT_FALSE(big);
  EXPECT_NE(big.error().internal.find("larger than 1 MiB"), std::string::npos);
  dir.write("fits", std::string(1 << 20, 'x'));
  EXPECT_EQ(read_source("fits", dir.path()).value().size(), size_t{1} << 20);
}

TEST(ReadSource, KeepsInlinePem) {
  EXPECT_EQ(read_source("-----BEGIN CERTIFICATE-----\nMII\n", "/"),
            "-----BEGIN CERTIFICATE-----\nMII\n");
}

TEST(ReadSource, ReportsMissingAndNonRegularFiles) {
  TempDir dir;
  auto missing = read_source("nope", dir.path());
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().internal, "file \"" + (dir.path() / "nope").string() + "\" not found");
  auto directory = read_source(".", dir.path());
  ASSERT_FALSE(directory);
  EXPECT_NE(directory.error().internal.find("not a regular file"), std::string::npos);
}

}  // namespace
}  // namespace dps::config
