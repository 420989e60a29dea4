// The three steps that only read the enrollment group: time, ownership and ACLs (the group's
// ACEs plus its template's).
#include <algorithm>

#include "provisioning/catalog.hpp"
#include "provisioning/payloads.hpp"
#include "provisioning/steps.hpp"

namespace dps::provisioning {

Result<StepBody> run_plgd_time(const StepInput& in, store::ProvisioningRecord& record) {
  record.plgd_time.emplace();
  return time_payload(in.context.now);
}

Result<StepBody> run_ownership(const StepInput& in, store::ProvisioningRecord& record) {
  record.ownership.emplace();
  record.ownership->owner = in.owner_uuid;
  return ownership_payload(in.owner_uuid);
}

Result<StepBody> run_acls(const StepInput& in, store::ProvisioningRecord& record) {
  std::vector<std::string> hub_ids;
  for (const store::Hub* hub : in.context.catalog->linked_hubs(in.group, nullptr)) {
    hub_ids.push_back(hub->hub_id);
  }
  auto body = acls_payload(in.owner_uuid, hub_ids);
  if (const auto* t = template_of(in)) {
    // Written by the API after validation; a row edited by hand that no longer parses adds
    // nothing rather than failing every device.
    auto extra = nlohmann::json::parse(t->access_control_list_json, nullptr, false);
    if (extra.is_array()) add_template_aces(body, extra);
  }
  record.acl.emplace();
  record.acl->access_control_list_json = body["aclist2"].dump();
  return body;
}

}  // namespace dps::provisioning
