// libFuzzer target for the management API's request parsing (src/api): enrollment-group and hub
// bodies as POST and PUT decode them (json_codec.hpp, json_reader, value_source, and pki for the
// trust material), and request targets (parse_target's path and query decoding, then the filters
// the list and delete routes read).
//
// Input: byte 0 % 5 selects what the rest is.
//   0  enrollment-group body, POST        1  enrollment-group body, PUT over a stored group
//   2  hub body, POST                     3  hub body, PUT
//   4  request target ("/api/v1/...?idFilter=...")
//
// Checks: nothing throws; a refusal is BadRequest; an accepted object is written back by to_json,
// and that JSON, sent as a PUT of the same object, decodes to the same object (the API's own GET
// -> edit -> PUT cycle); a decoded query re-encodes to a target that decodes the same.
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "api/http_types.hpp"
#include "api/json_codec.hpp"
#include "api/routes/route_support.hpp"
#include "fuzz_support.hpp"

namespace {

using dps::ErrorCode;
namespace api = dps::api;

constexpr const char* kOwner = "5a5a5a5a-0000-4000-8000-00000000000a";
constexpr const char* kId = "e9e9e9e9-0000-4000-8000-000000000009";

template <class T>
void require_refusal(const dps::Result<T>& result) {
  dps::fuzz::note("refused: " + result.error().internal);
  FUZZ_REQUIRE(result.error().code == ErrorCode::BadRequest);
  FUZZ_REQUIRE(!result.error().internal.empty());
}

// The stored group a PUT edits: the (new) fields a body omits keep these values.
const dps::store::EnrollmentGroup& stored_group() {
  static const dps::store::EnrollmentGroup group = [] {
    dps::store::EnrollmentGroup g;
    g.id = kId;
    g.owner = kOwner;
    g.name = "stored";
    g.hub_ids = {"d4d4d4d4-0000-4000-8000-000000000004"};
    g.disabled = true;
    g.revoked_certificates = {"01:ab", "00ff"};
    return g;
  }();
  return group;
}

void fuzz_group(std::string_view body, bool create) {
  const api::BodyContext context{kOwner, kId, create};
  auto group = api::enrollment_group_from_json(body, context, create ? nullptr : &stored_group());
  if (!group) return require_refusal(group);
  FUZZ_REQUIRE(group->id == kId && group->owner == kOwner && !group->name.empty());
  FUZZ_REQUIRE(!group->hub_ids.empty() && !group->x509.lead_certificate_name.empty());
  const std::string written = api::to_json(*group).dump();
  dps::fuzz::note("group: " + written.substr(0, 200));
  auto again = api::enrollment_group_from_json(written, {kOwner, kId, false}, nullptr);
  FUZZ_REQUIRE(again.has_value());
  FUZZ_REQUIRE(*again == *group);
}

void fuzz_hub(std::string_view body, bool create) {
  const api::BodyContext context{kOwner, kId, create};
  auto hub = api::hub_from_json(body, context, dps::ApiTokenNames{});
  if (!hub) return require_refusal(hub);
  FUZZ_REQUIRE(hub->id == kId && hub->owner == kOwner && !hub->name.empty());
  FUZZ_REQUIRE(!hub->hub_id.empty() && !hub->gateways.empty());
  const std::string written = api::to_json(*hub).dump();
  dps::fuzz::note("hub: " + written.substr(0, 200));
  auto again = api::hub_from_json(written, {kOwner, kId, false}, dps::ApiTokenNames{});
  FUZZ_REQUIRE(again.has_value());
  FUZZ_REQUIRE(*again == *hub);
}

// RFC 3986 unreserved characters stay, everything else is %XX: what a careful client sends.
std::string percent_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

void fuzz_target(std::string_view target) {
  auto request = api::parse_target("GET", target, "");
  if (!request) return require_refusal(request);
  FUZZ_REQUIRE(request->method == "GET" && request->body.empty());

  // Re-encoding the decoded path and query gives a target that decodes to the same request.
  std::string encoded;
  for (size_t start = 0; start <= request->path.size();) {
    const size_t slash = request->path.find('/', start);
    const size_t end = slash == std::string::npos ? request->path.size() : slash;
    encoded += percent_encode(std::string_view(request->path).substr(start, end - start));
    if (slash == std::string::npos) break;
    encoded += '/';
    start = slash + 1;
  }
  char separator = '?';
  for (const auto& [key, value] : request->query) {
    encoded += separator;
    encoded += percent_encode(key) + "=" + percent_encode(value);
    separator = '&';
  }
  auto again = api::parse_target("GET", encoded, "");
  FUZZ_REQUIRE(again.has_value());
  FUZZ_REQUIRE(again->path == request->path);
  FUZZ_REQUIRE(again->query == request->query);

  // The filters of each list/delete route (management_api.hpp), and of none.
  const auto check_filters = [&](const dps::Result<api::routes::Filters>& filters) {
    if (!filters) return require_refusal(filters);
    size_t count = 0;
    for (const auto& [name, values] : *filters) count += values.size();
    FUZZ_REQUIRE(count == request->query.size());
  };
  check_filters(api::routes::read_filters(
      *request, {"idFilter", "attestationMechanismX509CertificateNames", "hubIdFilter"}));
  check_filters(api::routes::read_filters(*request, {"idFilter", "hubIdFilter"}));
  check_filters(api::routes::read_filters(
      *request, {"idFilter", "deviceIdFilter", "enrollmentGroupIdFilter"}));
  check_filters(api::routes::read_filters(*request, {}));
  // Path segments as the PUT routes read an id.
  const size_t last = request->path.rfind('/');
  (void)api::routes::path_id(std::string_view(request->path).substr(last + 1));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 5) {
    case 0:
      fuzz_group(input, /*create=*/true);
      break;
    case 1:
      fuzz_group(input, /*create=*/false);
      break;
    case 2:
      fuzz_hub(input, /*create=*/true);
      break;
    case 3:
      fuzz_hub(input, /*create=*/false);
      break;
    default:
      fuzz_target(input);
      break;
  }
  return 0;
}
