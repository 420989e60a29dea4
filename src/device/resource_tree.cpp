#include "device/resource_tree.hpp"

#include <nlohmann/json.hpp>

namespace dps::device {

using nlohmann::json;

namespace {

// OCF Core 7.8: the common properties rt and if describe the resource; no update changes them.
constexpr std::string_view kReadOnlyProperties[] = {"rt", "if"};

}  // namespace

ResourceTree ResourceTree::simulated(std::string_view device_id) {
  ResourceTree tree;
  tree.add("/oic/d",
           json{{"rt", {"oic.wk.d"}},
                {"if", {"oic.if.r", "oic.if.baseline"}},
                {"n", "dps-device"},
                {"di", device_id},
                {"icv", "ocf.2.0.5"},
                {"dmv", "ocf.res.1.3.0,ocf.sh.1.3.0"}}
               .dump(),
           false);
  tree.add("/oic/p",
           json{{"rt", {"oic.wk.p"}},
                {"if", {"oic.if.r", "oic.if.baseline"}},
                {"pi", device_id},
                {"mnmn", "dps"}}
               .dump(),
           false);
  tree.add("/oc/con",
           json{{"rt", {"oic.wk.con"}},
                {"if", {"oic.if.rw", "oic.if.baseline"}},
                {"n", "dps-device"},
                {"locn", ""}}
               .dump(),
           true);
  tree.add("/light/1",
           json{{"rt", {"core.light"}},
                {"if", {"oic.if.rw", "oic.if.baseline"}},
                {"name", "Light"},
                {"state", false},
                {"power", 0}}
               .dump(),
           true);
  return tree;
}

void ResourceTree::add(std::string href, std::string_view representation_json, bool writable) {
  resources_[std::move(href)] = Resource{std::string(representation_json), writable};
}

std::string ResourceTree::update(std::string_view href, std::string_view representation_json) {
  auto it = resources_.find(href);
  if (it == resources_.end()) return "4.04";
  if (!it->second.writable) return "4.05";
  const json update = json::parse(representation_json, nullptr, /*allow_exceptions=*/false);
  if (!update.is_object()) return "4.00";
  for (auto property : kReadOnlyProperties) {
    if (update.contains(property)) return "4.00";
  }
  // add() takes objects only; parse without exceptions all the same (no throw on the device path).
  json resource = json::parse(it->second.representation_json, nullptr, false);
  if (!resource.is_object()) resource = json::object();
  for (const auto& [key, value] : update.items()) resource[key] = value;
  it->second.representation_json = resource.dump();
  return {};
}

std::optional<std::string> ResourceTree::get(std::string_view href) const {
  auto it = resources_.find(href);
  if (it == resources_.end()) return std::nullopt;
  return it->second.representation_json;
}

std::map<std::string, std::string> ResourceTree::snapshot() const {
  std::map<std::string, std::string> out;
  for (const auto& [href, resource] : resources_) out.emplace(href, resource.representation_json);
  return out;
}

}  // namespace dps::device
