#include "device/requests.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "coap/tcp_framing.hpp"
#include "device/checks.hpp"

namespace dps::device {
namespace {

using coap::Code;
using coap::Message;
using coap::Option;
using nlohmann::json;
namespace opt = coap::option;

Option str(uint16_t n, std::string_view s) { return Option{n, {s.begin(), s.end()}}; }
Option uint(uint16_t n, uint32_t v) { return Option{n, coap::encode_uint(v)}; }

TEST(DeviceRequests, GetCarriesExactlyTheDeviceOptions) {
  const Message m = make_ownership_request();
  EXPECT_EQ(m.code, Code::Get);
  EXPECT_EQ(m.token.size(), 8u);
  const std::vector<Option> expected = {
      str(opt::kUriPath, "api"),          str(opt::kUriPath, "v1"),
      str(opt::kUriPath, "provisioning"), str(opt::kUriPath, "ownership"),
      uint(opt::kAccept, 10000),          uint(opt::kOcfAcceptContentFormatVersion, 2048)};
  EXPECT_EQ(m.options, expected);
  EXPECT_TRUE(m.payload.empty());
}

TEST(DeviceRequests, TimeAndAclsUseOneUriPathPerSegment) {
  EXPECT_EQ(make_time_request().uri_path(), "/x.plgd.dev/time");
  EXPECT_EQ(make_acls_request().uri_path(), "/api/v1/provisioning/acls");
  EXPECT_EQ(make_time_request().options.front(), str(opt::kUriPath, "x.plgd.dev"));
}

TEST(DeviceRequests, PostAddsContentFormatAndOcfVersionAndCborBody) {
  const Message m = make_credentials_request("6f3c0d6e-7b0a-4a52-9d0e-3a5c0b8f1e2d", "PEM");
  EXPECT_EQ(m.code, Code::Post);
  EXPECT_EQ(m.token.size(), 8u);
  EXPECT_EQ(m.content_format(), 10000);
  EXPECT_EQ(m.accept(), 10000);
  EXPECT_EQ(m.uint_option(opt::kOcfAcceptContentFormatVersion), 2048u);
  EXPECT_EQ(m.uint_option(opt::kOcfContentFormatVersion), 2048u);
  EXPECT_EQ(m.uri_queries().size(), 0u);
  const json body = json::from_cbor(m.payload);
  EXPECT_EQ(body, json({{"di", "6f3c0d6e-7b0a-4a52-9d0e-3a5c0b8f1e2d"},
                        {"csr", {{"data", "PEM"}, {"encoding", "oic.sec.encoding.pem"}}}}));
}

TEST(DeviceRequests, CloudConfigurationSendsSelectedGatewayOnlyWhenSet) {
  const json plain = json::from_cbor(make_cloud_configuration_request("d", std::nullopt).payload);
  EXPECT_EQ(plain, json({{"di", "d"}}));
  const json selected = json::from_cbor(
      make_cloud_configuration_request("d", Gateway{"coaps+tcp://h:1", "hub"}).payload);
  EXPECT_EQ(selected["selectedGateway"], json({{"uri", "coaps+tcp://h:1"}, {"id", "hub"}}));
}

TEST(DeviceRequests, TokensAreFreshPerRequest) {
  EXPECT_NE(make_time_request().token, make_time_request().token);
}

TEST(DeviceRequests, RoundTripsThroughTcpFraming) {
  const Message m = make_cloud_configuration_request("d", Gateway{"u", "i"});
  const auto bytes = coap::encode_frame(m);
  const auto decoded = coap::decode_frame(bytes, 1 << 16);
  const auto* frame = std::get_if<coap::Frame>(&decoded);
  ASSERT_NE(frame, nullptr);
  EXPECT_EQ(frame->consumed, bytes.size());
  EXPECT_EQ(frame->message, m);
}

TEST(DeviceRequests, AnswersOicResWithLinkAndEndpoint) {
  Message request;
  request.code = Code::Get;
  request.token = {1, 2, 3, 4};
  request.set_uri_path("/oic/res");
  request.add_string_option(opt::kUriQuery, "if=oic.if.ll");
  const Message answer = answer_server_request(request, "coaps+tcp://127.0.0.1:4000");
  EXPECT_EQ(answer.code, Code::Content);
  EXPECT_EQ(answer.token, request.token);
  EXPECT_EQ(answer.content_format(), 10000);
  const json links = json::from_cbor(answer.payload);
  ASSERT_TRUE(links.is_array());
  EXPECT_EQ(links[0]["href"], "/oic/d");
  EXPECT_EQ(links[0]["rt"], json({"oic.wk.d"}));
  EXPECT_EQ(links[0]["if"], json({"oic.if.baseline"}));
  EXPECT_EQ(links[0]["eps"][0]["ep"], "coaps+tcp://127.0.0.1:4000");
}

TEST(DeviceRequests, AnswersOtherServerRequestsWithNotFound) {
  Message request;
  request.code = Code::Get;
  request.token = {9};
  request.set_uri_path("/oic/d");
  const Message answer = answer_server_request(request, "x");
  EXPECT_EQ(answer.code, Code::NotFound);
  EXPECT_EQ(answer.token, request.token);
}

TEST(DeviceRequests, EndpointBracketsIpv6) {
  EXPECT_EQ(coaps_tcp_endpoint("::1", 5684), "coaps+tcp://[::1]:5684");
  EXPECT_EQ(coaps_tcp_endpoint("10.0.0.1", 1), "coaps+tcp://10.0.0.1:1");
}

TEST(DeviceRequests, RandomUuidIsVersion4) {
  const std::string id = random_uuid();
  EXPECT_TRUE(is_uuid(id));
  EXPECT_EQ(id[14], '4');
  EXPECT_NE(id, random_uuid());
}

TEST(DeviceRequests, PreConfigurationGetNamesTheDeviceInAUriQuery) {
  const Message m = make_pre_configuration_request("6f3c0d6e-7b0a-4a52-9d0e-3a5c0b8f1e2d");
  EXPECT_EQ(m.code, Code::Get);
  EXPECT_EQ(m.uri_path(), "/api/v1/provisioning/pre-configuration");
  EXPECT_EQ(m.uri_queries(), std::vector<std::string>{"di=6f3c0d6e-7b0a-4a52-9d0e-3a5c0b8f1e2d"});
  EXPECT_EQ(m.accept(), 10000);
  EXPECT_TRUE(m.payload.empty());
  // Options stay in wire order: Uri-Path (11), Uri-Query (15), Accept (17).
  ASSERT_GE(m.options.size(), 6u);
  EXPECT_EQ(m.options[4], str(opt::kUriQuery, "di=6f3c0d6e-7b0a-4a52-9d0e-3a5c0b8f1e2d"));
}

TEST(DeviceRequests, PreConfigurationReportCarriesErrorsOnlyForFailures) {
  const Message m = make_pre_configuration_report(
      "d", {{"/oc/con", true, ""}, {"/x.vendor/mode", false, "4.04"}});
  EXPECT_EQ(m.code, Code::Post);
  EXPECT_EQ(m.uri_path(), "/api/v1/provisioning/pre-configuration");
  EXPECT_EQ(m.content_format(), 10000);
  EXPECT_EQ(json::from_cbor(m.payload),
            json({{"di", "d"},
                  {"results",
                   {{{"href", "/oc/con"}, {"ok", true}},
                    {{"href", "/x.vendor/mode"}, {"ok", false}, {"error", "4.04"}}}}}));
  EXPECT_EQ(json::from_cbor(make_pre_configuration_report("d", {}).payload)["results"],
            json::array());
}

}  // namespace
}  // namespace dps::device
