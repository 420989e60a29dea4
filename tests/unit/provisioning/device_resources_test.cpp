// The device resource request and its answer (provisioning/device_resources.hpp): what dps asks a
// device for and which endpoints of the answer it keeps; a hostile answer yields none.
#include "provisioning/device_resources.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "provisioning/catalog.hpp"
#include "provisioning/uris.hpp"
#include "support/test_pki.hpp"

namespace dps::provisioning {
namespace {

using nlohmann::json;

coap::Message answer_with(const json& body) {
  coap::Message response;
  response.code = coap::Code::Content;
  response.payload = json::to_cbor(body);
  return response;
}

TEST(DeviceResources, TheRequestAsksForTheDeviceLinkListInOcfCbor) {
  const auto request = device_resources_request({1, 2, 3});
  EXPECT_EQ(request.code, coap::Code::Get);
  EXPECT_EQ(request.token, (std::vector<uint8_t>{1, 2, 3}));
  EXPECT_EQ(request.uri_path(), uris::kDeviceResources);
  EXPECT_EQ(request.uri_queries(), (std::vector<std::string>{"if=oic.if.ll", "rt=oic.wk.d"}));
  EXPECT_EQ(request.accept(), coap::content_format::kOcfCbor);
}

TEST(DeviceResources, EndpointsOfTheFirstLinkInEitherShape) {
  const json eps = json::array({{{"ep", "coaps+tcp://[fe80::1]:5684"}},
                                {{"ep", "coap://10.0.0.2"}},
                                {{"ep", 42}},
                                {{"other", "x"}}});
  const std::vector<std::string> expected{"coaps+tcp://[fe80::1]:5684", "coap://10.0.0.2"};
  EXPECT_EQ(endpoints_of(answer_with({{"links", json::array({{{"eps", eps}}})}})), expected);
  EXPECT_EQ(endpoints_of(answer_with(json::array({{{"eps", eps}}}))), expected);
}

TEST(DeviceResources, AnythingUnexpectedYieldsNoEndpoints) {
  EXPECT_TRUE(endpoints_of(answer_with(json::object())).empty());
  EXPECT_TRUE(endpoints_of(answer_with({{"links", "not a list"}})).empty());
  EXPECT_TRUE(endpoints_of(answer_with({{"links", json::array({42})}})).empty());
  coap::Message garbage;
  garbage.payload = {0xff, 0x00, 0x13};
  EXPECT_TRUE(endpoints_of(garbage).empty());
  // Deeper than the bounded decoder takes: refused, not recursed into.
  json deep = json::array();
  for (int i = 0; i < 100; ++i) deep = json::array({deep});
  EXPECT_TRUE(endpoints_of(answer_with(deep)).empty());
}

TEST(DeviceResources, TheUpdateGoesToThePeersEnrollmentWhileItExists) {
  store::EnrollmentGroup group;
  group.id = "g1";
  group.owner = "alice";
  group.x509.certificate_chain = test::make_root_ca("Manufacturer Root").chain_pem();
  PeerIdentity peer;
  peer.registration_id = "r1";
  peer.enrollment_group_id = "g1";
  std::vector<std::string> skipped;
  const auto catalog = Catalog::build({group}, {}, &skipped);
  ASSERT_TRUE(skipped.empty()) << skipped.front();
  auto update = local_endpoints_update(peer, *catalog, {"coap://10.0.0.2"});
  ASSERT_TRUE(update);
  EXPECT_EQ(update->id, "r1");
  EXPECT_EQ(update->owner, "alice");
  EXPECT_EQ(update->enrollment_group_id, "g1");
  EXPECT_EQ(update->local_endpoints, std::vector<std::string>{"coap://10.0.0.2"});
  EXPECT_FALSE(local_endpoints_update(peer, *Catalog::build({}, {}), {"coap://10.0.0.2"}));
}

}  // namespace
}  // namespace dps::provisioning
