#include "common/resource_updates.hpp"

#include <algorithm>
#include <vector>

namespace dps::resource_updates {
namespace {

constexpr std::string_view kOpen = "{{";
constexpr std::string_view kClose = "}}";

bool is_segment_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '~' || c == '-';
}

bool known_variable(std::string_view name) {
  return std::find(std::begin(kVariableNames), std::end(kVariableNames), name) !=
         std::end(kVariableNames);
}

// The first problem with the {{...}} of `text`, or "".
std::string variable_problem(const std::string& text) {
  for (size_t at = text.find(kOpen); at != std::string::npos; at = text.find(kOpen, at)) {
    const size_t end = text.find(kClose, at + kOpen.size());
    if (end == std::string::npos) return "unterminated \"{{\" in \"" + text + "\"";
    const std::string_view name(text.data() + at + kOpen.size(), end - at - kOpen.size());
    if (!known_variable(name)) {
      return "unknown variable {{" + std::string(name) +
             "}} (known: {{deviceId}}, {{owner}}, {{hubId}})";
    }
    at = end + kClose.size();
  }
  return {};
}

std::string walk_problem(const nlohmann::json& value, size_t depth) {
  if (depth > kMaxRepresentationNesting) {
    return "nested deeper than " + std::to_string(kMaxRepresentationNesting) + " levels";
  }
  if (value.is_string()) return variable_problem(value.get_ref<const std::string&>());
  if (value.is_object() || value.is_array()) {
    for (const auto& item : value) {
      if (auto problem = walk_problem(item, depth + 1); !problem.empty()) return problem;
    }
  }
  return {};
}

std::string replace_variables(std::string text, const Variables& values) {
  std::string out;
  size_t from = 0;
  for (size_t at = text.find(kOpen); at != std::string::npos; at = text.find(kOpen, from)) {
    const size_t end = text.find(kClose, at + kOpen.size());
    if (end == std::string::npos) break;
    const std::string_view name(text.data() + at + kOpen.size(), end - at - kOpen.size());
    out.append(text, from, at - from);
    if (auto it = values.find(name); it != values.end()) {
      out += it->second;
    } else {
      out.append(text, at, end + kClose.size() - at);
    }
    from = end + kClose.size();
  }
  out.append(text, from, std::string::npos);
  return out;
}

}  // namespace

std::string href_problem(std::string_view href) {
  if (href.empty() || href.front() != '/') return "must be an absolute path starting with \"/\"";
  if (href.size() > kMaxHrefLength) {
    return "longer than " + std::to_string(kMaxHrefLength) + " characters";
  }
  size_t start = 1;
  while (start <= href.size()) {
    const size_t end = std::min(href.find('/', start), href.size());
    const std::string_view segment = href.substr(start, end - start);
    if (segment.empty() && end != href.size()) return "has an empty segment (\"//\")";
    if (segment.empty() && href.size() > 1) return "ends with \"/\"";
    if (segment == "." || segment == "..") return "has a \".\" or \"..\" segment";
    if (!std::all_of(segment.begin(), segment.end(), is_segment_char)) {
      return "has a character outside [A-Za-z0-9._~-] (no query, no escapes)";
    }
    start = end + 1;
  }
  if (href == "/") return "names no resource";
  return {};
}

Result<size_t> check_representation(const nlohmann::json& representation) {
  if (!representation.is_object()) return fail(ErrorCode::BadRequest, "must be a JSON object");
  if (auto problem = walk_problem(representation, 0); !problem.empty()) {
    return fail(ErrorCode::BadRequest, problem);
  }
  std::vector<uint8_t> cbor;
  try {
    cbor = nlohmann::json::to_cbor(representation);
  } catch (const std::exception& e) {
    return fail(ErrorCode::BadRequest, std::string("not representable in CBOR: ") + e.what());
  }
  if (cbor.size() > kMaxRepresentationBytes) {
    return fail(ErrorCode::BadRequest, std::to_string(cbor.size()) + " bytes as CBOR, more than " +
                                           std::to_string(kMaxRepresentationBytes));
  }
  return cbor.size();
}

nlohmann::json substitute(const nlohmann::json& representation, const Variables& values) {
  if (representation.is_string()) {
    return replace_variables(representation.get<std::string>(), values);
  }
  if (representation.is_object()) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [key, item] : representation.items()) out[key] = substitute(item, values);
    return out;
  }
  if (representation.is_array()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& item : representation) out.push_back(substitute(item, values));
    return out;
  }
  return representation;
}

}  // namespace dps::resource_updates
