// The five provisioning steps (device-protocol §3), one file each, behind one shape: the router
// has already checked path, method, options, the session's enrollment group and the response
// format; a step decodes its input, does its work and fills its record section.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "auth/token_source.hpp"
#include "coap/message.hpp"
#include "common/result.hpp"
#include "provisioning/hub_selection.hpp"
#include "provisioning/step.hpp"
#include "store/entities.hpp"

namespace dps::provisioning {

struct StepInput {
  const StepContext& context;
  const coap::Message& request;
  const store::EnrollmentGroup& group;
  const std::string& owner_uuid;  // OwnerToUUID(group.owner)
};

/// A step's answer body; the router adds the code, format and status.
using StepBody = nlohmann::json;

/// Each step writes the details of its own section into `record` (the router stamps status).
Result<StepBody> run_plgd_time(const StepInput& in, store::ProvisioningRecord& record);
Result<StepBody> run_ownership(const StepInput& in, store::ProvisioningRecord& record);
Result<StepBody> run_cloud_configuration(const StepInput& in, store::ProvisioningRecord& record);
Result<StepBody> run_credentials(const StepInput& in, store::ProvisioningRecord& record);
Result<StepBody> run_acls(const StepInput& in, store::ProvisioningRecord& record);
/// (dps extension, pre_configuration.cpp) GET: the template's resource updates for the device
/// named by the `di` query; POST: the device's report of what it applied.
Result<StepBody> run_pre_configuration(const StepInput& in, store::ProvisioningRecord& record);
Result<StepBody> run_pre_configuration_report(const StepInput& in,
                                              store::ProvisioningRecord& record);

/// The enrollment template of the admitting enrollment, if it names one of its owner's.
const store::EnrollmentTemplate* template_of(const StepInput& in);

/// `di` of a request body, required: a UUID (BadRequest otherwise), returned in normalised
/// lowercase, and one a device may hold: Forbidden for the id of any owner's hub or of dps's own
/// server certificate (a device with it would pass for them, device-protocol §3.4). That the id
/// is this device's own (pinned to its record, held by no other) the store checks when it
/// commits the step's record (record_merge_sql.hpp).
Result<std::string> device_id_of(const StepInput& in, const nlohmann::json& body);
/// The same check of a `di` given as text (a request's Uri-Query).
Result<std::string> device_id_of(const StepInput& in, std::string_view di);

/// The hub a device is sent to (hub_access.cpp): the group's linked hubs (BadRequest naming any
/// that do not exist), the one `body`'s selectedGateway names, else the first.
Result<HubChoice> hub_for_device(const StepInput& in, const nlohmann::json& body);

/// A bearer token of `hub` for `request` (owner, claims): from the hub's OAuth2 authority when
/// it names one (failures counted and logged naming the hub), else minted by dps.
Result<std::string> hub_token(const StepInput& in, const store::Hub& hub,
                              const auth::TokenRequest& request);

}  // namespace dps::provisioning
