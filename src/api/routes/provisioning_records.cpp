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
// GET only, like view (a DELETE with a limit would delete some of what its filters match):
// `newestFirst` orders by creation date, newest first, and `limit` (kLimit) keeps the first
// records of the order. The console's pages show the newest few of an owner's records; without
// these they read all of them (100k records with their PEMs) every few seconds. Neither given:
// plgd's answer, every match in id order.
constexpr std::string_view kNewestFirst = "newestFirst";
constexpr size_t kMostRecords = 1000;

store::RecordFilter record_filter(const Filters& filters, const Context& context) {
  return store::RecordFilter{.scope = context.scope(),
                             .ids = values(filters, kIdFilter),
                             .device_ids = values(filters, kDeviceIdFilter),
                             .enrollment_group_ids = values(filters, kGroupIdFilter)};
}

Result<bool> newest_first(const Filters& filters) {
  const auto given = values(filters, kNewestFirst);
  if (given.empty()) return false;
  if (given.size() > 1)
    return fail(ErrorCode::BadRequest, "query parameter \"newestFirst\" given more than once");
  if (given.front() == "true") return true;
  if (given.front() == "false") return false;
  return fail(ErrorCode::BadRequest,
              "newestFirst: must be \"true\" or \"false\", got \"" + given.front() + "\"");
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

// The view only changes how each record is written, and the order and limit only which of the
// matches come back: the owner scope and filters are the same.
ApiResponse list_provisioning_records(const ApiRequest& request, const Context& context) {
  auto filters = read_filters(
      request, {kIdFilter, kDeviceIdFilter, kGroupIdFilter, kView, kNewestFirst, kLimit});
  if (!filters) return error_response(filters.error());
  auto view = record_view(*filters);
  if (!view) return error_response(view.error());
  auto newest = newest_first(*filters);
  if (!newest) return error_response(newest.error());
  auto limit = read_limit(*filters, kMostRecords);
  if (!limit) return error_response(limit.error());
  store::RecordFilter filter = record_filter(*filters, context);
  filter.newest_first = *newest;
  filter.limit = limit->value_or(0);
  auto records = context.store.list_provisioning_records(filter);
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
