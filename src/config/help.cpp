// help_text() and reference_markdown(): two renderings of the schema table, so `dps --help` and
// docs/configuration.md cannot drift from what the loader accepts.
#include <string>

#include "config/config.hpp"
#include "config/schema.hpp"
#include "config/values.hpp"

namespace dps::config {
namespace {

using schema::Key;
using schema::Kind;

// Defaults of bound keys are read from defaults(), so the docs show what the code does.
std::string default_of(const Key& key) {
  if (key.kind == Kind::Ignored) return "";
  Config config = defaults();
  return std::visit(
      [&](auto ref) -> std::string {
        using Ref = decltype(ref);
        if constexpr (std::is_same_v<Ref, std::monostate>) {
          return std::string(key.default_text);
        } else if constexpr (std::is_same_v<Ref, schema::StringRef>) {
          return "\"" + ref(config) + "\"";
        } else if constexpr (std::is_same_v<Ref, schema::BoolRef>) {
          return ref(config) ? "true" : "false";
        } else if constexpr (std::is_same_v<Ref, schema::UintRef>) {
          return std::to_string(ref(config));
        } else {
          return format_duration(ref(config));
        }
      },
      key.target);
}

std::string description_of(const Key& key) {
  if (key.kind == Kind::Ignored) {
    std::string text = "Accepted for plgd compatibility, without effect: " + std::string(key.help);
    if (key.inert == "*") return text + ".";
    std::string_view rule = key.inert;
    size_t eq = rule.find('=');
    if (rule.empty()) return text + ". A warning at start names it when set.";
    std::string values(rule.substr(eq + 1));
    for (size_t bar = values.find('|'); bar != std::string::npos; bar = values.find('|')) {
      values.replace(bar, 1, " or ");
    }
    std::string what = eq == 0 ? "it is " : std::string(rule.substr(0, eq)) + " is ";
    return text + ". A warning at start names it unless " + what + values + ".";
  }
  std::string text(key.help);
  if (!key.choices.empty()) {
    std::string choices(key.choices);
    for (size_t bar = choices.find('|'); bar != std::string::npos; bar = choices.find('|')) {
      choices.replace(bar, 1, ", ");
    }
    text += " One of: " + choices + ".";
  }
  return text;
}

std::string escape_cell(std::string text) {
  for (size_t bar = text.find('|'); bar != std::string::npos; bar = text.find('|', bar + 2)) {
    text.replace(bar, 1, "\\|");
  }
  return text;
}

}  // namespace

std::string help_text() {
  std::string out =
      "Configuration keys (YAML in plgd's shape; see docs/configuration.md).\n"
      "Durations are Go-style (\"20s\", \"1h30m\", \"500ms\"). File-valued keys take a path\n"
      "(relative to the config file), a data: URI or inline PEM. \"[]\" marks list items.\n\n";
  for (const Key& key : schema::keys()) {
    std::string def = default_of(key);
    out += key.path;
    out += "  (";
    out += schema::kind_name(key.kind);
    if (!def.empty()) out += ", default " + def;
    out += ")\n    " + description_of(key) + "\n";
  }
  return out;
}

std::string reference_markdown() {
  std::string out =
      "| Key | Type | Default | Description |\n"
      "|---|---|---|---|\n";
  for (const Key& key : schema::keys()) {
    std::string def = default_of(key);
    out += "| `" + std::string(key.path) + "` | " + std::string(schema::kind_name(key.kind)) +
           " | " + (def.empty() ? "" : "`" + escape_cell(def) + "`") + " | " +
           escape_cell(description_of(key)) + " |\n";
  }
  return out;
}

}  // namespace dps::config
