// Hub options of `create` and `update`, and the JSON merge patch they make of a hub
// (api/hub_codec.cpp): hubId, gateways, name, authorization.{ownerClaim, deviceIdClaim}. Hubs
// made here use dps's built-in CA and dps-minted tokens (no certificateAuthority, no
// authorization.provider); update keeps whatever the stored hub has there.
#pragma once

#include <CLI/App.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace dps::dpsctl {

/// plgd hub's default owner claim; the API requires one, so create sends this unless told.
inline constexpr const char* kDefaultOwnerClaim = "https://plgd.dev/owner";

/// As given on the command line; empty means "not given".
struct HubOptions {
  std::string hub_id;
  std::vector<std::string> gateways;
  std::string name;
  std::string record_id;  // create --id: refused, ids are generated (see hubs_command.cpp)
  std::string owner_claim;
  std::string device_id_claim;
};

/// Registers the options on `verb`; for create, --hub-id and --gateway are required.
void add_hub_options(CLI::App& verb, HubOptions& options, bool create);

/// The fields that were given as a merge patch (RFC 7396); with `create`, the owner claim
/// defaults to kDefaultOwnerClaim.
nlohmann::json hub_patch(const HubOptions& options, bool create);

}  // namespace dps::dpsctl
