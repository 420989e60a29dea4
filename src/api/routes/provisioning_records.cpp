// /api/v1/provisioning-records (management-api.md "Provisioning records"). Records are written by
// the device side only; the API lists and deletes them. Deleting changes no configuration, so
// on_configuration_change is not called.
#include "api/record_json.hpp"
#include "api/routes/routes.hpp"

namespace dps::api::routes {
namespace {

constexpr std::string_view kIdFilter = "idFilter";
constexpr std::string_view kDeviceIdFilter = "deviceIdFilter";
constexpr std::string_view kGroupIdFilter = "enrollmentGroupIdFilter";

Result<store::RecordFilter> record_filter(const ApiRequest& request, const Context& context) {
  auto filters = read_filters(request, {kIdFilter, kDeviceIdFilter, kGroupIdFilter});
  if (!filters) return tl::unexpected(filters.error());
  store::RecordFilter filter{context.scope(), {}, {}, {}};
  filter.ids = values(*filters, kIdFilter);
  filter.device_ids = values(*filters, kDeviceIdFilter);
  filter.enrollment_group_ids = values(*filters, kGroupIdFilter);
  return filter;
}

}  // namespace

ApiResponse list_provisioning_records(const ApiRequest& request, const Context& context) {
  auto filter = record_filter(request, context);
  if (!filter) return error_response(filter.error());
  auto records = context.store.list_provisioning_records(*filter);
  if (!records) return error_response(records.error());
  return stream_response(*records);
}

// Unlike groups and hubs, no filter deletes every record of the owner (plgd's behaviour, kept: a
// record is only history, recreated by the device's next provisioning), and matching nothing
// is a count of 0, not an error (spec).
ApiResponse delete_provisioning_records(const ApiRequest& request, const Context& context) {
  auto filter = record_filter(request, context);
  if (!filter) return error_response(filter.error());
  auto count = context.store.delete_provisioning_records(*filter);
  if (!count) return error_response(count.error());
  return count_response(*count);
}

}  // namespace dps::api::routes
