// The five provisioning steps (device-protocol §3), one file each, behind one shape: the router
// has already checked path, method, options, the session's enrollment group and the response
// format; a step decodes its input, does its work and fills its record section.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "coap/message.hpp"
#include "common/result.hpp"
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

/// `di` of a request body: absent is allowed only when `required` is false; present must be a
/// UUID (BadRequest otherwise). Returns the normalised lowercase UUID or empty.
Result<std::string> device_id_of(const nlohmann::json& body, bool required);

}  // namespace dps::provisioning
