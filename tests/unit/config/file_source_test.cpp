#include "config/file_source.hpp"

#include <gtest/gtest.h>

#include "temp_dir.hpp"

namespace dps::config {
namespace {

using testing::TempDir;

TEST(DataUri, DecodesRfc2397Forms) {
  EXPECT_EQ(decode_data_uri("data:,A%20brief%20note"), "A brief note");  // RFC 2397 §4
  EXPECT_EQ(decode_data_uri("data:,literal"), "literal");
  EXPECT_EQ(decode_data_uri("data:;base64,MDEyMzQ1Njc4OTAxMjM0NQ=="), "0123456789012345");
  EXPECT_EQ(decode_data_uri("data:text/plain;charset=utf-8;base64,aGk"), "hi");  // no padding
  EXPECT_EQ(decode_data_uri("DATA:;BASE64,aGk="), "hi");
  EXPECT_EQ(decode_data_uri("data:;base64,aGk\n"), "hi");  // wrapped base64
  EXPECT_EQ(decode_data_uri("data:,"), "");
}

TEST(DataUri, RejectsMalformedUris) {
  EXPECT_FALSE(decode_data_uri("data:no-comma"));
  EXPECT_FALSE(decode_data_uri("data:;base64,a"));     // 6 bits are no byte
  EXPECT_FALSE(decode_data_uri("data:;base64,aG=k"));  // data after padding
  EXPECT_FALSE(decode_data_uri("data:,100%"));         // truncated escape
  EXPECT_FALSE(decode_data_uri("data:,%zz"));
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
