// /api/v1/provisioning-records (management-api.md "Provisioning records"). Records are written by
// the device side only; the API lists and deletes them. Deleting changes no configuration, so
// on_configuration_change is not called.
#include "api/record_json.hpp"
#include "api/routes/routes.hpp"

namespace dps::api::routes {
namespace {

constexpr std::string_view kDeviceIdFilter = "deviceIdFilter";
constexpr std::string_view kGroupIdFilter = "enrollmentGroupIdFilter";
// GET only: which JSON form the records take (record_json.hpp). Not a filter, so DELETE refuses
// it like any unknown parameter.
constexpr std::string_view kView = "view";

store::RecordFilter record_filter(const Filters& filters, const Context& context) {
  store::RecordFilter filter{context.scope(), {}, {}, {}};
  filter.ids = values(filters, kIdFilter);
  filter.device_ids = values(filters, kDeviceIdFilter);
  filter.enrollment_group_ids = values(filters, kGroupIdFilter);
  return filter;
}

Result<RecordView> record_view(const Filters& filters) {
  const auto given = values(filters, kView);
  if (given.empty()) return RecordView::Plgd;
  if (given.size() > 1)
    return fail(ErrorCode::BadRequest, "query parameter \"view\" given more than once");
  if (given.front() == "plgd") return RecordView::Plgd;
  if (given.front() == "ocf") return RecordView::Ocf;
  return fail(ErrorCode::BadRequest,
              "view: must be \"plgd\" or \"ocf\", got \"" + given.front() + "\"");
}

}  // namespace

// The view only changes how each record is written: the owner scope and filters are the same.
ApiResponse list_provisioning_records(const ApiRequest& request, const Context& context) {
  auto filters = read_filters(request, {kIdFilter, kDeviceIdFilter, kGroupIdFilter, kView});
  if (!filters) return error_response(filters.error());
  auto view = record_view(*filters);
  if (!view) return error_response(view.error());
  auto records = context.store.list_provisioning_records(record_filter(*filters, context));
  if (!records) return error_response(records.error());
  ApiResponse response;
  for (const auto& record : *records) {
    response.body += dump(nlohmann::json{{"result", to_json(record, *view)}});
    response.body += '\n';
  }
  return response;
}

// Unlike groups and hubs, no filter deletes every record of the owner (plgd's behaviour, kept: a
// record is only history, recreated by the device's next provisioning), and matching nothing
// is a count of 0, not an error (spec).
ApiResponse delete_provisioning_records(const ApiRequest& request, const Context& context) {
  auto filters = read_filters(request, {kIdFilter, kDeviceIdFilter, kGroupIdFilter});
  if (!filters) return error_response(filters.error());
  auto count = context.store.delete_provisioning_records(record_filter(*filters, context));
  if (!count) return error_response(count.error());
  return count_response(*count);
}

}  // namespace dps::api::routes
