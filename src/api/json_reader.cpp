#include "api/json_reader.hpp"

#include <cctype>
#include <charconv>

namespace dps::api {

using nlohmann::json;

std::string lower_camel(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  bool upper_next = false;
  for (char c : name) {
    if (c == '_') {
      upper_next = !out.empty();
      continue;
    }
    out.push_back(upper_next ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c);
    upper_next = false;
  }
  return out;
}

JsonReader::JsonReader(const json& object, std::string path, Problem& problem)
    : path_(std::move(path)), problem_(&problem) {
  if (!object.is_object()) {
    if (!problem) problem = (path_.empty() ? std::string("body") : path_) + ": expected an object";
    return;
  }
  for (const auto& [key, value] : object.items()) {
    std::string name = lower_camel(key);
    auto [it, fresh] = fields_.try_emplace(name, Field{key, &value});
    if (!fresh && !problem) {
      problem = "field \"" + path_of(name) + "\" given twice (as \"" + it->second.key +
                "\" and \"" + key + "\")";
    }
  }
}

std::string JsonReader::path_of(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

void JsonReader::fail(std::string_view key, const std::string& message) {
  if (!*problem_) *problem_ = path_of(key) + ": " + message;
}

const json* JsonReader::take(std::string_view key) {
  auto it = fields_.find(key);
  if (it == fields_.end()) return nullptr;
  it->second.used = true;
  return it->second.value->is_null() ? nullptr : it->second.value;
}

bool JsonReader::has(std::string_view key) { return take(key) != nullptr; }

void JsonReader::ignore(std::string_view key) { take(key); }

const json* JsonReader::raw(std::string_view key) { return take(key); }

std::string JsonReader::string(std::string_view key) {
  const json* value = take(key);
  if (!value) return {};
  if (!value->is_string()) {
    fail(key, "expected a string");
    return {};
  }
  return value->get_ref<const std::string&>();
}

bool JsonReader::boolean(std::string_view key) {
  const json* value = take(key);
  if (!value) return false;
  if (!value->is_boolean()) {
    fail(key, "expected true or false");
    return false;
  }
  return value->get<bool>();
}

int64_t JsonReader::int64(std::string_view key) {
  const json* value = take(key);
  if (!value) return 0;
  if (value->is_number_integer()) return value->get<int64_t>();
  if (value->is_string()) {
    const auto& text = value->get_ref<const std::string&>();
    int64_t out = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    if (ec == std::errc() && end == text.data() + text.size() && !text.empty()) return out;
  }
  fail(key, "expected a 64-bit integer (a number or its decimal text)");
  return 0;
}

std::vector<std::string> JsonReader::strings(std::string_view key) {
  const json* value = take(key);
  std::vector<std::string> out;
  if (!value) return out;
  if (value->is_array()) {
    for (const auto& item : *value) {
      if (!item.is_string()) break;
      out.push_back(item.get_ref<const std::string&>());
    }
    if (out.size() == value->size()) return out;
  }
  fail(key, "expected an array of strings");
  return {};
}

std::vector<std::string> JsonReader::string_or_strings(std::string_view key) {
  auto it = fields_.find(key);
  if (it != fields_.end() && it->second.value->is_string()) return {string(key)};
  return strings(key);
}

std::optional<JsonReader> JsonReader::object(std::string_view key) {
  const json* value = take(key);
  if (!value) return std::nullopt;
  if (!value->is_object()) {
    fail(key, "expected an object");
    return std::nullopt;
  }
  return JsonReader(*value, path_of(key), *problem_);
}

void JsonReader::finish() {
  for (const auto& [name, field] : fields_) {
    if (field.used) continue;
    if (!*problem_) *problem_ = "unknown field \"" + path_of(field.key) + "\"";
    return;
  }
}

}  // namespace dps::api
