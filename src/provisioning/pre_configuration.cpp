// /api/v1/provisioning/pre-configuration (a dps extension, docs/device-protocol.md): the resource
// updates of the device's enrollment template, its own values substituted (GET), and the device's
// report of which it applied (POST). A device that knows nothing of it never asks; one whose
// enrollment has no template gets an empty list.
#include <algorithm>

#include "common/resource_updates.hpp"
#include "common/untrusted_text.hpp"
#include "provisioning/content.hpp"
#include "provisioning/payloads.hpp"
#include "provisioning/steps.hpp"

namespace dps::provisioning {
namespace {

using nlohmann::json;

constexpr std::string_view kDeviceQuery = "di=";
constexpr size_t kMaxReportedError = 256;

Result<std::string> device_of_query(const StepInput& in) {
  for (const auto& query : in.request.uri_queries()) {
    if (query.starts_with(kDeviceQuery)) {
      return device_id_of(in, std::string_view(query).substr(kDeviceQuery.size()));
    }
  }
  return fail(ErrorCode::BadRequest, "missing query \"di=<device id>\"");
}

struct ResourceUpdateToSend {
  std::string href;
  json representation;
};

// The template's updates for `device_id`, variables substituted: what GET sends, and what a
// report is checked against.
std::vector<ResourceUpdateToSend> updates_for(const StepInput& in, const std::string& device_id) {
  std::vector<ResourceUpdateToSend> updates;
  const store::EnrollmentTemplate* t = template_of(in);
  if (t == nullptr) return updates;
  auto hub = hub_for_device(in, json::object());
  const resource_updates::Variables values{{"deviceId", device_id},
                                           {"owner", in.owner_uuid},
                                           {"hubId", hub ? hub->hub->hub_id : std::string{}}};
  for (const auto& update : t->pre_configuration) {
    auto representation = json::parse(update.representation_json, nullptr, false);
    if (!representation.is_object()) continue;  // validated when written; a hand edit is skipped
    updates.push_back({update.href, resource_updates::substitute(representation, values)});
  }
  return updates;
}

json recorded(const std::vector<ResourceUpdateToSend>& updates) {
  json list = json::array();
  for (const auto& update : updates) {
    list.push_back(json{{"href", update.href}, {"representation", update.representation}});
  }
  return list;
}

// {"results": [{"href", "ok", "error"?}]}, each href one that was sent, each at most once.
Result<json> read_report(const json& body, const std::vector<ResourceUpdateToSend>& sent) {
  auto results = body.find("results");
  if (results == body.end() || !results->is_array()) {
    return fail(ErrorCode::BadRequest, "missing \"results\" array");
  }
  if (results->size() > resource_updates::kMaxUpdates) {
    return fail(ErrorCode::BadRequest,
                "more than " + std::to_string(resource_updates::kMaxUpdates) + " results");
  }
  json out = json::array();
  std::vector<std::string> seen;
  for (const auto& result : *results) {
    const auto href = result.find("href");
    const auto ok = result.find("ok");
    if (!result.is_object() || href == result.end() || !href->is_string() || ok == result.end() ||
        !ok->is_boolean()) {
      return fail(ErrorCode::BadRequest, "each result needs \"href\" (text) and \"ok\" (bool)");
    }
    const std::string& path = href->get_ref<const std::string&>();
    const bool was_sent = std::any_of(sent.begin(), sent.end(),
                                      [&](const auto& update) { return update.href == path; });
    if (!was_sent) {
      return fail(ErrorCode::BadRequest,
                  "result for " + quote_untrusted(path) + ", which was not sent to this device");
    }
    if (std::find(seen.begin(), seen.end(), path) != seen.end()) {
      return fail(ErrorCode::BadRequest, "two results for " + quote_untrusted(path));
    }
    seen.push_back(path);
    json entry{{"href", path}, {"ok", ok->get<bool>()}};
    if (auto error = result.find("error"); error != result.end() && error->is_string()) {
      std::string text = error->get<std::string>();
      if (text.size() > kMaxReportedError) text.resize(kMaxReportedError);
      entry["error"] = std::move(text);
    }
    out.push_back(std::move(entry));
  }
  return out;
}

}  // namespace

Result<StepBody> run_pre_configuration(const StepInput& in, store::ProvisioningRecord& record) {
  auto device_id = device_of_query(in);
  if (!device_id) return tl::unexpected(device_id.error());
  record.device_id = *device_id;
  const auto updates = updates_for(in, *device_id);
  record.pre_configuration.emplace();
  const json list = recorded(updates);
  record.pre_configuration->updates_json = list.dump();
  return pre_configuration_payload(list);
}

Result<StepBody> run_pre_configuration_report(const StepInput& in,
                                              store::ProvisioningRecord& record) {
  auto body = decode_body(in.request);
  if (!body) return tl::unexpected(body.error());
  auto device_id = device_id_of(in, *body);
  if (!device_id) return tl::unexpected(device_id.error());
  const auto updates = updates_for(in, *device_id);
  auto results = read_report(*body, updates);
  if (!results) return tl::unexpected(results.error());
  record.device_id = *device_id;
  record.pre_configuration.emplace();
  record.pre_configuration->updates_json = recorded(updates).dump();
  record.pre_configuration->results_json = results->dump();
  return json::object();
}

}  // namespace dps::provisioning
