#include "store/column_codec.hpp"

#include <gtest/gtest.h>

namespace dps::store::codec {
namespace {

std::string every_byte() {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes += static_cast<char>(i);
  return bytes;
}

TEST(ColumnCodec, SecretBytesRoundTripExactly) {
  CredentialSection credential;
  credential.pre_shared_key = every_byte();
  auto decoded = decode<CredentialSection>(encode(credential), "credential");
  ASSERT_TRUE(decoded);
  EXPECT_EQ(*decoded, credential);

  HubAuthorization authorization;
  authorization.provider.client_secret = every_byte();
  auto decoded_auth = decode<HubAuthorization>(encode(authorization), "authorization");
  ASSERT_TRUE(decoded_auth);
  EXPECT_EQ(*decoded_auth, authorization);
}

TEST(ColumnCodec, InvalidUtf8IsReplacedInsteadOfFailingTheWrite) {
  AttestationSection attestation;
  attestation.common_name = "cn-\xff\xfe-end";
  const std::string text = encode(attestation);  // must not throw
  auto decoded = decode<AttestationSection>(text, "attestation");
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->common_name, "cn-\xEF\xBF\xBD\xEF\xBF\xBD-end");  // two U+FFFD
}

TEST(ColumnCodec, SelectedGatewayAbsenceRoundTrips) {
  CloudSection cloud;
  cloud.gateways = {{"coaps+tcp://a:5684", "a"}};
  auto decoded = decode<CloudSection>(encode(cloud), "cloud");
  ASSERT_TRUE(decoded);
  EXPECT_EQ(*decoded, cloud);
  EXPECT_FALSE(decoded->selected_gateway);
}

TEST(ColumnCodec, MissingAndUnknownKeysAreToleratedWrongTypesAreNot) {
  auto decoded = decode<CloudSection>(R"({"status":{"date":"7"}})", "cloud");
  EXPECT_FALSE(decoded);  // a wrongly typed value is corruption, not a default
  decoded = decode<CloudSection>(R"({"status":{"date":7},"futureField":true})", "cloud");
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->status.date, 7);
  EXPECT_TRUE(decoded->gateways.empty());
}

TEST(ColumnCodec, ResourceUpdatesKeepTheirRepresentationByteForByte) {
  // The owner's key order and spacing, and the unsubstituted variables, reach the device as
  // written: re-parsing the representation would reorder its keys.
  const std::vector<ResourceUpdate> updates = {{"/oic/con", R"({"z": 1, "a": "{{deviceId}}"})"},
                                               {"/light/1", R"({"state":true})"}};
  const std::string text = encode(updates);
  auto decoded = decode<std::vector<ResourceUpdate>>(text, "pre_configuration");
  ASSERT_TRUE(decoded);
  EXPECT_EQ(*decoded, updates);
  auto empty = decode<std::vector<ResourceUpdate>>(encode(std::vector<ResourceUpdate>{}), "p");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
  auto corrupt = decode<std::vector<ResourceUpdate>>(R"({"href":"/x"})", "templates.pre");
  ASSERT_FALSE(corrupt);  // an object where the array belongs
  EXPECT_NE(corrupt.error().internal.find("templates.pre"), std::string::npos);
}

TEST(ColumnCodec, PreConfigurationSectionRoundTrips) {
  const PreConfigurationSection section{
      {42, 68, "device refused /x"}, R"([{"href":"/x","representation":{}}])", ""};
  auto decoded = decode<PreConfigurationSection>(encode(section), "pre_configuration");
  ASSERT_TRUE(decoded);
  EXPECT_EQ(*decoded, section);
}

TEST(ColumnCodec, CorruptTextIsAnInternalErrorNamingTheColumn) {
  const std::pair<std::string, std::string> cases[] = {
      {"{not json", "truncated"},
      {"[]", "array instead of object"},
      {"{}", "status missing"},
      {R"({"status":{},"preSharedKeyHex":"abc"})", "odd hex length"},
      {R"({"status":{},"preSharedKeyHex":"zz"})", "bad hex digit"},
  };
  for (const auto& [text, why] : cases) {
    SCOPED_TRACE(why);
    auto decoded = decode<CredentialSection>(text, "provisioning_records.credential");
    ASSERT_FALSE(decoded);
    EXPECT_EQ(decoded.error().code, ErrorCode::Internal);
    EXPECT_NE(decoded.error().internal.find("provisioning_records.credential"), std::string::npos);
  }
}

}  // namespace
}  // namespace dps::store::codec
