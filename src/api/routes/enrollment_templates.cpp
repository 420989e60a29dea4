// /api/v1/enrollment-templates (management-api.md "Enrollment templates", a dps extension).
// Owner-scoped like every resource: another owner's template is indistinguishable from a missing
// one, here and where a group or individual enrollment names it (route_support.hpp). Templates are
// configuration: each write is followed by on_configuration_change, as for groups and hubs.
#include <algorithm>

#include "api/json_codec.hpp"
#include "api/routes/routes.hpp"
#include "pki/uuid.hpp"

namespace dps::api::routes {
namespace {

Result<void> check_quota(const Context& context) {
  // Listed, not counted: the quota is small (100 by default) and templates are small objects.
  auto held = context.store.list_templates(store::TemplateFilter{context.scope(), {}});
  if (!held) return tl::unexpected(held.error());
  const uint32_t most = context.options.quotas.templates;
  if (held->size() < most) return {};
  return quota_exceeded("enrollment templates of this owner", held->size(), most, "templates");
}

// A template in use stays: deleting it would silently change what the devices of the groups
// naming it get at their next provisioning. Only groups are checked: an owner may hold a million
// individual enrollments and the store has no index by template, so reading them all per delete
// would cost every other caller of the store. An individual enrollment naming a deleted template
// provisions its devices without a template (the device side resolves the id at each session).
Result<void> check_unused(const Context& context, const std::vector<std::string>& ids) {
  auto groups = context.store.list_enrollment_groups(
      store::EnrollmentGroupFilter{context.scope(), {}, {}, {}});
  if (!groups) return tl::unexpected(groups.error());
  for (const auto& group : *groups) {
    if (std::find(ids.begin(), ids.end(), group.template_id) == ids.end()) continue;
    return fail(ErrorCode::Conflict, "enrollment template \"" + group.template_id +
                                         "\" is used by enrollment group \"" + group.id +
                                         "\": give the group another templateId first");
  }
  return {};
}

}  // namespace

ApiResponse list_enrollment_templates(const ApiRequest& request, const Context& context) {
  auto filters = read_filters(request, {kIdFilter});
  if (!filters) return error_response(filters.error());
  auto templates = context.store.list_templates(
      store::TemplateFilter{context.scope(), values(*filters, kIdFilter)});
  if (!templates) return error_response(templates.error());
  return stream_response(*templates);
}

ApiResponse create_enrollment_template(const ApiRequest& request, const Context& context) {
  if (auto filters = read_filters(request, {}); !filters) return error_response(filters.error());
  const BodyContext body{context.owner, pki::random_uuid_v4().to_string(), /*create=*/true};
  auto created = enrollment_template_from_json(request.body, body);
  if (!created) return error_response(created.error());
  if (auto fits = check_quota(context); !fits) return error_response(fits.error());
  if (auto stored = context.store.create_template(*created); !stored) {
    return error_response(stored.error());
  }
  context.on_configuration_change();
  return object_response(to_json(*created));
}

ApiResponse update_enrollment_template(const ApiRequest& request, std::string_view segment,
                                       const Context& context) {
  if (auto filters = read_filters(request, {}); !filters) return error_response(filters.error());
  auto id = path_id(segment);
  if (!id) return error_response(id.error());
  auto updated =
      enrollment_template_from_json(request.body, {context.owner, *id, /*create=*/false});
  if (!updated) return error_response(updated.error());
  if (auto stored = context.store.update_template(*updated); !stored) {
    if (stored.error().code == ErrorCode::NotFound) {
      // Another owner's template is indistinguishable from a missing one.
      return error_response(
          Error{ErrorCode::NotFound, "enrollment template \"" + *id + "\" not found", {}});
    }
    return error_response(stored.error());
  }
  context.on_configuration_change();
  return object_response(to_json(*updated));
}

ApiResponse delete_enrollment_templates(const ApiRequest& request, const Context& context) {
  auto filters = read_filters(request, {kIdFilter});
  if (!filters) return error_response(filters.error());
  store::TemplateFilter filter{context.scope(), values(*filters, kIdFilter)};
  if (filter.ids.empty()) {
    return error_response(Error{ErrorCode::BadRequest,
                                "idFilter required: deleting all enrollment templates is refused",
                                {}});
  }
  if (auto unused = check_unused(context, filter.ids); !unused) {
    return error_response(unused.error());
  }
  auto count = context.store.delete_templates(filter);
  if (!count) return error_response(count.error());
  if (*count == 0) {
    return error_response(
        Error{ErrorCode::NotFound, "no enrollment template matches the idFilter", {}});
  }
  context.on_configuration_change();
  return count_response(*count);
}

}  // namespace dps::api::routes
