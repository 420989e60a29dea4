// The exact response payloads of device-protocol §3. Pure functions of their inputs so tests can
// pin every key: a device fails a step on an extra key (ownership) or a missing `tag`.
#pragma once

#include <chrono>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "store/entities.hpp"

namespace dps::provisioning {

/// §3.1 {"time": RFC 3339 UTC}.
nlohmann::json time_payload(std::chrono::system_clock::time_point now);

/// §3.2 {"devowneruuid": ...} and nothing else.
nlohmann::json ownership_payload(const std::string& owner_uuid);

struct CloudConfiguration {
  std::string provider_name;            // apn
  std::string gateway_uri;              // cis
  std::string access_token;             // at
  std::string hub_id;                   // sid
  std::vector<store::Gateway> servers;  // x.org.iotivity.servers; omitted when empty
};
/// §3.3.
nlohmann::json cloud_configuration_payload(const CloudConfiguration& config);

struct IssuedCredentials {
  std::string owner_uuid;
  std::string device_uuid;     // from the issued certificate's CN
  std::string chain_pem;       // leaf + intermediates, no root
  std::string trust_ca_pem;    // root of the issuing chain
  std::string pre_shared_key;  // exactly 16 bytes, or empty for none
};
/// §3.4 {"creds": [psk?, cert, trustca]} in that order.
nlohmann::json credentials_payload(const IssuedCredentials& creds);

/// §3.5 {"aclist2": [owner ACE, anonymous ACE, one ACE per distinct hub id]}.
nlohmann::json acls_payload(const std::string& owner_uuid, const std::vector<std::string>& hub_ids);
/// Appends an enrollment template's ACEs (the API's form: subject, resources, permission; checked
/// when the template was written) to an acls_payload, each resource with "if": ["*"] and dps's
/// tag like the others; an ACE equal to one already in the list is left out.
void add_template_aces(nlohmann::json& payload, const nlohmann::json& template_aces);

/// (dps extension) GET pre-configuration: {"updates": [{"href": ..., "rep": {...}}]} from
/// `updates`, an array of {"href", "representation"} (substituted).
nlohmann::json pre_configuration_payload(const nlohmann::json& updates);

}  // namespace dps::provisioning
