// Enrollment-template options of `create` and `update`, and the JSON they make of a template
// (api/enrollment_template_codec.cpp): name, accessControlList and preConfiguration (read from
// JSON files), identityCertificateValiditySeconds, tokenLifetimeSeconds. The rules on ACEs and
// resource updates are the server's: its 400 names the field path at fault.
#pragma once

#include <CLI/App.hpp>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace dps::dpsctl {

/// As given on the command line; empty or -1 means "not given".
struct TemplateOptions {
  std::string name;
  std::string acl_file;
  std::string pre_configuration_file;
  int64_t certificate_validity_seconds = -1;
  int64_t token_lifetime_seconds = -1;
};

/// Registers the options on `verb`; the durations take s, m, h, d or y units ("90d", "1h").
void add_template_options(CLI::App& verb, TemplateOptions& options);

/// The fields that were given, as a JSON merge patch (RFC 7396) of a template: the body of
/// create, or what update merges into the stored template. Reads --acl-file and
/// --pre-configuration-file here (each a JSON array). Throws CliError(Usage) for an unreadable
/// file, one that is not JSON, or one that is not an array.
nlohmann::json template_patch(const TemplateOptions& options);

/// Registers `--template ID` on a group or individual-enrollment verb and, on update,
/// `--no-template` (sent as templateId "", which clears it). See template_reference.
void add_template_reference_options(CLI::App& verb, std::string& template_id, bool& no_template,
                                    bool create);

/// Puts the templateId those options ask for into `patch` (nothing when neither was given).
void template_reference(nlohmann::json& patch, const std::string& template_id, bool no_template);

}  // namespace dps::dpsctl
