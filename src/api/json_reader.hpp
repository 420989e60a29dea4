// Strict reading of one JSON object of an API body: every field read through a typed getter,
// anything left over is an unknown field. The first problem wins and names the field by its
// dotted path ("attestationMechanism.x509.foo"), so a client learns exactly what to fix.
// Internal to the codecs.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dps::api {

/// The first problem of one decode; later ones are dropped.
using Problem = std::optional<std::string>;

class JsonReader {
 public:
  /// `object` (and the document holding it) must outlive the reader. `path` is the dotted path
  /// of `object`, "" for the body. Not an object: records "<path>: expected an object".
  /// Keys in protobuf's original snake_case ("hub_id") are read as their lowerCamelCase JSON name
  /// ("hubId"), as protojson accepts both; giving both spellings is a problem.
  JsonReader(const nlohmann::json& object, std::string path, Problem& problem);

  /// Present and not null (JSON null means "not set", as in protojson). Marks the key as known.
  bool has(std::string_view key);
  /// Absent/null → "" / false / {}; a wrong type is recorded and yields the empty value.
  std::string string(std::string_view key);
  bool boolean(std::string_view key);
  /// A protobuf int64: a JSON integer or its decimal text (protojson writes 64-bit numbers as
  /// strings). Absent/null → 0.
  int64_t int64(std::string_view key);
  std::vector<std::string> strings(std::string_view key);
  /// A string or an array of strings (plgd's repeated fields given as one value).
  std::vector<std::string> string_or_strings(std::string_view key);
  /// Absent/null → nullopt; a non-object is recorded and yields nullopt.
  std::optional<JsonReader> object(std::string_view key);
  /// Accepted (a plgd field dps has no use for) and not read.
  void ignore(std::string_view key);
  /// The value as sent, for arrays of objects the caller walks itself (each element read by a
  /// JsonReader of its own path). Absent/null → nullptr. Marks the key as known.
  const nlohmann::json* raw(std::string_view key);

  /// Records "<path.key>: <message>" unless a problem is already recorded.
  void fail(std::string_view key, const std::string& message);
  std::string path_of(std::string_view key) const;
  /// Records `unknown field "<path.key>"` for the first key no getter asked for.
  void finish();

 private:
  struct Field {
    std::string key;  // as sent
    const nlohmann::json* value;
    bool used = false;
  };
  const nlohmann::json* take(std::string_view key);

  std::string path_;
  Problem* problem_;
  std::map<std::string, Field, std::less<>> fields_;  // by lowerCamelCase name
};

/// protobuf's JSON name of a snake_case field name: "hub_id" → "hubId", "x509_certs" → "x509Certs".
std::string lower_camel(std::string_view name);

}  // namespace dps::api
