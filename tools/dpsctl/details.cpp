#include "details.hpp"

#include <algorithm>
#include <cctype>
#include <set>

namespace dps::dpsctl {
namespace {

using nlohmann::json;

const json* at_path(const json& object, const std::string& path) {
  const json* node = &object;
  size_t start = 0;
  while (start <= path.size()) {
    const size_t dot = std::min(path.find('.', start), path.size());
    if (!node->is_object()) return nullptr;
    const auto found = node->find(path.substr(start, dot - start));
    if (found == node->end()) return nullptr;
    node = &*found;
    start = dot + 1;
  }
  return node;
}

size_t count_of(const std::string& text, const std::string& what) {
  size_t count = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++count;
  return count;
}

std::string pem_summary(const std::string& text) {
  const size_t certificates = count_of(text, "-----BEGIN CERTIFICATE-----");
  const size_t crls = count_of(text, "-----BEGIN X509 CRL-----");
  std::string out;
  if (certificates > 0) out += "PEM, " + std::to_string(certificates) + " certificate(s)";
  if (crls > 0) out += (out.empty() ? "PEM, " : ", ") + std::to_string(crls) + " CRL(s)";
  return out.empty() ? "PEM, " + std::to_string(text.size()) + " bytes" : out;
}

// Field names whose values are credentials whatever the resource (a hub's OAuth client secret,
// a group's PSK, a record's key).
bool is_secret_name(std::string name) {
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return name.find("secret") != std::string::npos || name.find("password") != std::string::npos ||
         name.find("presharedkey") != std::string::npos || name == "key" ||
         name.find("privatekey") != std::string::npos;
}

// One line per value: PEM summarised, other text with its line breaks shown as spaces.
std::string scalar_text(const json& value) {
  if (!value.is_string()) return value.dump(-1, ' ', false, json::error_handler_t::replace);
  std::string text = value.get<std::string>();
  if (text.find("-----BEGIN ") != std::string::npos) return pem_summary(text);
  std::replace_if(
      text.begin(), text.end(), [](unsigned char c) { return c < ' ' || c == 0x7f; }, ' ');
  return text;
}

bool all_scalars(const json& array) {
  return std::all_of(array.begin(), array.end(),
                     [](const json& v) { return !v.is_object() && !v.is_array(); });
}

void flatten(const json& value, const std::string& path, const std::string& key,
             const std::set<std::string>& shown,
             std::vector<std::pair<std::string, std::string>>& lines) {
  if (shown.count(path)) return;
  if (is_secret_name(key)) {
    lines.emplace_back(path, show::secret(path).show(&value));
    return;
  }
  if (value.is_object() && !value.empty()) {
    for (const auto& [child, item] : value.items()) {
      flatten(item, path + "." + child, child, shown, lines);
    }
    return;
  }
  if (value.is_array() && !all_scalars(value)) {
    for (size_t i = 0; i < value.size(); ++i) {
      flatten(value[i], path + "[" + std::to_string(i) + "]", key, shown, lines);
    }
    return;
  }
  if (value.is_array()) {
    lines.emplace_back(path, show::list(path).show(&value));
    return;
  }
  lines.emplace_back(path, scalar_text(value));
}

}  // namespace

std::vector<std::pair<std::string, std::string>> detail_lines(const json& object,
                                                              const DetailShape& shape) {
  std::vector<std::pair<std::string, std::string>> lines;
  std::set<std::string> shown;
  for (const auto& field : shape) {
    lines.emplace_back(field.path, field.show(at_path(object, field.path)));
    if (!field.members_follow) shown.insert(field.path);
  }
  if (!object.is_object()) return lines;
  for (const auto& [key, value] : object.items()) flatten(value, key, key, shown, lines);
  return lines;
}

namespace show {

DetailField text(std::string path, std::string absent) {
  return {std::move(path),
          [absent = std::move(absent)](const json* value) {
            return value ? scalar_text(*value) : absent;
          },
          false};
}

DetailField boolean(std::string path, bool absent) {
  return {std::move(path),
          [absent](const json* value) {
            const bool on = value && value->is_boolean() ? value->get<bool>() : absent;
            return std::string(on ? "true" : "false");
          },
          false};
}

DetailField list(std::string path) {
  return {std::move(path),
          [](const json* value) {
            if (!value || !value->is_array() || value->empty()) return std::string("none");
            std::vector<std::string> items;
            for (const auto& item : *value) items.push_back(scalar_text(item));
            std::string out = std::to_string(items.size()) + ": ";
            for (size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + items[i];
            return out;
          },
          false};
}

DetailField secret(std::string path) {
  return {std::move(path),
          [](const json* value) {
            const bool set = value && !value->is_null() &&
                             !(value->is_string() && value->get<std::string>().empty());
            return std::string(set ? "set (not shown)" : "not set");
          },
          false};
}

DetailField pem(std::string path, std::string absent) {
  return {std::move(path),
          [absent = std::move(absent)](const json* value) {
            if (!value || !value->is_string() || value->get<std::string>().empty()) return absent;
            return pem_summary(value->get<std::string>());
          },
          false};
}

}  // namespace show
}  // namespace dps::dpsctl
