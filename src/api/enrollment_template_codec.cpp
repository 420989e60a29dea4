// Enrollment template <-> JSON (management-api.md "Enrollment templates", a dps extension after
// AWS IoT's provisioning templates): what the devices of the enrollments naming it get besides
// their enrollment's provisioning.
#include <nlohmann/json.hpp>

#include "api/codec_support.hpp"

namespace dps::api {
namespace {

using nlohmann::json;

// 0 keeps the default. Below an hour a certificate would expire before a device that went
// offline for a moment could renew it; ten years is as long as a device CA usually lives.
constexpr int64_t kMinCertificateValidity = 3600;
constexpr int64_t kMaxCertificateValidity = 10LL * 365 * 24 * 3600;
// A token shorter than a minute expires in transit; one longer than a year is a credential
// nobody rotates.
constexpr int64_t kMinTokenLifetime = 60;
constexpr int64_t kMaxTokenLifetime = 365LL * 24 * 3600;

int64_t seconds_field(JsonReader& root, std::string_view key, int64_t least, int64_t most) {
  const int64_t value = root.int64(key);
  if (value != 0 && (value < least || value > most)) {
    root.fail(key, "must be 0 (the default) or " + std::to_string(least) + ".." +
                       std::to_string(most) + ", got " + std::to_string(value));
  }
  return value;
}

}  // namespace

json to_json(const store::EnrollmentTemplate& t) {
  json out = json::object();
  codec::put_if(out, "id", t.id);
  codec::put_if(out, "owner", t.owner);
  codec::put_if(out, "name", t.name);
  // Written by the codec below: a parse failure would be a store bug, shown as no ACEs.
  json aces = json::parse(t.access_control_list_json, nullptr, /*allow_exceptions=*/false);
  if (aces.is_array() && !aces.empty()) out["accessControlList"] = std::move(aces);
  out["identityCertificateValiditySeconds"] = t.identity_certificate_validity_seconds;
  out["tokenLifetimeSeconds"] = t.token_lifetime_seconds;
  if (!t.pre_configuration.empty()) {
    json updates = json::array();
    for (const auto& update : t.pre_configuration) {
      json representation =
          json::parse(update.representation_json, nullptr, /*allow_exceptions=*/false);
      if (representation.is_discarded()) representation = json::object();
      updates.push_back({{"href", update.href}, {"representation", std::move(representation)}});
    }
    out["preConfiguration"] = std::move(updates);
  }
  return out;
}

Result<store::EnrollmentTemplate> enrollment_template_from_json(std::string_view body,
                                                                const BodyContext& context) {
  auto doc = codec::parse_body(body);
  if (!doc) return tl::unexpected(doc.error());
  Problem problem;
  JsonReader root(*doc, "", problem);
  codec::check_identity(root, context);

  store::EnrollmentTemplate t;
  t.id = context.id;
  t.owner = context.owner;
  t.name = root.string("name");
  t.access_control_list_json = codec::access_control_list_field(root, problem).dump();
  t.identity_certificate_validity_seconds = seconds_field(
      root, "identityCertificateValiditySeconds", kMinCertificateValidity, kMaxCertificateValidity);
  t.token_lifetime_seconds =
      seconds_field(root, "tokenLifetimeSeconds", kMinTokenLifetime, kMaxTokenLifetime);
  t.pre_configuration = codec::pre_configuration_field(root, problem);
  root.finish();
  if (problem) return fail(ErrorCode::BadRequest, *problem);
  if (t.name.empty()) t.name = t.id;
  return t;
}

}  // namespace dps::api
