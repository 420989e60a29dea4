// Content negotiation (device-protocol §1): 10000 by default, 60 and 50 on request.
#include <nlohmann/json.hpp>

#include "device/checks.hpp"
#include "device/requests.hpp"
#include "support/dps_fixture.hpp"

namespace dps::itest {
namespace {

class ContentFormat : public DpsTest {
 protected:
  coap::Message ownership_accepting(std::optional<uint16_t> accept) {
    auto request = device::make_ownership_request();
    std::erase_if(request.options,
                  [](const coap::Option& o) { return o.number == coap::option::kAccept; });
    if (accept) request.add_uint_option(coap::option::kAccept, *accept);
    return request;
  }
};

TEST_F(ContentFormat, DefaultsToOcfCbor) {
  auto response = request_once(default_tls(), ownership_accepting(std::nullopt));
  ASSERT_TRUE(response) << response.error().internal;
  EXPECT_EQ(response->content_format(), 10000);
  EXPECT_TRUE(device::check_ownership_response(*response));
}

TEST_F(ContentFormat, AnswersCborWhenAccept60) {
  auto response = request_once(default_tls(), ownership_accepting(60));
  ASSERT_TRUE(response) << response.error().internal;
  EXPECT_EQ(response->content_format(), 60);
  EXPECT_TRUE(device::check_ownership_response(*response));
}

TEST_F(ContentFormat, AnswersJsonWhenAccept50) {
  auto response = request_once(default_tls(), ownership_accepting(50));
  ASSERT_TRUE(response) << response.error().internal;
  EXPECT_EQ(response->content_format(), 50);
  const auto body = nlohmann::json::parse(response->payload_text(), nullptr, false);
  ASSERT_TRUE(body.is_object()) << response->payload_text();
  EXPECT_TRUE(body.contains("devowneruuid"));
}

TEST_F(ContentFormat, ErrorResponsesCarryNoContentFormat) {
  auto response = request_once(default_tls(), device::make_get("/no/such/path"));
  ASSERT_TRUE(response) << response.error().internal;
  EXPECT_EQ(response->code, coap::Code::NotFound);
  EXPECT_FALSE(response->content_format());
}

}  // namespace
}  // namespace dps::itest
