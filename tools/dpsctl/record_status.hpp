// The STATUS column of `records list`: one word per provisioning step a device went through, in
// the order devices run them.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace dps::dpsctl {

/// E.g. "attestation ok, time ok, ownership ok, cloud ok, credentials ok, acls ok", or for a
/// failed step its CoAP code ("ownership 4.03") or "failed" when it ended before one existed.
/// Steps the record does not hold yet are left out.
std::string record_status(const nlohmann::json& record);

/// When the record last changed: the latest date of its steps (else its creationDate), as UTC
/// "2024-05-01T12:00:00Z"; "" when it has none.
std::string record_time(const nlohmann::json& record);

/// Why the device was refused or a step failed: the errorMessage of the first step that failed
/// ("step: message"), or a refusal the server recorded in a section of its own; "" when none.
std::string failure_reason(const nlohmann::json& record);

}  // namespace dps::dpsctl
