// /api/v1/enrollment-groups (management-api.md "Enrollment groups").
#include "api/json_codec.hpp"
#include "api/routes/routes.hpp"
#include "pki/uuid.hpp"

namespace dps::api::routes {
namespace {

constexpr std::string_view kIdFilter = "idFilter";
constexpr std::string_view kNames = "attestationMechanismX509CertificateNames";
constexpr std::string_view kHubIdFilter = "hubIdFilter";

}  // namespace

ApiResponse list_enrollment_groups(const ApiRequest& request, const Context& context) {
  auto filters = read_filters(request, {kIdFilter, kNames, kHubIdFilter});
  if (!filters) return error_response(filters.error());
  store::EnrollmentGroupFilter filter{context.scope(), {}, {}, {}};
  filter.ids = values(*filters, kIdFilter);
  filter.lead_certificate_names = values(*filters, kNames);
  filter.hub_ids = values(*filters, kHubIdFilter);
  auto groups = context.store.list_enrollment_groups(filter);
  if (!groups) return error_response(groups.error());
  return stream_response(*groups);
}

ApiResponse create_enrollment_group(const ApiRequest& request, const Context& context) {
  if (auto filters = read_filters(request, {}); !filters) return error_response(filters.error());
  // Hub ids need not name existing hubs (plgd allows it: devices get 4.00 until the hub exists).
  const BodyContext body{context.owner, pki::random_uuid_v4().to_string(), /*create=*/true};
  auto group = enrollment_group_from_json(request.body, body, nullptr);
  if (!group) return error_response(group.error());
  if (auto created = context.store.create_enrollment_group(*group); !created) {
    return error_response(created.error());
  }
  context.on_configuration_change();
  return object_response(to_json(*group));
}

ApiResponse update_enrollment_group(const ApiRequest& request, std::string_view segment,
                                    const Context& context) {
  if (auto filters = read_filters(request, {}); !filters) return error_response(filters.error());
  auto id = path_id(segment);
  if (!id) return error_response(id.error());
  store::EnrollmentGroupFilter filter{context.scope(), {}, {}, {}};
  filter.ids = {*id};
  auto stored = context.store.list_enrollment_groups(filter);
  if (!stored) return error_response(stored.error());
  // Another owner's group is indistinguishable from a missing one.
  const Error not_found{ErrorCode::NotFound, "enrollment group \"" + *id + "\" not found", {}};
  if (stored->empty()) return error_response(not_found);

  auto group = enrollment_group_from_json(request.body, {context.owner, *id, /*create=*/false},
                                          &stored->front());
  if (!group) return error_response(group.error());
  if (auto updated = context.store.update_enrollment_group(*group); !updated) {
    // Deleted between the read and the write: the same 404.
    return error_response(updated.error().code == ErrorCode::NotFound ? not_found
                                                                      : updated.error());
  }
  context.on_configuration_change();
  return object_response(to_json(*group));
}

ApiResponse delete_enrollment_groups(const ApiRequest& request, const Context& context) {
  auto filters = read_filters(request, {kIdFilter});
  if (!filters) return error_response(filters.error());
  store::EnrollmentGroupFilter filter{context.scope(), {}, {}, {}};
  filter.ids = values(*filters, kIdFilter);
  // plgd deletes every group of the owner when idFilter is missing; one forgotten parameter
  // should not wipe a tenant's configuration.
  if (filter.ids.empty()) {
    return error_response(Error{
        ErrorCode::BadRequest, "idFilter required: deleting all enrollment groups is refused", {}});
  }
  auto count = context.store.delete_enrollment_groups(filter);
  if (!count) return error_response(count.error());
  if (*count == 0) {
    return error_response(
        Error{ErrorCode::NotFound, "no enrollment group matches the idFilter", {}});
  }
  context.on_configuration_change();
  return count_response(*count);
}

}  // namespace dps::api::routes
