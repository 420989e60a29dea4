#include "api/plgd_record_messages.hpp"

#include <array>
#include <string_view>
#include <utility>

#include "common/data_uri.hpp"

namespace dps::api {
namespace {

using nlohmann::json;
using NameMap = std::pair<std::string_view, std::string_view>;

// OCF string values (plgd-dev/device schema/credential) and the plgd enum names they become
// (pb/provisioningRecords.go). A value outside a map becomes the enum's zero name, as there.
constexpr std::array<NameMap, 5> kUsages{{{"oic.sec.cred.trustca", "TRUST_CA"},
                                          {"oic.sec.cred.cert", "CERT"},
                                          {"oic.sec.cred.rolecert", "ROLE_CERT"},
                                          {"oic.sec.cred.mfgtrustca", "MFG_TRUST_CA"},
                                          {"oic.sec.cred.mfgcert", "MFG_CERT"}}};
// plgd's device library names "psk" and "rdp" this way round; kept so.
constexpr std::array<NameMap, 5> kRefreshMethods{
    {{"oic.sec.crm.pro", "PROVISION_SERVICE"},
     {"oic.sec.crm.psk", "KEY_AGREEMENT_PROTOCOL_AND_RANDOM_PIN"},
     {"oic.sec.crm.rdp", "KEY_AGREEMENT_PROTOCOL"},
     {"oic.sec.crm.skdc", "KEY_DISTRIBUTION_SERVICE"},
     {"oic.sec.crm.pk10", "PKCS10_REQUEST_TO_CA"}}};
constexpr std::array<NameMap, 7> kPublicEncodings{{{"oic.sec.encoding.raw", "RAW"},
                                                   {"oic.sec.encoding.jwt", "JWT"},
                                                   {"oic.sec.encoding.cwt", "CWT"},
                                                   {"oic.sec.encoding.base64", "BASE64"},
                                                   {"oic.sec.encoding.uri", "URI"},
                                                   {"oic.sec.encoding.pem", "PEM"},
                                                   {"oic.sec.encoding.der", "DER"}}};
constexpr std::array<NameMap, 6> kOptionalEncodings{{{"oic.sec.encoding.raw", "RAW"},
                                                     {"oic.sec.encoding.jwt", "JWT"},
                                                     {"oic.sec.encoding.cwt", "CWT"},
                                                     {"oic.sec.encoding.base64", "BASE64"},
                                                     {"oic.sec.encoding.pem", "PEM"},
                                                     {"oic.sec.encoding.der", "DER"}}};
// oic.sec.ace2 `wc` values (plgd-dev/device schema/acl).
constexpr std::array<NameMap, 3> kWildcards{
    {{"+", "NONCFG_SEC_ENDPOINT"}, {"-", "NONCFG_NONSEC_ENDPOINT"}, {"*", "NONCFG_ALL"}}};
// Bit masks in ascending order with their enum names: oic.sec.cred `credtype` and oic.sec.ace2
// `permission` (C=1 R=2 U=4 D=8 N=16). plgd walks a Go map for credtype (random order for a
// mask of several bits); ascending is the stable choice.
constexpr std::array<std::pair<int64_t, std::string_view>, 6> kCredentialTypes{
    {{1, "SYMMETRIC_PAIR_WISE"},
     {2, "SYMMETRIC_GROUP"},
     {4, "ASYMMETRIC_SIGNING"},
     {8, "ASYMMETRIC_SIGNING_WITH_CERTIFICATE"},
     {16, "PIN_OR_PASSWORD"},
     {32, "ASYMMETRIC_ENCRYPTION_KEY"}}};
constexpr std::array<std::pair<int64_t, std::string_view>, 5> kPermissions{
    {{1, "CREATE"}, {2, "READ"}, {4, "WRITE"}, {8, "DELETE"}, {16, "NOTIFY"}}};

template <size_t N>
std::string name_of(const std::array<NameMap, N>& map, const json& value,
                    std::string_view zero_name) {
  if (value.is_string()) {
    for (const auto& [ocf, name] : map) {
      if (value.get_ref<const std::string&>() == ocf) return std::string(name);
    }
  }
  return std::string(zero_name);
}

template <size_t N>
json bit_names(const std::array<std::pair<int64_t, std::string_view>, N>& bits, const json& mask) {
  json out = json::array();
  if (!mask.is_number_integer()) return out;
  const auto value = mask.get<int64_t>();
  for (const auto& [bit, name] : bits) {
    if ((value & bit) != 0) out.push_back(name);
  }
  return out;
}

const json& field(const json& object, const char* key) {
  static const json kNull;
  if (!object.is_object()) return kNull;
  auto it = object.find(key);
  return it == object.end() ? kNull : *it;
}

void put_text(json& out, const char* key, const json& value) {
  if (value.is_string() && !value.get_ref<const std::string&>().empty()) out[key] = value;
}

void put_list(json& out, const char* key, json list) {
  if (!list.empty()) out[key] = std::move(list);
}

void put_object(json& out, const char* key, json object) {
  if (!object.empty()) out[key] = std::move(object);
}

json text_list(const json& value) {
  json out = json::array();
  if (!value.is_array()) return out;
  for (const auto& item : value) {
    if (item.is_string() && !item.get_ref<const std::string&>().empty()) out.push_back(item);
  }
  return out;
}

// `data` of publicdata/optionaldata as the record keeps it: PEM or other text, or the bytes of a
// CBOR byte string (nlohmann dumps those as {"bytes": [...], "subtype": ...}).
std::string ocf_bytes(const json& data) {
  if (data.is_string()) return data.get<std::string>();
  const json& bytes = data.is_object() ? field(data, "bytes") : data;
  std::string out;
  if (!bytes.is_array()) return out;
  for (const auto& byte : bytes) {
    if (byte.is_number_unsigned() && byte.get<uint64_t>() < 256) {
      out.push_back(static_cast<char>(byte.get<uint64_t>()));
    }
  }
  return out;
}

template <size_t N>
json data_message(const json& ocf, const std::array<NameMap, N>& encodings) {
  json out = json::object();
  const std::string bytes = ocf_bytes(field(ocf, "data"));
  if (!bytes.empty()) out["data"] = protobuf_bytes(bytes);
  out["encoding"] = name_of(encodings, field(ocf, "encoding"), "UNKNOWN");
  return out;
}

}  // namespace

std::string protobuf_bytes(std::string_view bytes) {
  // encode_data_uri gives "data:;base64,<standard base64, padded>": the part after the comma.
  const std::string uri = encode_data_uri(bytes);
  return uri.substr(uri.find(',') + 1);
}

json plgd_credential(const json& ocf_cred) {
  json out = json::object();
  const json& id = field(ocf_cred, "credid");
  out["id"] = std::to_string(id.is_number_integer() ? id.get<int64_t>() : 0);
  put_list(out, "type", bit_names(kCredentialTypes, field(ocf_cred, "credtype")));
  put_text(out, "subject", field(ocf_cred, "subjectuuid"));
  out["usage"] = name_of(kUsages, field(ocf_cred, "credusage"), "NONE");
  json methods = json::array();
  if (const json& crms = field(ocf_cred, "crms"); crms.is_array()) {
    for (const auto& method : crms) methods.push_back(name_of(kRefreshMethods, method, "UNKNOWN"));
  }
  put_list(out, "supportedRefreshMethods", std::move(methods));
  if (const json& optional = field(ocf_cred, "optionaldata"); optional.is_object()) {
    json data = data_message(optional, kOptionalEncodings);
    const json& revoked = field(optional, "revstat");
    data["isRevoked"] = revoked.is_boolean() && revoked.get<bool>();
    out["optionalData"] = std::move(data);
  }
  put_text(out, "period", field(ocf_cred, "period"));
  if (const json& pub = field(ocf_cred, "publicdata"); pub.is_object()) {
    out["publicData"] = data_message(pub, kPublicEncodings);
  }
  if (const json& role = field(ocf_cred, "roleid"); role.is_object()) {
    json role_id = json::object();
    put_text(role_id, "authority", field(role, "authority"));
    put_text(role_id, "role", field(role, "role"));
    put_object(out, "roleId", std::move(role_id));
  }
  return out;
}

json plgd_access_control(const json& ocf_ace) {
  json out = json::object();
  const json& subject = field(ocf_ace, "subject");
  if (subject.contains("uuid")) {
    json device = json::object();
    put_text(device, "deviceId", field(subject, "uuid"));
    put_object(out, "deviceSubject", std::move(device));
  }
  if (subject.contains("role") || subject.contains("authority")) {
    json role = json::object();
    put_text(role, "authority", field(subject, "authority"));
    put_text(role, "role", field(subject, "role"));
    put_object(out, "roleSubject", std::move(role));
  }
  if (subject.contains("conntype")) {
    const json& type = field(subject, "conntype");
    const bool crypt = type.is_string() && type.get_ref<const std::string&>() == "auth-crypt";
    out["connectionSubject"] = {{"type", crypt ? "AUTH_CRYPT" : "ANON_CLEAR"}};
  }
  put_list(out, "permissions", bit_names(kPermissions, field(ocf_ace, "permission")));
  json resources = json::array();
  if (const json& list = field(ocf_ace, "resources"); list.is_array()) {
    for (const auto& ocf : list) {
      json resource = json::object();
      put_text(resource, "href", field(ocf, "href"));
      put_list(resource, "resourceTypes", text_list(field(ocf, "rt")));
      put_list(resource, "interfaces", text_list(field(ocf, "if")));
      resource["wildcard"] = name_of(kWildcards, field(ocf, "wc"), "NONE");
      resources.push_back(std::move(resource));
    }
  }
  put_list(out, "resources", std::move(resources));
  return out;
}

}  // namespace dps::api
