// dps-device demo-pki --name: a demo manufacturer PKI under the operator's own name, so that two
// demo manufacturers (two enrollment groups) can sit side by side.
#include "device/demo_pki.hpp"

#include <gtest/gtest.h>

#include "pki/pem.hpp"
#include "pki/x509_util.hpp"
#include "support/test_pki.hpp"

namespace dps::device {
namespace {

std::string subject_cn(const std::filesystem::path& pem_file, size_t index = 0) {
  auto certs = pki::parse_certificates_pem(*pki::read_file(pem_file));
  return pki::common_name(X509_get_subject_name(certs->at(index).get()));
}

TEST(DemoPki, TheManufacturerNameNamesEveryCertificate) {
  test::TempDir dir;
  const auto files = create_demo_pki(dir.path() / "acme", "Acme Sensors");
  ASSERT_TRUE(files) << files.error().internal;
  EXPECT_TRUE(files->created);
  EXPECT_EQ(subject_cn(files->root), "Acme Sensors root");
  EXPECT_EQ(subject_cn(files->intermediate), "Acme Sensors intermediate");
  EXPECT_EQ(subject_cn(files->device_cert), "Acme Sensors device");
  EXPECT_EQ(subject_cn(files->chain), "Acme Sensors intermediate") << "the lead comes first";
}

TEST(DemoPki, WithoutANameTheNamesAreAsBefore) {
  const auto names = demo_pki_names("");
  ASSERT_TRUE(names);
  EXPECT_EQ(names->root, "dps demo manufacturer root");
  EXPECT_EQ(names->intermediate, "dps demo manufacturer intermediate");
  EXPECT_EQ(names->device, "dps demo device");
}

TEST(DemoPki, ANameThatCannotBeACommonNameIsRefusedPrecisely) {
  const auto too_long = demo_pki_names(std::string(52, 'a'));
  ASSERT_FALSE(too_long);
  EXPECT_EQ(too_long.error().code, ErrorCode::BadRequest);
  EXPECT_NE(too_long.error().internal.find("at most 51 characters"), std::string::npos)
      << too_long.error().internal;
  EXPECT_TRUE(demo_pki_names(std::string(51, 'a')));
  EXPECT_FALSE(demo_pki_names("Acme\nEvil"));
  EXPECT_FALSE(demo_pki_names(" Acme"));
}

TEST(DemoPki, AnExistingPkiOfAnotherNameIsNotPassedOffAsTheOneAskedFor) {
  test::TempDir dir;
  ASSERT_TRUE(create_demo_pki(dir.path(), "Acme"));
  const auto again = create_demo_pki(dir.path(), "Acme");
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->created);
  const auto other = create_demo_pki(dir.path(), "Globex");
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code, ErrorCode::Conflict);
  EXPECT_NE(other.error().internal.find("\"Acme intermediate\""), std::string::npos)
      << other.error().internal;
}

}  // namespace
}  // namespace dps::device
