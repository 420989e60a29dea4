#include "pki/uuid.hpp"

#include <gtest/gtest.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include <string>
#include <vector>

#include "pki/x509_util.hpp"
#include "support/test_pki.hpp"

namespace dps::pki {
namespace {

struct OwnerVector {
  std::string owner;
  std::string expected;
};

class OwnerToUuid : public testing::TestWithParam<OwnerVector> {};

TEST_P(OwnerToUuid, MatchesPlgd) {
  EXPECT_EQ(owner_to_uuid(GetParam().owner), GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(DeviceProtocolVectors, OwnerToUuid,
                         testing::Values(
                             // device-protocol §2 test vectors.
                             OwnerVector{"1", "b80c8fef-a677-5340-85fb-2c162d75df03"},
                             OwnerVector{"https://plgd.dev/owner",
                                         "37dac31a-3f98-549d-a4d1-4d1b45fd08c9"},
                             // A UUID owner is itself, normalised to lowercase.
                             OwnerVector{"3F6C1D2E-8A8B-4E2C-9D1F-0123456789AB",
                                         "3f6c1d2e-8a8b-4e2c-9d1f-0123456789ab"}));

TEST(OwnerToUuidNil, IsHashedLikeAnyOtherString) {
  // The nil UUID names no owner, so it goes through UUIDv5 like any other string.
  const std::string nil = "00000000-0000-0000-0000-000000000000";
  const auto* bytes = reinterpret_cast<const uint8_t*>(nil.data());
  EXPECT_EQ(owner_to_uuid(nil),
            uuid_v5(kNamespaceUrl, std::span<const uint8_t>(bytes, nil.size())).to_string());
}

TEST(Uuid, V5MatchesRfcNamespaceDnsExample) {
  // Python's uuid.uuid5(uuid.NAMESPACE_DNS, "python.org"), an independent implementation.
  const auto dns = Uuid::parse("6ba7b810-9dad-11d1-80b4-00c04fd430c8");
  ASSERT_TRUE(dns);
  const std::string name = "python.org";
  const auto* bytes = reinterpret_cast<const uint8_t*>(name.data());
  EXPECT_EQ(uuid_v5(*dns, std::span<const uint8_t>(bytes, name.size())).to_string(),
            "886313e1-3b8a-5372-9b90-0c9aee199e5d");
}

TEST(Uuid, ParseRoundTripsCanonicalForm) {
  const auto id = Uuid::parse("6BA7B811-9dad-11d1-80b4-00c04fd430c8");
  ASSERT_TRUE(id);
  EXPECT_EQ(*id, kNamespaceUrl);
  EXPECT_EQ(id->to_string(), "6ba7b811-9dad-11d1-80b4-00c04fd430c8");
  EXPECT_FALSE(id->is_nil());
  EXPECT_TRUE(Uuid{}.is_nil());
}

class UuidParseRejects : public testing::TestWithParam<std::string> {};

TEST_P(UuidParseRejects, NonCanonicalText) { EXPECT_FALSE(Uuid::parse(GetParam())); }

INSTANTIATE_TEST_SUITE_P(Forms, UuidParseRejects,
                         testing::Values("", "6ba7b8119dad11d180b400c04fd430c8",
                                         "{6ba7b811-9dad-11d1-80b4-00c04fd430c8}",
                                         "urn:uuid:6ba7b811-9dad-11d1-80b4-00c04fd430c8",
                                         "6ba7b811-9dad-11d1-80b4-00c04fd430cg",
                                         "6ba7b8119-dad-11d1-80b4-00c04fd430c8",
                                         "6ba7b811-9dad-11d1-80b4-00c04fd430c8 "));

TEST(Uuid, RandomV4HasVersionAndVariantBits) {
  const Uuid a = random_uuid_v4();
  const Uuid b = random_uuid_v4();
  EXPECT_NE(a, b);
  EXPECT_EQ(a.bytes[6] >> 4, 4);
  EXPECT_EQ(a.bytes[8] & 0xc0, 0x80);
  EXPECT_EQ(a.to_string()[14], '4');
}

// A CSPRNG that always fails, installed through the (deprecated, but still honoured by
// RAND_bytes in OpenSSL 3) RAND_METHOD hook: the only portable way to make RAND_bytes fail.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
int failing_bytes(unsigned char*, int) { return 0; }
int failing_status() { return 0; }
void install_failing_rand() {
  static RAND_METHOD method{nullptr, failing_bytes, nullptr,
                            nullptr, failing_bytes, failing_status};
  RAND_set_rand_method(&method);
}
#pragma GCC diagnostic pop

// The check used to be an assert(), gone in release builds: a failed RAND_bytes then produced a
// fixed, guessable id (verification codes are random_uuid_v4()).
TEST(UuidDeathTest, RandomV4StopsLoudlyWhenTheCsprngFails) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        install_failing_rand();
        (void)random_uuid_v4();
      },
      "fatal: RAND_bytes for a UUIDv4 failed");
}

TEST(RegistrationId, IsV5OfX500NamespaceAndDerSubjectPublicKeyInfo) {
  const auto root = test::make_root_ca("Registration Root");
  const auto leaf = test::make_leaf(root);
  unsigned char* der = nullptr;
  const int len = i2d_PUBKEY(leaf.key.get(), &der);
  ASSERT_GT(len, 0);
  OpenSslBytesPtr owned(der);
  const std::string expected =
      uuid_v5(kNamespaceX500, std::span<const uint8_t>(der, static_cast<size_t>(len))).to_string();
  EXPECT_EQ(registration_id(leaf.get()), expected);
  EXPECT_EQ(expected[14], '5');
}

TEST(RegistrationId, DependsOnlyOnThePublicKey) {
  // A renewed certificate for the same key keeps the record id.
  const auto root = test::make_root_ca("Registration Root");
  const auto leaf = test::make_leaf(root);
  const auto other_root = test::make_root_ca("Other Root");
  const auto now = std::chrono::system_clock::now();
  auto renewed = issue_certificate(
      {X509_get_subject_name(leaf.get()), leaf.key.get(), now, now + std::chrono::hours(1), {}},
      other_root.get(), other_root.key.get());
  ASSERT_TRUE(renewed) << renewed.error().internal;
  EXPECT_EQ(registration_id(renewed->get()), registration_id(leaf.get()));
  EXPECT_NE(registration_id(test::make_leaf(root).get()), registration_id(leaf.get()));
}

}  // namespace
}  // namespace dps::pki
