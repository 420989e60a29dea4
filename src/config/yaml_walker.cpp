#include "config/yaml_walker.hpp"

#include <yaml-cpp/yaml.h>

#include <exception>
#include <set>

#include "config/file_source.hpp"
#include "config/schema.hpp"
#include "config/values.hpp"

namespace dps::config {
namespace {

using schema::Key;
using schema::Kind;

std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return "\"" + node.Scalar() + "\"";
    default:
      return "nothing";
  }
}

std::string with_article(std::string_view noun) {
  bool vowel = !noun.empty() && std::string_view("aeiou").find(noun[0]) != std::string_view::npos;
  return (vowel ? "an " : "a ") + std::string(noun);
}

tl::unexpected<Error> error_at(const std::string& path, std::string message) {
  return fail(ErrorCode::BadRequest, (path.empty() ? "(root)" : path) + ": " + message);
}

tl::unexpected<Error> type_error(const std::string& path, std::string_view expected,
                                 const YAML::Node& got) {
  return error_at(path, "expected " + with_article(expected) + ", got " + describe(got));
}

// "debug|info" accepts "info"; an empty choice list accepts anything.
bool allowed(std::string_view choices, std::string_view value) {
  if (choices.empty()) return true;
  while (!choices.empty()) {
    size_t bar = choices.find('|');
    if (choices.substr(0, bar) == value) return true;
    choices = bar == std::string_view::npos ? std::string_view{} : choices.substr(bar + 1);
  }
  return false;
}

std::string choice_list(std::string_view choices) {
  std::string out(choices);
  for (size_t bar = out.find('|'); bar != std::string::npos; bar = out.find('|')) {
    out.replace(bar, 1, ", ");
  }
  return out;
}

// The value of `yaml` equals one of `choices` ("false", "8s", "rfc3339nano|rfc3339"). true/false
// are compared as YAML booleans, so "False" and "no" count as false.
bool scalar_is(const YAML::Node& yaml, std::string_view choices) {
  if (!yaml.IsScalar()) return false;
  if (choices == "false" || choices == "true") {
    bool flag = false;
    return YAML::convert<bool>::decode(yaml, flag) && flag == (choices == "true");
  }
  return allowed(choices, yaml.Scalar());
}

// Key::inert (schema.hpp): whether this value of an Ignored key changes nothing in plgd either.
bool inert(const YAML::Node& yaml, std::string_view rule) {
  if (rule == "*") return true;
  if (rule.empty()) return false;
  size_t eq = rule.find('=');
  std::string_view child = rule.substr(0, eq);
  std::string_view choices = eq == std::string_view::npos ? "" : rule.substr(eq + 1);
  if (child.empty()) return scalar_is(yaml, choices);
  if (!yaml.IsMap()) return false;
  const YAML::Node value = yaml[std::string(child)];
  // Absent: Go's zero value, which every rule names (false, "", plgd's default).
  return !value.IsDefined() || value.IsNull() || scalar_is(value, choices);
}

class Walker {
 public:
  Walker(const std::filesystem::path& base_dir, std::vector<std::string>& warnings)
      : base_dir_(base_dir), warnings_(warnings) {}

  Result<void> map(const YAML::Node& yaml, const std::string& pattern, Node& out) {
    if (yaml.IsNull()) return {};
    if (!yaml.IsMap()) return type_error(out.path, "map", yaml);
    std::set<std::string, std::less<>> seen;
    for (const auto& entry : yaml) {
      if (!entry.first.IsScalar()) return error_at(out.path, "keys must be strings");
      const std::string& name = entry.first.Scalar();
      std::string child_pattern = pattern.empty() ? name : pattern + "." + name;
      std::string child_path = out.path.empty() ? name : out.path + "." + name;
      const Key* key = schema::find(child_pattern);
      bool implicit_map = !key && !schema::child_names(child_pattern).empty();
      if (!key && !implicit_map) return unknown_key(child_path, name, pattern);
      if (!seen.insert(name).second) return error_at(child_path, "duplicate key");
      // "key:" with no value is as if absent (plgd: the zero value, i.e. our default); it
      // creates no node, so a bare "hub:" is not a hub.
      if (entry.second.IsNull()) continue;
      Node& child = out.fields[name];
      child.path = std::move(child_path);
      auto done = key ? value(entry.second, *key, child_pattern, child)
                      : map(entry.second, child_pattern, child);
      if (!done) return done;
    }
    return {};
  }

 private:
  tl::unexpected<Error> unknown_key(const std::string& path, std::string_view name,
                                    const std::string& parent_pattern) {
    auto siblings = schema::child_names(parent_pattern);
    auto close = suggest(name, siblings);
    std::string hint = close ? " (did you mean \"" + std::string(*close) + "\"?)" : "";
    return error_at(path, "unknown key" + hint);
  }

  Result<void> value(const YAML::Node& yaml, const Key& key, const std::string& pattern,
                     Node& out) {
    if (key.kind == Kind::Ignored) {
      if (!inert(yaml, key.inert)) {
        warnings_.push_back(out.path + ": ignored (" + std::string(key.help) + ")");
      }
      return {};
    }
    switch (key.kind) {
      case Kind::Object:
        return map(yaml, key.alias.empty() ? pattern : std::string(key.alias), out);
      case Kind::ObjectList:
        return list_of_maps(yaml, pattern, out);
      case Kind::StringList:
        return string_list(yaml, key, out);
      case Kind::SourceList:
        return source_list(yaml, out);
      default:
        break;
    }
    if (!yaml.IsScalar()) return type_error(out.path, schema::kind_name(key.kind), yaml);
    return scalar(yaml, key, out);
  }

