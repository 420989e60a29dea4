// A template's `preConfiguration` (management-api.md "Enrollment templates"): the resource
// updates its devices apply after provisioning. The rules are common/resource_updates.hpp's, the
// ones the device side substitutes by, so what is refused here never reaches a device.
#include <string>

#include "api/codec_support.hpp"
#include "common/resource_updates.hpp"

namespace dps::api::codec {

using nlohmann::json;

std::vector<store::ResourceUpdate> pre_configuration_field(JsonReader& root, Problem& problem) {
  constexpr std::string_view kKey = "preConfiguration";
  std::vector<store::ResourceUpdate> out;
  const json* updates = root.raw(kKey);
  if (!updates) return out;
  if (!updates->is_array()) {
    root.fail(kKey, "expected an array");
    return out;
  }
  if (updates->size() > resource_updates::kMaxUpdates) {
    root.fail(kKey, "at most " + std::to_string(resource_updates::kMaxUpdates) + " updates, got " +
                        std::to_string(updates->size()));
    return out;
  }
  size_t total = 0;
  for (size_t i = 0; i < updates->size(); ++i) {
    const std::string path = root.path_of(std::string(kKey) + "[" + std::to_string(i) + "]");
    JsonReader update((*updates)[i], path, problem);
    store::ResourceUpdate item;
    item.href = update.string("href");
    if (auto why = resource_updates::href_problem(item.href); !why.empty()) {
      update.fail("href", why);
    }
    for (size_t j = 0; j < out.size(); ++j) {
      if (out[j].href == item.href) {
        // Two updates of one resource: which applies last would be the device's choice.
        update.fail("href", "\"" + item.href + "\" is already updated by " + std::string(kKey) +
                                "[" + std::to_string(j) + "]");
      }
    }
    if (const json* representation = update.raw("representation")) {
      auto size = resource_updates::check_representation(*representation);
      if (size) {
        total += *size;
        item.representation_json = representation->dump();
      } else {
        update.fail("representation", size.error().internal);
      }
    } else {
      update.fail("representation", "required (a JSON object)");
    }
    update.finish();
    out.push_back(std::move(item));
  }
  if (total > resource_updates::kMaxTotalBytes) {
    root.fail(kKey, std::to_string(total) + " bytes as CBOR in all, more than " +
                        std::to_string(resource_updates::kMaxTotalBytes));
  }
  return out;
}

}  // namespace dps::api::codec
