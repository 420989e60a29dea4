// Groups of one owner that overlap: one's lead certificate is on the other's trust path (nested
// CAs). The store allows it (the more specific group wins at the handshake), but an operator who
// disables one of them finds the other still admitting the devices. So the API creates an
// overlapping group only when asked (`allowOverlap`), and shows every group's overlaps.
#include <algorithm>
#include <unordered_map>

#include "api/json_codec.hpp"
#include "api/routes/route_support.hpp"

namespace dps::api::routes {
namespace {

constexpr size_t kOverlapsNamed = 10;

// Group index -> the ids of the groups it overlaps, over one owner's groups: every trust path
// entry indexed once, so linear in the entries, not in pairs of groups.
std::vector<std::vector<std::string>> overlaps_among(
    const std::vector<const store::EnrollmentGroup*>& groups) {
  std::unordered_map<std::string, std::vector<size_t>> on_path;  // fingerprint -> groups
  for (size_t i = 0; i < groups.size(); ++i) {
    for (const auto& fingerprint : groups[i]->trust_path) on_path[fingerprint].push_back(i);
  }
  std::vector<std::vector<std::string>> out(groups.size());
  for (size_t i = 0; i < groups.size(); ++i) {
    if (groups[i]->trust_path.empty()) continue;
    for (size_t j : on_path[groups[i]->trust_path.front()]) {
      if (j == i || groups[j]->id == groups[i]->id) continue;
      // The same lead twice is no nesting: the store refuses it with its own message (after
      // the proof of possession, which a replayed code must still fail).
      if (groups[j]->trust_path.front() == groups[i]->trust_path.front()) continue;
      // i's lead is on j's path: they overlap, both ways.
      out[i].push_back(groups[j]->id);
      out[j].push_back(groups[i]->id);
    }
  }
  for (auto& ids : out) {
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  }
  return out;
}

Result<std::vector<store::EnrollmentGroup>> owners_groups(const Context& context) {
  return context.store.list_enrollment_groups({context.scope(), {}, {}, {}});
}

nlohmann::json with_overlaps(nlohmann::json shown_group, const std::vector<std::string>& ids) {
  if (!ids.empty()) shown_group["overlaps"] = ids;
  return shown_group;
}

}  // namespace

Result<std::vector<std::string>> overlapping_groups(const Context& context,
                                                    const store::EnrollmentGroup& group) {
  auto stored = owners_groups(context);
  if (!stored) return tl::unexpected(stored.error());
  std::vector<const store::EnrollmentGroup*> all{&group};
  for (const auto& other : *stored) {
    if (other.id != group.id) all.push_back(&other);
  }
  return overlaps_among(all).front();
}

Result<void> check_overlap_allowed(const Context& context, const store::EnrollmentGroup& group,
                                   bool allow_overlap) {
  if (allow_overlap) return {};
  auto overlapping = overlapping_groups(context, group);
  if (!overlapping) return tl::unexpected(overlapping.error());
  if (overlapping->empty()) return {};
  std::string ids;
  for (size_t i = 0; i < overlapping->size() && i < kOverlapsNamed; ++i) {
    ids += (i ? ", " : "") + (*overlapping)[i];
  }
  if (overlapping->size() > kOverlapsNamed) {
    ids += " and " + std::to_string(overlapping->size() - kOverlapsNamed) + " more";
  }
  return fail(ErrorCode::Conflict,
              "this group's CA and the CA of your enrollment group(s) " + ids +
                  " are one inside the other: devices under the inner CA are admitted by the "
                  "more specific group, and disabling one group leaves the other admitting "
                  "them; send \"allowOverlap\": true (dpsctl --allow-overlap) to create it anyway");
}

nlohmann::json shown_with_overlaps(const Context& context, const store::EnrollmentGroup& group) {
  auto overlapping = overlapping_groups(context, group);
  return with_overlaps(shown(context, group),
                       overlapping ? *overlapping : std::vector<std::string>{});
}

ApiResponse shown_stream(const Context& context, const std::vector<store::EnrollmentGroup>& items) {
  // One read of the owner's groups for the whole list (the filter may have selected fewer).
  auto stored = owners_groups(context);
  std::vector<const store::EnrollmentGroup*> all;
  for (const auto& item : items) all.push_back(&item);
  if (stored) {
    for (const auto& other : *stored) {
      const bool listed = std::any_of(items.begin(), items.end(),
                                      [&](const auto& item) { return item.id == other.id; });
      if (!listed) all.push_back(&other);
    }
  }
  const auto overlaps = overlaps_among(all);
  ApiResponse response;
  for (size_t i = 0; i < items.size(); ++i) {
    response.body +=
        dump(nlohmann::json{{"result", with_overlaps(shown(context, items[i]), overlaps[i])}});
    response.body += '\n';
  }
  return response;
}

}  // namespace dps::api::routes
