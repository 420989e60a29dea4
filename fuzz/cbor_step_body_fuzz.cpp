// libFuzzer target for the request bodies a device sends at the provisioning steps that have one
// (device-protocol §3.3 cloud-configuration, §3.4 credentials): the bytes go through the real
// provisioning::Router with its real collaborators (the built-in CA and token minter in a temp
// dir, a catalog of one group and one hub), exactly as a session hands a decoded request over.
//
// One target for both steps rather than one per step: they share the body decoding
// (content.cpp decode_body), the router and its error mapping, and a map found for one step is a
// good mutation base for the other, so a shared corpus finds more in the same CPU time.
//
// Input: byte 0 selects the request, the rest is the body.
//   bit 0     step: 0 = POST cloud-configuration, 1 = POST credentials
//   bits 1-2  Content-Format: 10000, 60, 50 (JSON), absent
//   bits 3-4  Accept: 10000, 60, 50, absent
//   bit 5     first request of the session (adds the attestation section to the record)
#include <cstddef>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "auth/embedded_token_minter.hpp"
#include "coap/options.hpp"
#include "fuzz_support.hpp"
#include "pki/embedded_ca.hpp"
#include "pki/uuid.hpp"
#include "provisioning/catalog.hpp"
#include "provisioning/content.hpp"
#include "provisioning/router.hpp"
#include "provisioning/uris.hpp"

namespace {

using dps::coap::Code;
using dps::coap::Message;
using nlohmann::json;
namespace cf = dps::coap::content_format;
namespace opt = dps::coap::option;

// Shared with the seeds (make_seeds.cpp): the group, its hub and a gateway of that hub.
constexpr const char* kGroupId = "5db6ccde-05e1-480b-a522-c1591ad7dfd2";
constexpr const char* kHubId = "11111111-2222-3333-4444-555555555555";
constexpr const char* kGateway = "coaps+tcp://hub.example.com:5684";
constexpr const char* kOtherGateway = "coaps+tcp://[::1]:5684";

struct World {
  dps::fuzz::TempDir dir;
  std::unique_ptr<dps::pki::EmbeddedCa> ca;
  std::unique_ptr<dps::auth::EmbeddedTokenMinter> tokens;
  std::unique_ptr<dps::provisioning::Router> router;
  std::shared_ptr<const dps::provisioning::Catalog> catalog;
  dps::provisioning::PeerIdentity peer;

