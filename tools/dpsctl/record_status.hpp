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

}  // namespace dps::dpsctl
