// Which hub and gateway a device is sent to (device-protocol §3.3).
#pragma once

#include <optional>
#include <vector>

#include "common/result.hpp"
#include "store/entities.hpp"

namespace dps::provisioning {

struct HubChoice {
  const store::Hub* hub = nullptr;
  std::string gateway;                  // cis
  std::vector<store::Gateway> servers;  // every gateway of every linked hub, no duplicates
};

/// If `selected` names a linked hub's hubId and one of its gateways, that one; otherwise the first
/// linked hub (EG order) and its first gateway. BadRequest when no hub is linked or the first
/// hub has no gateway.
Result<HubChoice> choose_hub(const std::vector<const store::Hub*>& linked,
                             const std::optional<store::Gateway>& selected);

}  // namespace dps::provisioning