  World() {
    dps::pki::EmbeddedCaOptions options;
    options.data_dir = dir.path();
    auto loaded_ca = dps::pki::EmbeddedCa::load_or_create(options);
    FUZZ_REQUIRE(loaded_ca.has_value());
    ca = std::move(*loaded_ca);
    auto minter =
        dps::auth::EmbeddedTokenMinter::load_or_create(dir.path(), "dps", std::chrono::hours(1));
    FUZZ_REQUIRE(minter.has_value());
    tokens = std::move(*minter);
    router = std::make_unique<dps::provisioning::Router>(
        dps::provisioning::Services{ca.get(), tokens.get(), {}, nullptr, nullptr});

    dps::store::EnrollmentGroup group;
    group.id = kGroupId;
    group.owner = "1";
    group.name = "fuzz";
    group.x509.certificate_chain = ca->root_pem();  // any chain that verifies will do
    group.hub_ids = {kHubId};
    group.pre_shared_key = "0123456789abcdef0123";
    dps::store::Hub hub;
    hub.id = kHubId;
    hub.hub_id = kHubId;
    hub.owner = "1";
    hub.name = "hub";
    hub.gateways = {kGateway, kOtherGateway};
    hub.authorization.owner_claim = "https://plgd.dev/owner";
    hub.authorization.device_id_claim = "https://plgd.dev/deviceId";
    hub.authorization.provider.name = "plgd";
    std::vector<std::string> skipped;
    catalog = dps::provisioning::Catalog::build({group}, {hub}, &skipped);
    FUZZ_REQUIRE(skipped.empty());

    peer.enrollment_group_id = kGroupId;
    peer.registration_id = "c0ffee00-0000-5000-8000-000000000001";
    peer.common_name = "uuid:9a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d";
    peer.leaf_pem = "LEAF";
  }
};

World& world() {
  static World w;
  return w;
}

constexpr uint16_t kFormats[] = {cf::kOcfCbor, cf::kCbor, cf::kJson, 0};

// Bytes of `body` in `format` as make_response writes them.
std::vector<uint8_t> encode(const json& body, uint16_t format) {
  if (format == cf::kJson) {
    const std::string text = body.dump();
    return {text.begin(), text.end()};
  }
  return json::to_cbor(body);
}

// The request body decoded by the server re-encodes, and re-decodes to the same value (compared
// as bytes, so NaN compares equal to itself).
void check_body_round_trip(const Message& request) {
  auto body = dps::provisioning::decode_body(request);
  if (!body) {
    FUZZ_REQUIRE(body.error().code == dps::ErrorCode::BadRequest);
    FUZZ_REQUIRE(!body.error().internal.empty());
    return;
  }
  FUZZ_REQUIRE(body->is_object());
  const std::vector<uint8_t> once = json::to_cbor(*body);
  const std::vector<uint8_t> twice = json::to_cbor(json::from_cbor(once));
  FUZZ_REQUIRE(once == twice);
}

void check_response(const Message& request, const dps::provisioning::StepResult& result,
                    Code success, uint16_t accept) {
  const Message& response = result.response;
  dps::fuzz::note(
      dps::coap::to_string(response.code) + " " +
      (response.content_format() ? std::string("(body)") : std::string(response.payload_text())));
  FUZZ_REQUIRE(response.token == request.token);
  FUZZ_REQUIRE(result.record.has_value());  // the group admits this peer: every answer is recorded
  if (response.code != success) {
    FUZZ_REQUIRE(dps::coap::is_response(response.code) &&
                 dps::coap::code_class(response.code) >= 4);
    FUZZ_REQUIRE(!response.content_format().has_value());
    FUZZ_REQUIRE(result.close_after == (response.code != Code::ServiceUnavailable));
    return;
  }
  // A success answer is in the Accept format and is exactly what our encoder makes of it.
  const uint16_t format = accept == 0 ? cf::kOcfCbor : accept;
  FUZZ_REQUIRE(response.content_format() == format);
  json body = format == cf::kJson ? json::parse(response.payload_text())
                                  : json::from_cbor(response.payload);
  FUZZ_REQUIRE(body.is_object());
  FUZZ_REQUIRE(encode(body, format) == response.payload);
  FUZZ_REQUIRE(!result.close_after);
  FUZZ_REQUIRE(dps::pki::Uuid::parse(result.record->device_id).has_value());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  World& w = world();
  const uint8_t selector = data[0];
  const bool credentials = (selector & 1) != 0;
  const uint16_t content_format = kFormats[(selector >> 1) & 3];
  const uint16_t accept = kFormats[(selector >> 3) & 3];
  const bool first_request = (selector & 0x20) != 0;

  Message request;
  request.code = Code::Post;
  request.token = {1, 2, 3, 4, 5, 6, 7, 8};
  request.set_uri_path(credentials ? dps::provisioning::uris::kCredentials
                                   : dps::provisioning::uris::kCloudConfiguration);
  if (content_format != 0) request.add_uint_option(opt::kContentFormat, content_format);
  if (accept != 0) request.add_uint_option(opt::kAccept, accept);
  request.add_uint_option(opt::kOcfAcceptContentFormatVersion, 2048);
  request.add_uint_option(opt::kOcfContentFormatVersion, 2048);
  request.payload.assign(data + 1, data + size);

  check_body_round_trip(request);
  const auto result = w.router->handle(w.peer, w.catalog, request, first_request);
  check_response(request, result, Code::Changed, accept);
  return 0;
}
