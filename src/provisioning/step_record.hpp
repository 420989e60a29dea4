// Sets a step's status in a provisioning record update, creating the section if needed.
#pragma once

#include "store/entities.hpp"

namespace dps::provisioning {

enum class Step { PlgdTime, Ownership, CloudConfiguration, Credentials, Acls, PreConfiguration };

void set_step_status(store::ProvisioningRecord& record, Step step, store::StepStatus status);

}  // namespace dps::provisioning
