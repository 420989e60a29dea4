// The one table of configuration keys. It drives the YAML walker (which keys exist, their types,
// which are accepted only for plgd compatibility), the binding into Config, `--help` and the
// reference in docs/configuration.md. Internal to dps_config.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "config/config.hpp"

namespace dps::config::schema {

enum class Kind {
  Object,  // a map; its keys are the rows below it. Most objects are implicit (only leaves listed)
  ObjectList,  // a list of maps; the rows of one item are "<path>[].<key>"
  String,
  Bool,
  Uint,
  Duration,  // Go-style: "20s", "1h30m", "500ms"
  StringList,
  Path,        // a file path kept as a path: resolved against the config's directory, must exist
  Dir,         // a path that dps creates if needed: resolved, not checked
  Source,      // a file path, data: URI or inline PEM: the loader keeps the CONTENT
  SourceList,  // one Source or a list of them (plgd's caPool): the contents, concatenated
  Ignored,     // plgd keys without effect here: any value is accepted; see Key::inert
};

// Where a key's value lands in Config. Keys without a target (enrollment groups, lists of
// objects, values that are only validated) are converted by hand in
// enrollment_groups.cpp/apply.cpp.
using StringRef = std::string& (*)(Config&);
using BoolRef = bool& (*)(Config&);
using UintRef = uint32_t& (*)(Config&);
using MillisRef = std::chrono::milliseconds& (*)(Config&);
using SecondsRef = std::chrono::seconds& (*)(Config&);
using Target = std::variant<std::monostate, StringRef, BoolRef, UintRef, MillisRef, SecondsRef>;

struct Key {
  std::string_view path;  // dotted pattern, "[]" marks a list item: enrollmentGroups[].owner
  Kind kind = Kind::String;
  Target target;
  std::string_view default_text;  // shown in docs when there is no target to read a default from
  std::string_view choices;       // "debug|info|warn|error": the only values accepted
  std::string_view alias;         // an Object whose children are the rows of another pattern
  std::string_view help;          // for Ignored keys: why it has no effect
  // Ignored keys only: the values for which the key changes nothing in plgd either, so no warning
  // is logged for them. "" = any value warns; "*" = never warns (plgd ignores it too, or it only
  // matters in a mode dps refuses); "=8s" = the key's own value; "enabled=false" = a child of the
  // map (absent = Go's zero value, quiet). Alternatives: "timeEncoder=rfc3339nano|rfc3339".
  std::string_view inert;
};

/// All rows, in documentation order.
std::span<const Key> keys();

/// The row of a pattern, or nullptr. Intermediate maps without their own row are not found here.
const Key* find(std::string_view pattern);

/// Keys that may appear in the map at `pattern` (for "did you mean" suggestions); empty if the
/// pattern is not a map.
std::vector<std::string_view> child_names(std::string_view pattern);

/// Words used for a kind in help and errors ("duration", "list of strings", ...).
std::string_view kind_name(Kind kind);

}  // namespace dps::config::schema
