// Provisioning records in the management API's JSON form (management-api.md, device-protocol §4):
// lowerCamelCase, 64-bit numbers as strings, empty fields omitted.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include "store/entities.hpp"

namespace dps::api {

nlohmann::json to_json(const store::ProvisioningRecord& record);

}  // namespace dps::api
