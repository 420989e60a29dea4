#include "store/column_codec.hpp"

#include <exception>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "common/hex.hpp"

namespace dps::store::codec {

namespace {

using nlohmann::json;

// Named functions rather than ADL to_json/from_json: the API module writes its own (different,
// management-API) JSON for the same structs, and two ADL overloads would be an ODR clash.

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  throw std::invalid_argument("bad hex digit");  // caught in decode(), never leaves this file
}

std::string from_hex(const std::string& hex) {
  if (hex.size() % 2 != 0) throw std::invalid_argument("odd hex length");
  std::string bytes;
  bytes.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    bytes += static_cast<char>(hex_value(hex[i]) * 16 + hex_value(hex[i + 1]));
  }
  return bytes;
}

std::string str(const json& j, const char* key) { return j.value(key, std::string()); }

json status_json(const StepStatus& s) {
  return {{"date", s.date}, {"coapCode", s.coap_code}, {"errorMessage", s.error_message}};
}

StepStatus status_from(const json& j) {
  const json& s = j.at("status");
  return {s.value("date", int64_t{0}), static_cast<uint8_t>(s.value("coapCode", 0u)),
          str(s, "errorMessage")};
}

json gateway_json(const Gateway& g) { return {{"uri", g.uri}, {"id", g.id}}; }
Gateway gateway_from(const json& j) { return {str(j, "uri"), str(j, "id")}; }

template <class T>
T from_json(const json& j);

template <>
std::vector<std::string> from_json(const json& j) {
  return j.get<std::vector<std::string>>();
}

template <>
GrpcClientConfig from_json(const json& j) {
  // Fields after caPool came with the gRPC client (issue 13); rows written before lack them.
  return {str(j, "address"),
          str(j, "caPool"),
          str(j, "certPem"),
          str(j, "keyPem"),
          j.value("keepAliveTimeNs", int64_t{0}),
          j.value("keepAliveTimeoutNs", int64_t{0}),
          j.value("keepAlivePermitWithoutStream", false),
          j.value("useSystemCaPool", false)};
}

template <>
HubAuthorization from_json(const json& j) {
  HubAuthorization a{str(j, "ownerClaim"), str(j, "deviceIdClaim"), {}};
  const json& p = j.at("provider");
  a.provider = {str(p, "name"),
                str(p, "authority"),
                str(p, "clientId"),
                from_hex(str(p, "clientSecretHex")),
                str(p, "clientSecretFile"),
                p.value("scopes", std::vector<std::string>()),
                str(p, "audience"),
                str(p, "caPool"),
                p.value("useSystemCaPool", false)};
  return a;
}

template <>
AttestationSection from_json(const json& j) {
  return {status_from(j), str(j, "certificatePem"), str(j, "commonName"),
          str(j, "tpmEndorsementKeySha256")};
}

template <>
PlgdTimeSection from_json(const json& j) {
  return {status_from(j)};
}

template <>
OwnershipSection from_json(const json& j) {
  return {status_from(j), str(j, "owner")};
}

template <>
CloudSection from_json(const json& j) {
  CloudSection c{status_from(j), str(j, "providerName"), {}, std::nullopt};
  for (const json& g : j.value("gateways", json::array())) c.gateways.push_back(gateway_from(g));
  if (auto it = j.find("selectedGateway"); it != j.end() && !it->is_null()) {
    c.selected_gateway = gateway_from(*it);
  }
  return c;
}

template <>
CredentialSection from_json(const json& j) {
  return {status_from(j), str(j, "identityCertificatePem"), str(j, "preSharedKeySubjectId"),
          from_hex(str(j, "preSharedKeyHex")), str(j, "credentials")};
}

template <>
AclSection from_json(const json& j) {
  return {status_from(j), str(j, "accessControlList")};
}

template <>
PreConfigurationSection from_json(const json& j) {
  return {status_from(j), str(j, "updates"), str(j, "results")};
}

template <>
std::vector<ResourceUpdate> from_json(const json& j) {
  std::vector<ResourceUpdate> updates;
  for (const json& u : j.get<std::vector<json>>()) {
    updates.push_back({str(u, "href"), str(u, "representation")});
  }
  return updates;
}

}  // namespace

std::string encode(const std::vector<std::string>& strings) { return dump(json(strings)); }

