// The handlers behind ManagementApi's routing table, one file per resource (plgd's service/grpc
// one-file-per-RPC, grouped by resource). Each takes an authenticated request and answers it;
// none throws on bad input. Internal to src/api.
#pragma once

#include <string_view>

#include "api/http_types.hpp"
#include "api/routes/route_support.hpp"

namespace dps::api::routes {

// enrollment_groups.cpp
ApiResponse list_enrollment_groups(const ApiRequest& request, const Context& context);
ApiResponse create_enrollment_group(const ApiRequest& request, const Context& context);
ApiResponse update_enrollment_group(const ApiRequest& request, std::string_view id,
                                    const Context& context);
ApiResponse delete_enrollment_groups(const ApiRequest& request, const Context& context);
/// POST /api/v1/enrollment-groups/verification-codes: a single-use code for a proof of
/// possession (management-api.md "Proof of possession").
ApiResponse create_verification_code(const ApiRequest& request, const Context& context);

// enrollment_templates.cpp
ApiResponse list_enrollment_templates(const ApiRequest& request, const Context& context);
ApiResponse create_enrollment_template(const ApiRequest& request, const Context& context);
ApiResponse update_enrollment_template(const ApiRequest& request, std::string_view id,
                                       const Context& context);
ApiResponse delete_enrollment_templates(const ApiRequest& request, const Context& context);

// explain.cpp
/// POST /api/v1/explain: which of the caller's enrollments would admit a device certificate, and
/// why, read from the caller's enrollments only (nothing provisioned, nothing written).
ApiResponse explain_certificate(const ApiRequest& request, const Context& context);

// hubs.cpp
ApiResponse list_hubs(const ApiRequest& request, const Context& context);
ApiResponse create_hub(const ApiRequest& request, const Context& context);
ApiResponse update_hub(const ApiRequest& request, std::string_view id, const Context& context);
ApiResponse delete_hubs(const ApiRequest& request, const Context& context);

// individual_enrollments.cpp
ApiResponse list_individual_enrollments(const ApiRequest& request, const Context& context);
ApiResponse create_individual_enrollment(const ApiRequest& request, const Context& context);
ApiResponse update_individual_enrollment(const ApiRequest& request, std::string_view id,
                                         const Context& context);
ApiResponse delete_individual_enrollments(const ApiRequest& request, const Context& context);

// provisioning_records.cpp
ApiResponse list_provisioning_records(const ApiRequest& request, const Context& context);
ApiResponse delete_provisioning_records(const ApiRequest& request, const Context& context);

}  // namespace dps::api::routes
