#include "api/routes/route_support.hpp"

#include <algorithm>
#include <charconv>

#include "api/json_reader.hpp"
#include "pki/uuid.hpp"

namespace dps::api::routes {

Result<Filters> read_filters(const ApiRequest& request,
                             std::initializer_list<std::string_view> allowed) {
  Filters filters;
  for (const auto& [key, value] : request.query) {
    const std::string name = lower_camel(key);
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      std::string expected;
      for (auto known : allowed) expected += (expected.empty() ? "" : ", ") + std::string(known);
      return fail(ErrorCode::BadRequest, "unknown query parameter \"" + key + "\" (accepted: " +
                                             (expected.empty() ? "none" : expected) + ")");
    }
    if (value.empty()) {
      return fail(ErrorCode::BadRequest, "query parameter \"" + key + "\" has an empty value");
    }
    std::string filter = value;
    if (name.ends_with("IdFilter") || name == "idFilter") {
      if (auto uuid = pki::Uuid::parse(value)) filter = uuid->to_string();
    }
    filters[name].push_back(std::move(filter));
  }
  return filters;
}

std::vector<std::string> values(const Filters& filters, std::string_view name) {
  auto it = filters.find(name);
  return it == filters.end() ? std::vector<std::string>{} : it->second;
}

Result<std::optional<size_t>> read_limit(const Filters& filters, size_t largest) {
  const auto given = values(filters, kLimit);
  if (given.empty()) return std::nullopt;
  size_t limit = 0;
  const std::string& text = given.back();
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), limit);
  if (ec != std::errc{} || end != text.data() + text.size() || limit == 0 || limit > largest) {
    return fail(ErrorCode::BadRequest, "limit: must be a whole number from 1 to " +
                                           std::to_string(largest) + ", got \"" + text + "\"");
  }
  return limit;
}

Result<std::string> path_id(std::string_view segment) {
  auto uuid = pki::Uuid::parse(segment);
  if (!uuid) {
    return fail(ErrorCode::BadRequest, "id: must be a UUID, got \"" + std::string(segment) + "\"");
  }
  return uuid->to_string();
}

std::string dump(const nlohmann::json& value) {
  // Stored text is not guaranteed UTF-8 (records keep what devices sent): replace, never throw.
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

ApiResponse object_response(const nlohmann::json& object) {
  ApiResponse response;
  response.body = dump(object);
  return response;
}

ApiResponse count_response(size_t count) {
  return object_response(nlohmann::json{{"count", std::to_string(count)}});
}

tl::unexpected<Error> quota_exceeded(std::string_view what, size_t count, uint32_t most,
                                     std::string_view key) {
  return fail(ErrorCode::Conflict, "quota exceeded: " + std::to_string(count) + " " +
                                       std::string(what) + ", at most " + std::to_string(most) +
                                       " allowed (apis.http.quotas." + std::string(key) + ")");
}

Result<void> check_template_reference(const Context& context, const std::string& template_id) {
  if (template_id.empty()) return {};
  auto found = context.store.list_templates(store::TemplateFilter{context.scope(), {template_id}});
  if (!found) return tl::unexpected(found.error());
  if (!found->empty()) return {};
  return fail(ErrorCode::BadRequest, "templateId: no template \"" + template_id + "\"");
}

}  // namespace dps::api::routes
