#include "provisioning/hub_selection.hpp"

#include <algorithm>

namespace dps::provisioning {

Result<HubChoice> choose_hub(const std::vector<const store::Hub*>& linked,
                             const std::optional<store::Gateway>& selected) {
  if (linked.empty()) return fail(ErrorCode::BadRequest, "enrollment group links no known hub");
  HubChoice choice;
  for (const store::Hub* hub : linked) {
    for (const auto& uri : hub->gateways) {
      store::Gateway gateway{uri, hub->hub_id};
      if (std::find(choice.servers.begin(), choice.servers.end(), gateway) ==
          choice.servers.end()) {
        choice.servers.push_back(std::move(gateway));
      }
    }
  }
  if (selected) {
    for (const store::Hub* hub : linked) {
      if (hub->hub_id != selected->id) continue;
      if (std::find(hub->gateways.begin(), hub->gateways.end(), selected->uri) !=
          hub->gateways.end()) {
        choice.hub = hub;
        choice.gateway = selected->uri;
        return choice;
      }
    }
  }
  const store::Hub* first = linked.front();
  if (first->gateways.empty()) {
    return fail(ErrorCode::BadRequest, "hub " + first->hub_id + " has no gateway");
  }
  choice.hub = first;
  choice.gateway = first->gateways.front();
  return choice;
}

}  // namespace dps::provisioning
