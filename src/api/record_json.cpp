#include "api/record_json.hpp"

#include <nlohmann/json.hpp>

#include "api/plgd_record_messages.hpp"
#include "api/value_source.hpp"

namespace dps::api {
namespace {

using nlohmann::json;

// protobuf's JSON mapping writes int64 as a string; plgd's clients expect that.
std::string int64_text(int64_t value) { return std::to_string(value); }

void put_if(json& object, const char* key, const std::string& value) {
  if (!value.empty()) object[key] = value;
}

// plgd's ProvisionStatus; dps's StepStatus in the OCF view, the same fields.
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
json parse_list(const std::string& text) {
  json list = text.empty() ? json() : json::parse(text, nullptr, /*allow_exceptions=*/false);
  return list.is_array() ? list : json::array();
}

json x509_json(const store::AttestationSection& attestation) {
  json x509 = json::object();
  put_if(x509, "certificatePem", attestation.certificate_pem);
  put_if(x509, "commonName", attestation.common_name);
  return x509;
}

// (dps extension) A device that attested with its TPM (device-protocol §5): which endorsement key.
void put_tpm(const store::AttestationSection& attestation, json& out) {
  if (attestation.tpm_endorsement_key_sha256.empty()) return;
  out["tpm"] = {{"endorsementKeySha256", attestation.tpm_endorsement_key_sha256}};
}

json pre_shared_key_json(const store::CredentialSection& credential) {
  return {{"subjectId", credential.pre_shared_key_subject_id},
          {"key", render_value(credential.pre_shared_key, ValueKind::Secret)}};
}

// plgd's CloudStatus.selectedGateway: the index of the gateway the device was sent to, -1 when
// it was sent to none (plgd's cloudConfiguration.go writes -1 then).
int selected_index(const store::CloudSection& cloud) {
  if (!cloud.selected_gateway) return -1;
  for (size_t i = 0; i < cloud.gateways.size(); ++i) {
    if (cloud.gateways[i] == *cloud.selected_gateway) return static_cast<int>(i);
  }
  return -1;
}

json gateways_json(const store::CloudSection& cloud) {
  json gateways = json::array();
  for (const auto& gateway : cloud.gateways) gateways.push_back(gateway_json(gateway));
  return gateways;
}

// (new) The same in both views: plgd has no such section.
void put_pre_configuration(const store::ProvisioningRecord& record, json& out) {
  const auto& p = record.pre_configuration;
  if (!p) return;
  json section{{"status", status_json(p->status)}};
  if (json updates = parse_list(p->updates_json); !updates.empty()) {
    section["updates"] = std::move(updates);
  }
  if (json results = parse_list(p->results_json); !results.empty()) {
    section["results"] = std::move(results);
  }
  out["preConfiguration"] = std::move(section);
}

// plgd's HTTP gateway emits unpopulated fields and then drops null, "", {} and []
// (plgd_record_messages.hpp): zero numbers stay, empty text and lists go.
void put_plgd_sections(const store::ProvisioningRecord& record, json& out) {
  if (const auto& a = record.attestation) {
    out["attestation"] = {{"date", int64_text(a->status.date)}};
    if (json x509 = x509_json(*a); !x509.empty()) out["attestation"]["x509"] = std::move(x509);
    put_tpm(*a, out["attestation"]);
  }
  if (const auto& t = record.plgd_time) out["plgdTime"] = status_json(t->status);
  if (const auto& o = record.ownership) {
    out["ownership"] = {{"status", status_json(o->status)}};
    put_if(out["ownership"], "owner", o->owner);
  }
  if (const auto& c = record.cloud) {
    json cloud{{"status", status_json(c->status)}, {"selectedGateway", selected_index(*c)}};
    put_if(cloud, "providerName", c->provider_name);
    if (!c->gateways.empty()) cloud["gateways"] = gateways_json(*c);
    out["cloud"] = std::move(cloud);
  }
  if (const auto& c = record.credential) {
    json credential{{"status", status_json(c->status)}};
    put_if(credential, "identityCertificatePem", c->identity_certificate_pem);
    if (!c->pre_shared_key.empty()) {
      json key = pre_shared_key_json(*c);
      if (c->pre_shared_key_subject_id.empty()) key.erase("subjectId");
      credential["preSharedKey"] = std::move(key);
    }
    json credentials = json::array();
    for (const auto& cred : parse_list(c->credentials_json)) {
      if (cred.is_object()) credentials.push_back(plgd_credential(cred));
    }
    if (!credentials.empty()) credential["credentials"] = std::move(credentials);
    out["credential"] = std::move(credential);
  }
  if (const auto& a = record.acl) {
    json acl{{"status", status_json(a->status)}};
    json list = json::array();
    for (const auto& ace : parse_list(a->access_control_list_json)) {
      if (ace.is_object()) list.push_back(plgd_access_control(ace));
    }
    if (!list.empty()) acl["accessControlList"] = std::move(list);
    out["acl"] = std::move(acl);
  }
  put_pre_configuration(record, out);
}

void put_ocf_sections(const store::ProvisioningRecord& record, json& out) {
  if (const auto& a = record.attestation) {
    out["attestation"] = {{"date", int64_text(a->status.date)},
                          {"status", status_json(a->status)},
                          {"x509", x509_json(*a)}};
    put_tpm(*a, out["attestation"]);
  }
  if (const auto& t = record.plgd_time) out["plgdTime"] = {{"status", status_json(t->status)}};
  if (const auto& o = record.ownership) {
    out["ownership"] = {{"status", status_json(o->status)}};
    put_if(out["ownership"], "owner", o->owner);
  }
  if (const auto& c = record.cloud) {
    json cloud{{"status", status_json(c->status)}};
    put_if(cloud, "providerName", c->provider_name);
    if (!c->gateways.empty()) cloud["gateways"] = gateways_json(*c);
    if (c->selected_gateway) cloud["selectedGateway"] = gateway_json(*c->selected_gateway);
    out["cloud"] = std::move(cloud);
  }
  if (const auto& c = record.credential) {
    json credential{{"status", status_json(c->status)}};
    put_if(credential, "identityCertificatePem", c->identity_certificate_pem);
    if (!c->pre_shared_key.empty()) credential["preSharedKey"] = pre_shared_key_json(*c);
    json creds = parse_list(c->credentials_json);
    if (!creds.empty()) credential["credentials"] = std::move(creds);
    out["credential"] = std::move(credential);
  }
  if (const auto& a = record.acl) {
    json acl{{"status", status_json(a->status)}};
    json list = parse_list(a->access_control_list_json);
    if (!list.empty()) acl["accessControlList"] = std::move(list);
    out["acl"] = std::move(acl);
  }
  put_pre_configuration(record, out);
}

}  // namespace

json to_json(const store::ProvisioningRecord& record, RecordView view) {
  json out = json::object();
  put_if(out, "id", record.id);
  put_if(out, "deviceId", record.device_id);
  put_if(out, "enrollmentGroupId", record.enrollment_group_id);
  // (new) Set instead of enrollmentGroupId when the device's own enrollment admitted it.
  put_if(out, "individualEnrollmentId", record.individual_enrollment_id);
  put_if(out, "owner", record.owner);
  // plgd prints an int64 even at 0; the OCF view kept the old omission.
  if (record.creation_date || view == RecordView::Plgd) {
    out["creationDate"] = int64_text(record.creation_date);
  }
  if (!record.local_endpoints.empty()) out["localEndpoints"] = record.local_endpoints;
  if (view == RecordView::Plgd) {
    put_plgd_sections(record, out);
  } else {
    put_ocf_sections(record, out);
  }
  return out;
}

}  // namespace dps::api
