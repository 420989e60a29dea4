// What a write may not break: objects the config file owns (api_options.hpp ConfigFileObjects)
// and hub references (a group or enrollment naming a hub that does not exist sends its devices
// to 4.00 at cloud configuration, far from the write that caused it).
#include <algorithm>

#include "api/json_codec.hpp"
#include "api/routes/route_support.hpp"

namespace dps::api::routes {
namespace {

constexpr size_t kReferrersShown = 10;

bool listed(const std::vector<std::string>& ids, const std::string& id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

nlohmann::json marked(nlohmann::json object, bool from_config_file) {
  if (from_config_file) object["managedBy"] = "configFile";
  return object;
}

Error refuse(const Context& context, const std::string& what, std::string_view config_path) {
  return Error{ErrorCode::Conflict,
               what + " is defined in the config file " + context.options.config_file.file + " (" +
                   std::string(config_path) + "); change it there and restart dps",
               {}};
}

}  // namespace

bool defined_in_config_file(const Context& context, const store::EnrollmentGroup& group) {
  return listed(context.options.config_file.enrollment_group_ids, group.id);
}

bool defined_in_config_file(const Context& context, const store::Hub& hub) {
  return listed(context.options.config_file.hub_ids, hub.id);
}

nlohmann::json shown(const Context& context, const store::EnrollmentGroup& group) {
  return marked(to_json(group), defined_in_config_file(context, group));
}

nlohmann::json shown(const Context& context, const store::Hub& hub) {
  return marked(to_json(hub), defined_in_config_file(context, hub));
}

Error config_file_conflict(const Context& context, const store::EnrollmentGroup& group) {
  return refuse(context, "enrollment group " + group.id, "enrollmentGroups");
}

Error config_file_conflict(const Context& context, const store::Hub& hub) {
  return refuse(context, "hub " + hub.id, "enrollmentGroups[].hubs");
}

Result<void> check_hub_references(const Context& context, const std::vector<std::string>& hub_ids,
                                  const std::vector<std::string>& already,
                                  std::string_view named_by) {
  std::vector<std::string> added;
  for (const auto& id : hub_ids) {
    if (!listed(already, id)) added.push_back(id);
  }
  if (added.empty()) return {};
  auto named = context.store.list_hubs({context.scope(), {}, added});
  if (!named) return tl::unexpected(named.error());
  for (size_t i = 0; i < hub_ids.size(); ++i) {
    const std::string& id = hub_ids[i];
    if (!listed(added, id)) continue;
    const bool exists = std::any_of(named->begin(), named->end(),
                                    [&](const store::Hub& hub) { return hub.hub_id == id; });
    if (exists) continue;
    const std::string field = "hubIds[" + std::to_string(i) + "]: ";
    // The two ids of a hub are both UUIDs: a record id given where a hubId belongs is the likely
    // mistake, so the message names the id to use instead.
    auto by_record = context.store.list_hubs({context.scope(), {id}, {}});
    if (!by_record) return tl::unexpected(by_record.error());
    if (!by_record->empty()) {
      const std::string& hub_id = by_record->front().hub_id;
      return fail(ErrorCode::BadRequest, field + "\"" + id + "\" is the record id of hub \"" +
                                             hub_id + "\"; " + std::string(named_by) +
                                             " name hubs by their hubId (\"" + hub_id + "\")");
    }
    return fail(ErrorCode::BadRequest, field + "no hub with hubId \"" + id + "\"");
  }
  return {};
}

Result<void> check_hubs_unreferenced(const Context& context, const std::vector<store::Hub>& hubs,
                                     std::string_view doing) {
  for (const store::Hub& hub : hubs) {
    // The hub's own owner: groups and enrollments name hubs of their owner only, and an admin's
    // every-owner scope would also count another owner's objects naming the same hubId.
    const auto owner = store::OwnerScope::of(hub.owner);
    auto groups = context.store.list_enrollment_groups({owner, {}, {}, {hub.hub_id}});
    if (!groups) return tl::unexpected(groups.error());
    auto individuals =
        context.store.individual_enrollments_naming_hub(hub.owner, hub.hub_id, kReferrersShown + 1);
    if (!individuals) return tl::unexpected(individuals.error());
    if (groups->empty() && individuals->empty()) continue;

    std::vector<std::string> referrers;
    for (size_t i = 0; i < groups->size() && i < kReferrersShown; ++i) {
      referrers.push_back("enrollment group " + (*groups)[i].id);
    }
    if (groups->size() > kReferrersShown) {
      referrers.push_back(std::to_string(groups->size() - kReferrersShown) +
                          " more enrollment groups");
    }
    for (size_t i = 0; i < individuals->size() && i < kReferrersShown; ++i) {
      referrers.push_back("individual enrollment " + (*individuals)[i]);
    }
    // Counting every enrollment naming the hub would read all of them: "more" is what is known.
    if (individuals->size() > kReferrersShown) referrers.push_back("more individual enrollments");
    std::string names;
    for (const std::string& referrer : referrers) names += (names.empty() ? "" : ", ") + referrer;
    return fail(ErrorCode::Conflict, std::string(doing) + " hub " + hub.id + " (hubId \"" +
                                         hub.hub_id + "\") is refused: " + names +
                                         " name it; remove it from their hubIds first");
  }
  return {};
}

}  // namespace dps::api::routes
