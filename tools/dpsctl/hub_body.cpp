#include "hub_body.hpp"

namespace dps::dpsctl {

using nlohmann::json;

void add_hub_options(CLI::App& verb, HubOptions& options, bool create) {
  auto* hub_id = verb.add_option("--hub-id", options.hub_id,
                                 "The hub's id (UUID, the CN of its certificate); enrollment "
                                 "groups name hubs by it");
  auto* gateway = verb.add_option("--gateway", options.gateways,
                                  "Device gateway URI, e.g. coaps+tcp://hub.example.com:5684; "
                                  "repeat for more" +
                                      std::string(create ? "" : " (replaces the list)"))
                      ->allow_extra_args(false);
  verb.add_option("--name", options.name, "Display name (default: the id)");
  verb.add_option("--owner-claim", options.owner_claim,
                  std::string("JWT claim the hub reads the device owner from") +
                      (create ? " (default " + std::string(kDefaultOwnerClaim) + ")" : ""));
  verb.add_option("--device-id-claim", options.device_id_claim,
                  "JWT claim the hub reads the device id from");
  if (create) {
    hub_id->required();
    gateway->required();
    // Hidden: POST refuses a body id; the option exists to explain that instead of "unknown".
    verb.add_option("--id", options.record_id)->group("");
  }
}

json hub_patch(const HubOptions& options, bool create) {
  json patch = json::object();
  if (!options.hub_id.empty()) patch["hubId"] = options.hub_id;
  if (!options.gateways.empty()) patch["gateways"] = options.gateways;
  if (!options.name.empty()) patch["name"] = options.name;
  json authorization = json::object();
  if (!options.owner_claim.empty()) {
    authorization["ownerClaim"] = options.owner_claim;
  } else if (create) {
    authorization["ownerClaim"] = kDefaultOwnerClaim;
  }
  if (!options.device_id_claim.empty()) authorization["deviceIdClaim"] = options.device_id_claim;
  if (!authorization.empty()) patch["authorization"] = std::move(authorization);
  return patch;
}

}  // namespace dps::dpsctl
