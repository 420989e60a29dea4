// /api/v1/hubs (management-api.md "Hubs").
#include "api/json_codec.hpp"
#include "api/routes/routes.hpp"
#include "pki/uuid.hpp"

namespace dps::api::routes {
namespace {

constexpr std::string_view kHubIdFilter = "hubIdFilter";

// Groups name hubs by hubId, so one owner's hubs must not share one: which record a device would
// get would be arbitrary. The store enforces it (unique owner + hubId, so two writers racing
// cannot break it); this check first only gives the caller a message naming the other hub.
Result<void> check_hub_id_free(const Context& context, const store::Hub& hub) {
  store::HubFilter filter{context.scope(), {}, {}};
  filter.hub_ids = {hub.hub_id};
  auto same = context.store.list_hubs(filter);
  if (!same) return tl::unexpected(same.error());
  for (const auto& other : *same) {
    if (other.id != hub.id) {
      return fail(ErrorCode::Conflict,
                  "hubId \"" + hub.hub_id + "\" is already used by hub \"" + other.id + "\"");
    }
  }
  // Devices are refused identity certificates for hub ids, but only for hubs known when they
  // ask: a device (of any owner: hub ids are public) that got CN=uuid:<id> first could pose as
  // the hub to its devices. So the id of a provisioned device is never a hub's.
  store::RecordFilter devices{.scope = store::OwnerScope::every_owner(),
                              .ids = {},
                              .device_ids = {hub.hub_id},
                              .enrollment_group_ids = {}};
  auto holders = context.store.list_provisioning_records(devices);
  if (!holders) return tl::unexpected(holders.error());
  if (!holders->empty()) {
    return fail(ErrorCode::Conflict, "hubId \"" + hub.hub_id +
                                         "\" is the identity of a provisioned device; a hub "
                                         "cannot take it (delete that device's record first)");
  }
  return {};
}

Result<void> check_hub_quota(const Context& context) {
  auto hubs = context.store.list_hubs({context.scope(), {}, {}});
  if (!hubs) return tl::unexpected(hubs.error());
  const uint32_t most = context.options.quotas.hubs;
  if (hubs->size() < most) return {};
  return quota_exceeded("hubs of this owner", hubs->size(), most, "hubs");
}

}  // namespace

ApiResponse list_hubs(const ApiRequest& request, const Context& context) {
  auto filters = read_filters(request, {kIdFilter, kHubIdFilter});
  if (!filters) return error_response(filters.error());
  store::HubFilter filter{context.scope(), {}, {}};
  filter.ids = values(*filters, kIdFilter);
  filter.hub_ids = values(*filters, kHubIdFilter);
  auto hubs = context.store.list_hubs(filter);
  if (!hubs) return error_response(hubs.error());
  return shown_stream(context, *hubs);
}

ApiResponse create_hub(const ApiRequest& request, const Context& context) {
  if (auto filters = read_filters(request, {}); !filters) return error_response(filters.error());
  // Without hubId the generated record id is the hub id too (plgd: hubId defaults to id).
  const BodyContext body{context.owner, pki::random_uuid_v4().to_string(), /*create=*/true};
  auto hub = hub_from_json(request.body, body, context.options.api_tokens);
  if (!hub) return error_response(hub.error());
  if (auto fits = check_hub_quota(context); !fits) return error_response(fits.error());
  if (auto free = check_hub_id_free(context, *hub); !free) return error_response(free.error());
  if (auto created = context.store.create_hub(*hub); !created) {
    return error_response(created.error());
  }
  context.on_configuration_change();
  return object_response(shown(context, *hub));
}

ApiResponse update_hub(const ApiRequest& request, std::string_view segment,
                       const Context& context) {
  if (auto filters = read_filters(request, {}); !filters) return error_response(filters.error());
  auto id = path_id(segment);
  if (!id) return error_response(id.error());
  store::HubFilter filter{context.scope(), {}, {}};
  filter.ids = {*id};
  auto stored = context.store.list_hubs(filter);
  if (!stored) return error_response(stored.error());
  // Another owner's hub is indistinguishable from a missing one.
  const Error not_found{ErrorCode::NotFound, "hub \"" + *id + "\" not found", {}};
  if (stored->empty()) return error_response(not_found);
  if (defined_in_config_file(context, stored->front())) {
    return error_response(config_file_conflict(context, stored->front()));
  }

  auto hub = hub_from_json(request.body, {context.owner, *id, /*create=*/false},
                           context.options.api_tokens);
  if (!hub) return error_response(hub.error());
  if (hub->hub_id != stored->front().hub_id) {
    if (auto free = check_hub_id_free(context, *hub); !free) return error_response(free.error());
    // Groups name hubs by hubId: a new one would leave them naming no hub.
    if (auto unnamed = check_hubs_unreferenced(context, *stored, "changing the hubId of");
        !unnamed) {
      return error_response(unnamed.error());
    }
  }
  if (auto updated = context.store.update_hub(*hub); !updated) {
    return error_response(updated.error().code == ErrorCode::NotFound ? not_found
                                                                      : updated.error());
  }
  context.on_configuration_change();
  return object_response(shown(context, *hub));
}

ApiResponse delete_hubs(const ApiRequest& request, const Context& context) {
  auto filters = read_filters(request, {kIdFilter});
  if (!filters) return error_response(filters.error());
  store::HubFilter filter{context.scope(), {}, {}};
  filter.ids = values(*filters, kIdFilter);
  // As for groups: no idFilter would delete every hub of the owner (plgd does); refused.
  if (filter.ids.empty()) {
    return error_response(
        Error{ErrorCode::BadRequest, "idFilter required: deleting all hubs is refused", {}});
  }
  // Refused as a whole, deleting nothing, when one of them is the config file's or still named
  // by a group: a partial delete would leave the caller to work out what happened.
  auto doomed = context.store.list_hubs(filter);
  if (!doomed) return error_response(doomed.error());
  for (const store::Hub& hub : *doomed) {
    if (defined_in_config_file(context, hub)) {
      return error_response(config_file_conflict(context, hub));
    }
  }
  if (auto unnamed = check_hubs_unreferenced(context, *doomed, "deleting"); !unnamed) {
    return error_response(unnamed.error());
  }
  auto count = context.store.delete_hubs(filter);
  if (!count) return error_response(count.error());
  if (*count == 0) {
    return error_response(Error{ErrorCode::NotFound, "no hub matches the idFilter", {}});
  }
  context.on_configuration_change();
  return count_response(*count);
}

}  // namespace dps::api::routes
