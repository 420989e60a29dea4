// The device's checks on the pre-configuration answers (dps's extension, device-protocol
// "Pre-configuration of device resources"). The bounds are the ones the management API enforces
// (common/resource_updates.hpp): a server sending more is misbehaving, and the device, whose
// buffers are small, refuses the whole answer rather than apply part of it.
#include <algorithm>

#include "common/resource_updates.hpp"
#include "device/cbor_payload.hpp"
#include "device/checks.hpp"

namespace dps::device {

using coap::Code;
using coap::Message;
using detail::json;
using detail::string_at;

namespace {

/// The depth of the deepest value in `value`, `value` itself at `depth` (the API's count).
size_t deepest(const json& value, size_t depth) {
  size_t out = depth;
  if (value.is_object() || value.is_array()) {
    for (const auto& item : value) out = std::max(out, deepest(item, depth + 1));
  }
  return out;
}

/// The first string of `value` holding "{{", or nullptr.
const std::string* unsubstituted(const json& value) {
  if (value.is_string()) {
    const auto& text = value.get_ref<const std::string&>();
    return text.find("{{") == std::string::npos ? nullptr : &text;
  }
  if (value.is_object() || value.is_array()) {
    for (const auto& item : value) {
      if (const std::string* found = unsubstituted(item)) return found;
    }
  }
  return nullptr;
}

Result<ResourceUpdate> check_update(const json& entry, size_t index, size_t& total_bytes) {
  const std::string where = "updates[" + std::to_string(index) + "]";
  const std::string* href = string_at(entry, "href");
  if (!href) return fail(ErrorCode::BadRequest, where + ".href: missing or not a string");
  if (auto why = resource_updates::href_problem(*href); !why.empty()) {
    return fail(ErrorCode::BadRequest, where + ".href " + *href + ": " + why);
  }
  auto rep = entry.find("rep");
  if (rep == entry.end() || !rep->is_object()) {
    return fail(ErrorCode::BadRequest, where + ".rep: missing or not a map");
  }
  // decode_cbor already bounds nesting at 32, so this recursion is bounded too.
  if (deepest(*rep, 0) > resource_updates::kMaxRepresentationNesting) {
    return fail(ErrorCode::BadRequest,
                where + ".rep: nested deeper than " +
                    std::to_string(resource_updates::kMaxRepresentationNesting) + " levels");
  }
  const size_t bytes = json::to_cbor(*rep).size();
  if (bytes > resource_updates::kMaxRepresentationBytes) {
    return fail(ErrorCode::BadRequest,
                where + ".rep: " + std::to_string(bytes) + " bytes as CBOR, more than " +
                    std::to_string(resource_updates::kMaxRepresentationBytes));
  }
  total_bytes += bytes;
  if (const std::string* left = unsubstituted(*rep)) {
    return fail(ErrorCode::BadRequest, where + ".rep: \"{{\" left in \"" + left->substr(0, 64) +
                                           "\" (a variable dps did not substitute)");
  }
  return ResourceUpdate{*href, rep->dump()};
}

}  // namespace

Result<std::vector<ResourceUpdate>> check_pre_configuration_response(const Message& response) {
  if (auto ok = check_code(response, Code::Content); !ok) return tl::unexpected(ok.error());
  if (auto ok = check_content_format(response); !ok) return tl::unexpected(ok.error());
  auto j = detail::decode_cbor(response);
  if (!j) return tl::unexpected(j.error());
  if (!j->is_object()) return fail(ErrorCode::BadRequest, "payload is not a CBOR map");
  auto list = j->find("updates");
  if (list == j->end() || !list->is_array()) {
    return fail(ErrorCode::BadRequest, "updates: missing or not an array");
  }
  if (list->size() > resource_updates::kMaxUpdates) {
    return fail(ErrorCode::BadRequest, "updates: " + std::to_string(list->size()) +
                                           " entries, more than " +
                                           std::to_string(resource_updates::kMaxUpdates));
  }
  std::vector<ResourceUpdate> updates;
  size_t total_bytes = 0;
  for (size_t i = 0; i < list->size(); ++i) {
    auto update = check_update((*list)[i], i, total_bytes);
    if (!update) return tl::unexpected(update.error());
    for (const auto& earlier : updates) {
      // Which of two updates of one resource wins would be the device's guess.
      if (earlier.href == update->href) {
        return fail(ErrorCode::BadRequest, "updates: " + update->href + " updated twice");
      }
    }
    updates.push_back(std::move(*update));
  }
  if (total_bytes > resource_updates::kMaxTotalBytes) {
    return fail(ErrorCode::BadRequest, "updates: " + std::to_string(total_bytes) +
                                           " bytes as CBOR in all, more than " +
                                           std::to_string(resource_updates::kMaxTotalBytes));
  }
  return updates;
}

Result<void> check_pre_configuration_report_response(const Message& response) {
  return check_code(response, Code::Changed);
}

}  // namespace dps::device
