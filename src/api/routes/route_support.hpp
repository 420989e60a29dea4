// What every route shares: the request context, query filters, and the three answer shapes
// (stream, object, count). Internal to src/api.
#pragma once

#include <functional>
#include <initializer_list>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/api_options.hpp"
#include "api/errors.hpp"
#include "api/http_types.hpp"
// stream_response's to_json: declared before the template, so its lookup does not depend on what
// the including file happened to include first.
#include "api/json_codec.hpp"
#include "api/record_json.hpp"
#include "store/store.hpp"

namespace dps::api::routes {

/// One request's view of the service: the store, the authenticated owner (never empty: checked
/// by ManagementApi::handle) and the change notification for groups and hubs.
struct Context {
  store::Store& store;
  const std::string& owner;
  const std::function<void()>& on_configuration_change;
  const ManagementApiOptions& options;

  /// The caller's objects: the scope of every store call made for it.
  store::OwnerScope scope() const { return store::OwnerScope::of(owner); }
};

/// Query filters by name; repeated parameters collect in order.
using Filters = std::map<std::string, std::vector<std::string>, std::less<>>;

/// Reads the query parameters a route accepts. Names may also be given in protobuf's snake_case
/// ("id_filter"), as grpc-gateway accepts. BadRequest for any other parameter (a typo such as
/// "idfilter" must not widen a DELETE to everything) and for an empty value. Values of filters
/// named "…IdFilter"/"idFilter" that are UUIDs are put in canonical lowercase, the stored form.
[[nodiscard]] Result<Filters> read_filters(const ApiRequest& request,
                                           std::initializer_list<std::string_view> allowed);

/// The values of `name` (empty when not given).
std::vector<std::string> values(const Filters& filters, std::string_view name);

/// Canonical lowercase UUID from a path segment; BadRequest "id: must be a UUID" otherwise.
[[nodiscard]] Result<std::string> path_id(std::string_view segment);

/// The query parameter naming objects by id, on every list and delete.
inline constexpr std::string_view kIdFilter = "idFilter";

/// The query parameter bounding how many objects a list answers.
inline constexpr std::string_view kLimit = "limit";

/// The `limit` of a list: a whole number from 1 to `largest`, or nullopt when not given (given
/// more than once, the last counts). BadRequest `limit: must be a whole number from 1 to
/// <largest>, got "<value>"` otherwise.
[[nodiscard]] Result<std::optional<size_t>> read_limit(const Filters& filters, size_t largest);

std::string dump(const nlohmann::json& value);

/// 200 with one `{"result": <object>}` line per item (management-api.md "List endpoints").
template <class Items>
ApiResponse stream_response(const Items& items) {
  ApiResponse response;
  for (const auto& item : items) {
    response.body += dump(nlohmann::json{{"result", to_json(item)}});
    response.body += '\n';
  }
  return response;
}

ApiResponse object_response(const nlohmann::json& object);

/// `{"count": "N"}`: int64 as a string, protobuf's JSON mapping.
ApiResponse count_response(size_t count);

/// 409 for an owner at one of its quotas (api_options.hpp): what, how many it has, the most
/// allowed and the config key that sets it, e.g. quota_exceeded("enrollment groups", 1000, 1000,
/// "enrollmentGroups").
[[nodiscard]] tl::unexpected<Error> quota_exceeded(std::string_view what, size_t count,
                                                   uint32_t most, std::string_view key);

/// A group's or individual enrollment's `templateId` ("" = none) names a template of the caller.
/// Another owner's template answers exactly as a missing one (BadRequest `templateId: no
/// template "<id>"`): its existence is not the caller's to learn.
[[nodiscard]] Result<void> check_template_reference(const Context& context,
                                                    const std::string& template_id);

// references.cpp: what a write may not break (config-file objects, hub references).

/// Whether the config file defines the group / hub with this (record) id (api_options.hpp).
bool defined_in_config_file(const Context& context, const store::EnrollmentGroup& group);
bool defined_in_config_file(const Context& context, const store::Hub& hub);

/// The object as the API shows it: to_json(), plus `"managedBy": "configFile"` for an object the
/// config file defines, so clients see before writing that the API will refuse the write.
nlohmann::json shown(const Context& context, const store::EnrollmentGroup& group);
nlohmann::json shown(const Context& context, const store::Hub& hub);

/// 409 for a write to an object of the config file: `enrollment group <id> is defined in the
/// config file <file> (enrollmentGroups); change it there and restart dps`.
Error config_file_conflict(const Context& context, const store::EnrollmentGroup& group);
Error config_file_conflict(const Context& context, const store::Hub& hub);

/// Each of `hub_ids` (a group's or individual enrollment's, in body order) names a hub of the
/// caller by its hubId. BadRequest `hubIds[i]: no hub with hubId "<x>"` otherwise (another
/// owner's hub answers exactly so: its existence is not the caller's to learn), or, when the
/// value is the record id of one of the caller's hubs, a message naming the hubId to use.
/// `already` (the stored object's hub ids on PUT) are not checked again: a hub deleted before
/// this rule existed must not stop its owner from disabling the group that names it.
[[nodiscard]] Result<void> check_hub_references(const Context& context,
                                                const std::vector<std::string>& hub_ids,
                                                const std::vector<std::string>& already,
                                                std::string_view named_by);

/// Conflict when one of the caller's enrollment groups names one of `hubs` by hubId: deleting
/// (or re-identifying) it would leave those groups' devices failing at cloud configuration.
/// The message names the hub and at most 10 referring group ids ("and N more"). Individual
/// enrollments are not checked: at a million of them there is no index by hub.
[[nodiscard]] Result<void> check_hubs_unreferenced(const Context& context,
                                                   const std::vector<store::Hub>& hubs,
                                                   std::string_view doing);

// group_overlaps.cpp: groups of one owner whose CAs are one inside the other.

/// The ids of the caller's other groups that overlap `group` (one's lead certificate on the
/// other's trust path), sorted.
[[nodiscard]] Result<std::vector<std::string>> overlapping_groups(
    const Context& context, const store::EnrollmentGroup& group);
/// Conflict naming the overlapping groups (at most 10) unless `allow_overlap` (the body's
/// `allowOverlap`) or there are none.
[[nodiscard]] Result<void> check_overlap_allowed(const Context& context,
                                                 const store::EnrollmentGroup& group,
                                                 bool allow_overlap);
/// shown() plus `"overlaps": [ids]` when the group overlaps others of its owner.
nlohmann::json shown_with_overlaps(const Context& context, const store::EnrollmentGroup& group);
/// A list of groups, each shown with its overlaps (one read of the owner's groups for all).
ApiResponse shown_stream(const Context& context, const std::vector<store::EnrollmentGroup>& items);

/// `items` as a stream (stream_response) with each object shown().
template <class Items>
ApiResponse shown_stream(const Context& context, const Items& items) {
  ApiResponse response;
  for (const auto& item : items) {
    response.body += dump(nlohmann::json{{"result", shown(context, item)}});
    response.body += '\n';
  }
  return response;
}

}  // namespace dps::api::routes
