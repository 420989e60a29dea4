#include "api/record_json.hpp"

#include <nlohmann/json.hpp>

#include "api/value_source.hpp"

namespace dps::api {
namespace {

using nlohmann::json;

// protobuf's JSON mapping writes int64 as a string; plgd's clients expect that.
std::string int64_text(int64_t value) { return std::to_string(value); }

void put_if(json& object, const char* key, const std::string& value) {
  if (!value.empty()) object[key] = value;
}

json status_json(const store::StepStatus& status) {
  json out{{"date", int64_text(status.date)}, {"coapCode", status.coap_code}};
  put_if(out, "errorMessage", status.error_message);
  return out;
}

json gateway_json(const store::Gateway& gateway) {
  json out = json::object();
  put_if(out, "uri", gateway.uri);
  put_if(out, "id", gateway.id);
  return out;
}

// Sections keep their lists as JSON text (what was sent to the device); a corrupt value is
// shown as absent rather than failing the whole listing.
json parse_or_null(const std::string& text) {
  if (text.empty()) return nullptr;
  return json::parse(text, nullptr, /*allow_exceptions=*/false);
}

}  // namespace

json to_json(const store::ProvisioningRecord& record) {
  json out = json::object();
  put_if(out, "id", record.id);
  put_if(out, "deviceId", record.device_id);
  put_if(out, "enrollmentGroupId", record.enrollment_group_id);
  put_if(out, "owner", record.owner);
  if (record.creation_date) out["creationDate"] = int64_text(record.creation_date);
  if (!record.local_endpoints.empty()) out["localEndpoints"] = record.local_endpoints;
  if (const auto& a = record.attestation) {
    json x509 = json::object();
    put_if(x509, "certificatePem", a->certificate_pem);
    put_if(x509, "commonName", a->common_name);
    out["attestation"] = {
        {"date", int64_text(a->status.date)}, {"status", status_json(a->status)}, {"x509", x509}};
  }
  if (const auto& t = record.plgd_time) out["plgdTime"] = {{"status", status_json(t->status)}};
  if (const auto& o = record.ownership) {
    out["ownership"] = {{"status", status_json(o->status)}};
    put_if(out["ownership"], "owner", o->owner);
  }
  if (const auto& c = record.cloud) {
    json cloud{{"status", status_json(c->status)}};
    put_if(cloud, "providerName", c->provider_name);
    if (!c->gateways.empty()) {
      json gateways = json::array();
      for (const auto& gateway : c->gateways) gateways.push_back(gateway_json(gateway));
      cloud["gateways"] = std::move(gateways);
    }
    if (c->selected_gateway) cloud["selectedGateway"] = gateway_json(*c->selected_gateway);
    out["cloud"] = std::move(cloud);
  }
  if (const auto& c = record.credential) {
    json credential{{"status", status_json(c->status)}};
    put_if(credential, "identityCertificatePem", c->identity_certificate_pem);
    if (!c->pre_shared_key.empty()) {
      credential["preSharedKey"] = {{"subjectId", c->pre_shared_key_subject_id},
                                    {"key", render_value(c->pre_shared_key, ValueKind::Secret)}};
    }
    json creds = parse_or_null(c->credentials_json);
    if (creds.is_array() && !creds.empty()) credential["credentials"] = std::move(creds);
    out["credential"] = std::move(credential);
  }
  if (const auto& a = record.acl) {
    json acl{{"status", status_json(a->status)}};
    json list = parse_or_null(a->access_control_list_json);
    if (list.is_array() && !list.empty()) acl["accessControlList"] = std::move(list);
    out["acl"] = std::move(acl);
  }
  return out;
}

}  // namespace dps::api