  Result<void> list_of_maps(const YAML::Node& yaml, const std::string& pattern, Node& out) {
    if (!yaml.IsSequence()) return type_error(out.path, "list of maps", yaml);
    for (size_t i = 0; i < yaml.size(); ++i) {
      Node& item = out.items.emplace_back();
      item.path = out.path + "[" + std::to_string(i) + "]";
      if (auto done = map(yaml[i], pattern + "[]", item); !done) return done;
    }
    return {};
  }

  Result<void> string_list(const YAML::Node& yaml, const Key& key, Node& out) {
    if (!yaml.IsSequence()) return type_error(out.path, "list of strings", yaml);
    std::vector<std::string> values;
    for (size_t i = 0; i < yaml.size(); ++i) {
      std::string item_path = out.path + "[" + std::to_string(i) + "]";
      if (!yaml[i].IsScalar()) return type_error(item_path, "string", yaml[i]);
      const std::string& text = yaml[i].Scalar();
      if (!allowed(key.choices, text)) {
        return error_at(item_path,
                        "expected one of " + choice_list(key.choices) + ", got \"" + text + "\"");
      }
      values.push_back(text);
    }
    out.value = std::move(values);
    return {};
  }

  // plgd's caPool is one file or a list of files; either way the PEM texts are concatenated.
  Result<void> source_list(const YAML::Node& yaml, Node& out) {
    std::vector<YAML::Node> entries;
    if (yaml.IsScalar()) {
      entries.push_back(yaml);
    } else if (yaml.IsSequence()) {
      for (const auto& entry : yaml) entries.push_back(entry);
    } else {
      return type_error(out.path, schema::kind_name(Kind::SourceList), yaml);
    }
    std::string joined;
    for (size_t i = 0; i < entries.size(); ++i) {
      std::string item_path = yaml.IsScalar() ? out.path : out.path + "[" + std::to_string(i) + "]";
      if (!entries[i].IsScalar()) return type_error(item_path, "string", entries[i]);
      auto content = read_source(entries[i].Scalar(), base_dir_);
      if (!content) return error_at(item_path, content.error().internal);
      if (!joined.empty() && joined.back() != '\n') joined += '\n';
      joined += *content;
    }
    out.value = std::move(joined);
    return {};
  }

  Result<void> scalar(const YAML::Node& yaml, const Key& key, Node& out) {
    const std::string& text = yaml.Scalar();
    switch (key.kind) {
      case Kind::Bool: {
        bool flag = false;
        if (!YAML::convert<bool>::decode(yaml, flag)) return type_error(out.path, "bool", yaml);
        out.value = flag;
        return {};
      }
      case Kind::Uint: {
        auto number = parse_uint(text);
        if (!number) return type_error(out.path, "unsigned integer", yaml);
        out.value = *number;
        return {};
      }
      case Kind::Duration: {
        auto duration = parse_duration(text);
        if (!duration) {
          return error_at(out.path,
                          "expected a duration such as \"20s\", \"1h30m\" or "
                          "\"500ms\", got " +
                              describe(yaml));
        }
        out.value = *duration;
        return {};
      }
      case Kind::Path: {
        if (text.empty()) break;
        auto path = resolve_path(text, base_dir_);
        std::error_code ec;
        auto status = std::filesystem::status(path, ec);
        if (!std::filesystem::exists(status)) {
          return error_at(out.path, "file \"" + path.string() + "\" not found");
        }
        if (!std::filesystem::is_regular_file(status)) {
          return error_at(out.path, "\"" + path.string() + "\" is not a regular file");
        }
        out.value = path.string();
        return {};
      }
      case Kind::Dir:
        out.value = text.empty() ? text : resolve_path(text, base_dir_).string();
        return {};
      case Kind::Source: {
        auto content = read_source(text, base_dir_);
        if (!content) return error_at(out.path, content.error().internal);
        out.value = std::move(*content);
        if (is_file_source(text)) out.source_file = resolve_path(text, base_dir_).string();
        return {};
      }
      default:
        break;
    }
    if (!allowed(key.choices, text)) {
      return error_at(out.path,
                      "expected one of " + choice_list(key.choices) + ", got " + describe(yaml));
    }
    out.value = text;
    return {};
  }

  const std::filesystem::path& base_dir_;
  std::vector<std::string>& warnings_;
};

}  // namespace

Result<Node> parse_document(std::string_view yaml, const std::filesystem::path& base_dir,
                            std::vector<std::string>& warnings) {
  try {
    YAML::Node root = YAML::Load(std::string(yaml));
    Node doc;
    if (auto done = Walker(base_dir, warnings).map(root, "", doc); !done) {
      return tl::unexpected(done.error());
    }
    return doc;
  } catch (const YAML::Exception& e) {
    // e.mark is 0-based; editors count from 1.
    return fail(ErrorCode::BadRequest, "line " + std::to_string(e.mark.line + 1) + ", column " +
                                           std::to_string(e.mark.column + 1) + ": " + e.msg);
  } catch (const std::exception& e) {
    return fail(ErrorCode::BadRequest, std::string("cannot parse the config: ") + e.what());
  }
}

}  // namespace dps::config
