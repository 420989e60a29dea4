// Bad requests on a valid session (device-protocol §3.7): each gets its exact code, and a normal
// device provisions right after.
#include <nlohmann/json.hpp>

#include "device/checks.hpp"
#include "device/csr.hpp"
#include "device/requests.hpp"
#include "support/dps_fixture.hpp"

namespace dps::itest {
namespace {

using coap::Code;
using nlohmann::json;

class BadRequest : public DpsTest {
 protected:
  /// Sends `request` on a fresh provisioning session and expects `code`, then a normal device.
  void expect_code(coap::Message request, Code code) {
    const std::string path = request.uri_path();
    auto response = request_once(default_tls(), std::move(request));
    ASSERT_TRUE(response) << path << ": " << response.error().internal;
    EXPECT_EQ(coap::to_string(response->code), coap::to_string(code))
        << path << ": " << response->payload_text();
    expect_server_serves();
  }

  static coap::Message credentials_with_csr(const std::string& di, const std::string& csr_pem) {
    return device::make_credentials_request(di, csr_pem);
  }

  /// The device id of default_tls()'s identity: the id its record gets pinned to, so the normal
  /// device expect_code() provisions afterwards is the same device.
  std::string di() const {
    return device::ClientTls::create(default_tls()).value()->default_device_id();
  }
};

TEST_F(BadRequest, UnknownPathIsNotFound) {
  expect_code(device::make_get("/api/v1/provisioning/nothing"), Code::NotFound);
}

TEST_F(BadRequest, PostToOwnershipIsMethodNotAllowed) {
  expect_code(device::make_post(device::uri::kOwnership, json::to_cbor(json::object())),
              Code::MethodNotAllowed);
}

TEST_F(BadRequest, EmptyBodyToCredentialsIsBadRequest) {
  expect_code(device::make_post(device::uri::kCredentials, {}), Code::BadRequest);
}

TEST_F(BadRequest, EmptyBodyToCloudConfigurationIsBadRequest) {
  expect_code(device::make_post(device::uri::kCloudConfiguration, {}), Code::BadRequest);
}

TEST_F(BadRequest, NonCborBodyIsBadRequest) {
  const std::string text = "{\"di\": \"not cbor\"}";
  expect_code(device::make_post(device::uri::kCredentials, {text.begin(), text.end()}),
              Code::BadRequest);
}

TEST_F(BadRequest, CsrWithBadSignatureIsBadRequest) {
  auto key = test::make_key(test::KeyType::P256);
  expect_code(
      credentials_with_csr(di(), test::make_csr_pem_with_bad_signature(key.get(), "uuid:" + di())),
      Code::BadRequest);
}

TEST_F(BadRequest, CsrWithWrongCommonNameIsBadRequest) {
  auto key = test::make_key(test::KeyType::P256);
  expect_code(
      credentials_with_csr(di(), test::make_csr_pem(key.get(), "uuid:" + device::random_uuid())),
      Code::BadRequest);
  expect_code(credentials_with_csr(di(), test::make_csr_pem(key.get(), di())), Code::BadRequest);
}

TEST_F(BadRequest, P384CsrIsAcceptedButRsaCsrIsBadRequest) {
  auto p384 = test::make_key(test::KeyType::P384);
  auto response = request_once(
      default_tls(), credentials_with_csr(di(), test::make_csr_pem(p384.get(), "uuid:" + di())));
  ASSERT_TRUE(response) << response.error().internal;
  unsigned char* der = nullptr;
  const int n = i2d_PUBKEY(p384.get(), &der);
  ASSERT_GT(n, 0);
  device::CredentialExpectations expect;
  expect.device_id = di();
  expect.public_key_der.assign(reinterpret_cast<char*>(der), static_cast<size_t>(n));
  OPENSSL_free(der);
  auto issued = device::check_credentials_response(*response, expect);
  EXPECT_TRUE(issued) << issued.error().internal;

  auto rsa = test::make_key(test::KeyType::Rsa2048);
  expect_code(credentials_with_csr(di(), test::make_csr_pem(rsa.get(), "uuid:" + di())),
              Code::BadRequest);
}

TEST_F(BadRequest, DiThatIsNotAUuidIsBadRequest) {
  expect_code(device::make_cloud_configuration_request("not-a-uuid", std::nullopt),
              Code::BadRequest);
  auto key = test::make_key(test::KeyType::P256);
  expect_code(credentials_with_csr("not-a-uuid", test::make_csr_pem(key.get(), "uuid:not-a-uuid")),
              Code::BadRequest);
}

TEST_F(BadRequest, DiWithInvalidUtf8GetsAValidUtf8Diagnostic) {
  // A diagnostic payload must be UTF-8 (RFC 7252 §5.5.2): the device's bytes are not echoed raw.
  const json body = {{"di", std::string("\xe2\x82") + "-not-a-uuid"}};
  auto response = request_once(
      default_tls(), device::make_post(device::uri::kCloudConfiguration, json::to_cbor(body)));
  ASSERT_TRUE(response) << response.error().internal;
  EXPECT_EQ(coap::to_string(response->code), coap::to_string(Code::BadRequest));
  EXPECT_NE(response->payload_text().find("\"di\" is not a UUID: \"?"
                                          "?-not-a-uuid\""),
            std::string::npos)
      << response->payload_text();
  expect_server_serves();
}

TEST_F(BadRequest, CsrInAnotherEncodingIsBadRequest) {
  auto key = test::make_key(test::KeyType::P256);
  const json body = {{"di", di()},
                     {"csr",
                      {{"data", test::make_csr_pem(key.get(), "uuid:" + di())},
                       {"encoding", "oic.sec.encoding.der"}}}};
  expect_code(device::make_post(device::uri::kCredentials, json::to_cbor(body)), Code::BadRequest);
}

TEST_F(BadRequest, UnknownCriticalOptionIsBadOption) {
  auto request = device::make_ownership_request();
  request.add_uint_option(2051, 1);  // odd = critical, unknown to the server
  expect_code(std::move(request), Code::BadOption);
}

TEST_F(BadRequest, UnsupportedAcceptIsNotAcceptable) {
  auto request = device::make_get(device::uri::kOwnership);
  request.options.erase(
      std::remove_if(request.options.begin(), request.options.end(),
                     [](const auto& o) { return o.number == coap::option::kAccept; }),
      request.options.end());
  request.add_uint_option(coap::option::kAccept, 41);  // application/xml
  expect_code(std::move(request), Code::NotAcceptable);
}

}  // namespace
}  // namespace dps::itest
