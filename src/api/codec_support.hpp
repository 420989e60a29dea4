// Helpers shared by the enrollment-group and hub codecs. Internal to src/api.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/json_codec.hpp"
#include "api/json_reader.hpp"
#include "api/value_source.hpp"
#include "common/result.hpp"

namespace dps::api::codec {

/// The body as JSON. BadRequest "body: not valid JSON (...)" otherwise.
[[nodiscard]] Result<nlohmann::json> parse_body(std::string_view body);

/// Checks the body's optional `id` and `owner` against `context` (json_codec.hpp, BodyContext).
void check_identity(JsonReader& root, const BodyContext& context);

/// Canonical lowercase form of a UUID, nullopt when `text` is not one.
std::optional<std::string> canonical_uuid(std::string_view text);

/// A string field holding PEM or a secret (value_source.hpp); problems recorded on `reader`.
std::string value_field(JsonReader& reader, std::string_view key, ValueKind kind);

/// `hubIds`: UUIDs in canonical form, repeats dropped (order is priority). `required`: at least
/// one. Problems recorded on `root`.
std::vector<std::string> hub_ids_field(JsonReader& root, bool required);

/// Puts `value` under `key` unless it is empty.
void put_if(nlohmann::json& object, const char* key, const std::string& value);

/// `templateId`: "" when absent, else the template's UUID in canonical form (whether it names a
/// template of the caller is the route's to check: it needs the store). Problems on `root`.
std::string template_id_field(JsonReader& root);

/// `accessControlList` of a template (access_control_list_codec.cpp): the ACEs rebuilt in their
/// stored form, an array (empty when absent). Problems recorded in `problem`, naming the path
/// ("accessControlList[2].permission").
nlohmann::json access_control_list_field(JsonReader& root, Problem& problem);

/// `preConfiguration` of a template (pre_configuration_codec.cpp), checked with the shared rules
/// of common/resource_updates.hpp. Problems recorded in `problem`.
std::vector<store::ResourceUpdate> pre_configuration_field(JsonReader& root, Problem& problem);

}  // namespace dps::api::codec