std::string encode(const GrpcClientConfig& config) {
  return dump({{"address", config.address},
               {"caPool", config.ca_pool},
               {"certPem", config.cert_pem},
               {"keyPem", config.key_pem},
               {"keepAliveTimeNs", config.keep_alive_time_ns},
               {"keepAliveTimeoutNs", config.keep_alive_timeout_ns},
               {"keepAlivePermitWithoutStream", config.keep_alive_permit_without_stream},
               {"useSystemCaPool", config.use_system_ca_pool}});
}

std::string encode(const HubAuthorization& a) {
  const OAuthProvider& p = a.provider;
  return dump({{"ownerClaim", a.owner_claim},
               {"deviceIdClaim", a.device_id_claim},
               {"provider",
                {{"name", p.name},
                 {"authority", p.authority},
                 {"clientId", p.client_id},
                 {"clientSecretHex", to_hex(p.client_secret)},
                 {"clientSecretFile", p.client_secret_file},
                 {"scopes", p.scopes},
                 {"audience", p.audience},
                 {"caPool", p.ca_pool},
                 {"useSystemCaPool", p.use_system_ca_pool}}}});
}

std::string encode(const AttestationSection& s) {
  json j{{"status", status_json(s.status)},
         {"certificatePem", s.certificate_pem},
         {"commonName", s.common_name}};
  // Only TPM attestations carry it: certificate records keep the bytes they always had.
  if (!s.tpm_endorsement_key_sha256.empty()) {
    j["tpmEndorsementKeySha256"] = s.tpm_endorsement_key_sha256;
  }
  return dump(j);
}

std::string encode(const PlgdTimeSection& s) { return dump({{"status", status_json(s.status)}}); }

std::string encode(const OwnershipSection& s) {
  return dump({{"status", status_json(s.status)}, {"owner", s.owner}});
}

std::string encode(const CloudSection& s) {
  json gateways = json::array();
  for (const Gateway& g : s.gateways) gateways.push_back(gateway_json(g));
  return dump(
      {{"status", status_json(s.status)},
       {"providerName", s.provider_name},
       {"gateways", std::move(gateways)},
       {"selectedGateway", s.selected_gateway ? gateway_json(*s.selected_gateway) : json()}});
}

std::string encode(const CredentialSection& s) {
  // credentials_json is already JSON, but kept as a string: it is echoed verbatim to the API and
  // must round-trip byte for byte, which re-parsing would not guarantee (key order, spacing).
  return dump({{"status", status_json(s.status)},
               {"identityCertificatePem", s.identity_certificate_pem},
               {"preSharedKeySubjectId", s.pre_shared_key_subject_id},
               {"preSharedKeyHex", to_hex(s.pre_shared_key)},
               {"credentials", s.credentials_json}});
}

std::string encode(const AclSection& s) {
  return dump(
      {{"status", status_json(s.status)}, {"accessControlList", s.access_control_list_json}});
}

std::string encode(const PreConfigurationSection& s) {
  // updates_json / results_json kept as strings, byte for byte, as CredentialSection's.
  return dump({{"status", status_json(s.status)},
               {"updates", s.updates_json},
               {"results", s.results_json}});
}

std::string encode(const std::vector<ResourceUpdate>& updates) {
  // representation_json stays a string: re-parsing could reorder its keys, and the variables in
  // its values must reach the device exactly as the owner wrote them.
  json array = json::array();
  for (const ResourceUpdate& u : updates) {
    array.push_back({{"href", u.href}, {"representation", u.representation_json}});
  }
  return dump(array);
}

template <class T>
Result<T> decode(std::string_view text, std::string_view column) {
  try {
    return from_json<T>(json::parse(text));
  } catch (const std::exception& e) {  // nlohmann's exceptions and our hex errors
    return fail(ErrorCode::Internal, "corrupt " + std::string(column) + " column: " + e.what(),
                "database error");
  }
}

template Result<std::vector<std::string>> decode(std::string_view, std::string_view);
template Result<GrpcClientConfig> decode(std::string_view, std::string_view);
template Result<HubAuthorization> decode(std::string_view, std::string_view);
template Result<AttestationSection> decode(std::string_view, std::string_view);
template Result<PlgdTimeSection> decode(std::string_view, std::string_view);
template Result<OwnershipSection> decode(std::string_view, std::string_view);
template Result<CloudSection> decode(std::string_view, std::string_view);
template Result<CredentialSection> decode(std::string_view, std::string_view);
template Result<AclSection> decode(std::string_view, std::string_view);
template Result<PreConfigurationSection> decode(std::string_view, std::string_view);
template Result<std::vector<ResourceUpdate>> decode(std::string_view, std::string_view);

}  // namespace dps::store::codec
