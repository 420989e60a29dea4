#include "provisioning/payloads.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "common/clock.hpp"

namespace dps::provisioning {
namespace {

using nlohmann::json;

// Every credential and ACE carries it: the device deletes its older DPS entries and keeps only
// the ones tagged so (device-protocol §3).
constexpr const char* kTag = "dps";

// OCF permission bits (oic.sec.ace2): C=1 R=2 U=4 D=8 N=16.
constexpr int kPermissionAll = 31;
constexpr int kPermissionRead = 2;

json href(const char* path) { return json{{"href", path}, {"if", json::array({"*"})}}; }
json wildcard() { return json{{"wc", "*"}, {"if", json::array({"*"})}}; }

json ace(json subject, json resources, int permission) {
  return json{{"subject", std::move(subject)},
              {"resources", std::move(resources)},
              {"permission", permission},
              {"tag", kTag}};
}

}  // namespace

json time_payload(std::chrono::system_clock::time_point now) {
  return json{{"time", rfc3339_utc(now)}};
}

json ownership_payload(const std::string& owner_uuid) { return json{{"devowneruuid", owner_uuid}}; }

json cloud_configuration_payload(const CloudConfiguration& config) {
  json body{{"apn", config.provider_name},
            {"cis", config.gateway_uri},
            {"at", config.access_token},
            {"sid", config.hub_id}};
  if (!config.servers.empty()) {
    json servers = json::array();
    for (const auto& server : config.servers) {
      servers.push_back(json{{"uri", server.uri}, {"id", server.id}});
    }
    body["x.org.iotivity.servers"] = std::move(servers);
  }
  return body;
}

json credentials_payload(const IssuedCredentials& creds) {
  json list = json::array();
  if (!creds.pre_shared_key.empty()) {
    // The PSK travels as a CBOR byte string with the raw encoding.
    std::vector<uint8_t> key(creds.pre_shared_key.begin(), creds.pre_shared_key.end());
    list.push_back(json{{"credtype", 1},
                        {"subjectuuid", creds.owner_uuid},
                        {"privatedata", json{{"data", json::binary(std::move(key))},
                                             {"encoding", "oic.sec.encoding.raw"}}},
                        {"tag", kTag}});
  }
  list.push_back(
      json{{"credtype", 8},
           {"subjectuuid", creds.device_uuid},
           {"credusage", "oic.sec.cred.cert"},
           {"publicdata", json{{"data", creds.chain_pem}, {"encoding", "oic.sec.encoding.pem"}}},
           {"tag", kTag}});
  list.push_back(
      json{{"credtype", 8},
           {"subjectuuid", creds.owner_uuid},
           {"credusage", "oic.sec.cred.trustca"},
           {"publicdata", json{{"data", creds.trust_ca_pem}, {"encoding", "oic.sec.encoding.pem"}}},
           {"tag", kTag}});
  return json{{"creds", std::move(list)}};
}

json pre_configuration_payload(const json& updates) {
  json list = json::array();
  for (const auto& update : updates) {
    list.push_back(json{{"href", update.at("href")}, {"rep", update.at("representation")}});
  }
  return json{{"updates", std::move(list)}};
}

void add_template_aces(json& payload, const json& template_aces) {
  json& list = payload["aclist2"];
  for (const auto& given : template_aces) {
    json resources = json::array();
    for (json resource : given.value("resources", json::array())) {
      resource["if"] = json::array({"*"});
      resources.push_back(std::move(resource));
    }
    json entry = ace(given.value("subject", json::object()), std::move(resources),
                     given.value("permission", 0));
    // An ACE a device already gets is not sent twice (the device keeps both otherwise).
    if (std::find(list.begin(), list.end(), entry) == list.end()) list.push_back(std::move(entry));
  }
}

json acls_payload(const std::string& owner_uuid, const std::vector<std::string>& hub_ids) {
  json list = json::array();
  list.push_back(
      ace(json{{"uuid", owner_uuid}},
          json::array({href("/CoapCloudConfResURI"), href("/oic/sec/sp"), href("/x.plgd.dev/time"),
                       href("/oc/con"), href("/oc/swu"), href("/oic/mnt"), wildcard()}),
          kPermissionAll));
  list.push_back(ace(json{{"conntype", "anon-clear"}},
                     json::array({href("/oic/d"), href("/oic/p"), href("/oic/res"),
                                  href("/oic/sec/sdi"), href("/oic/sec/doxm")}),
                     kPermissionRead));
  std::vector<std::string> seen;
  for (const auto& hub_id : hub_ids) {
    if (std::find(seen.begin(), seen.end(), hub_id) != seen.end()) continue;
    seen.push_back(hub_id);
    list.push_back(ace(json{{"uuid", hub_id}},
                       json::array({href("/oc/con"), href("/oc/swu"), href("/oic/mnt"),
                                    href("/x.plgd.dev/time"), wildcard()}),
                       kPermissionAll));
  }
  return json{{"aclist2", std::move(list)}};
}

}  // namespace dps::provisioning
