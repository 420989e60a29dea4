// How PEM and secret values are read from API bodies and shown in answers.
#include "api/value_source.hpp"

#include <gtest/gtest.h>

#include "api/json_reader.hpp"
#include "common/data_uri.hpp"

namespace dps::api {
namespace {

TEST(ValueSource, PemAcceptsPemAndDataUrisAndRefusesAnythingElse) {
  const std::string pem = "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n";
  EXPECT_EQ(read_value(pem, ValueKind::Pem).value(), pem);
  EXPECT_EQ(read_value("\n  " + pem, ValueKind::Pem).value(), "\n  " + pem);
  EXPECT_EQ(read_value(encode_data_uri(pem), ValueKind::Pem).value(), pem);
  EXPECT_EQ(read_value("", ValueKind::Pem).value(), "");
  for (const char* path : {"/etc/dps/chain.pem", "chain.pem", "file:///etc/chain.pem"}) {
    auto value = read_value(path, ValueKind::Pem);
    ASSERT_FALSE(value) << path;
    EXPECT_NE(value.error().internal.find("file paths are not accepted over the API"),
              std::string::npos);
  }
}

TEST(ValueSource, SecretAcceptsInlineTextAndRefusesPathLookingText) {
  EXPECT_EQ(read_value("0123456789abcdef", ValueKind::Secret).value(), "0123456789abcdef");
  EXPECT_EQ(read_value("data:,/not/a/path", ValueKind::Secret).value(), "/not/a/path");
  for (const char* path : {"/etc/psk", "./psk", "../psk", "~/psk", "file:///etc/psk", "FILE:psk"}) {
    auto value = read_value(path, ValueKind::Secret);
    ASSERT_FALSE(value) << path;
    EXPECT_NE(value.error().internal.find("file paths are not accepted over the API"),
              std::string::npos);
  }
}

TEST(ValueSource, RenderedValuesReadBackUnchanged) {
  const std::string pem = "-----BEGIN X509 CRL-----\nAA==\n-----END X509 CRL-----\n";
  for (const auto& [bytes, kind] : std::vector<std::pair<std::string, ValueKind>>{
           {pem, ValueKind::Pem},
           {"not pem", ValueKind::Pem},
           {"0123456789abcdef", ValueKind::Secret},
           {"/looks/like/a/path", ValueKind::Secret},
           {"data:,looks like a uri", ValueKind::Secret},
           {std::string("\x00\x01\xff\xfe\x80", 5), ValueKind::Secret}}) {
    const std::string shown = render_value(bytes, kind);
    EXPECT_EQ(read_value(shown, kind).value(), bytes) << shown;
  }
  EXPECT_EQ(render_value("0123456789abcdef", ValueKind::Secret), "0123456789abcdef");
  EXPECT_EQ(render_value(pem, ValueKind::Pem), pem);
}

TEST(LowerCamel, ConvertsProtobufFieldNames) {
  EXPECT_EQ(lower_camel("hub_id"), "hubId");
  EXPECT_EQ(lower_camel("attestation_mechanism_x509_certificate_names"),
            "attestationMechanismX509CertificateNames");
  EXPECT_EQ(lower_camel("hubId"), "hubId");
  EXPECT_EQ(lower_camel("_x"), "x");
}

}  // namespace
}  // namespace dps::api
