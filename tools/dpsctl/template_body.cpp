#include "template_body.hpp"

#include <CLI/CLI.hpp>
#include <map>

#include "exit_codes.hpp"
#include "local_file.hpp"

namespace dps::dpsctl {
namespace {

using nlohmann::json;

// The array a file holds; the server checks what is in it and names the element at fault.
json read_json_array(const std::string& path, const char* option) {
  const std::string text = read_local_file(path, option);
  json value = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) {
    throw CliError(ExitCode::Usage, std::string(option) + ": \"" + path + "\" is not JSON");
  }
  if (!value.is_array()) {
    throw CliError(ExitCode::Usage,
                   std::string(option) + ": \"" + path + "\" must hold a JSON array");
  }
  return value;
}

// Durations as CLI11 reads numbers with a unit: a bare number is seconds.
CLI::AsNumberWithUnit seconds_with_unit() {
  return CLI::AsNumberWithUnit(std::map<std::string, int64_t>{
      {"s", 1}, {"m", 60}, {"h", 3600}, {"d", 86400}, {"y", 365 * 86400}});
}

}  // namespace

void add_template_options(CLI::App& verb, TemplateOptions& options) {
  verb.add_option("--name", options.name, "Display name");
  verb.add_option("--acl-file", options.acl_file,
                  "JSON file with an array of ACEs each device gets besides its usual ones: "
                  "{\"subject\": {\"uuid\"|\"conntype\"|\"role\": ...}, \"resources\": "
                  "[{\"href\": \"/p\"} or {\"wc\": \"*\"}], \"permission\": 0..31}");
  verb.add_option("--pre-configuration-file", options.pre_configuration_file,
                  "JSON file with an array of {\"href\": \"/p\", \"representation\": {...}} each "
                  "device applies after provisioning; strings may hold {{deviceId}}, {{owner}}, "
                  "{{hubId}}");
  verb.add_option("--certificate-validity", options.certificate_validity_seconds,
                  "Validity of the devices' identity certificates, e.g. 90d (0 = the CA's "
                  "default; else 1h..10y)")
      ->transform(seconds_with_unit())
      ->type_name("DURATION");
  verb.add_option("--token-lifetime", options.token_lifetime_seconds,
                  "Lifetime of the hub tokens dps mints for the devices, e.g. 1h (0 = the "
                  "default; else 1m..1y)")
      ->transform(seconds_with_unit())
      ->type_name("DURATION");
}

json template_patch(const TemplateOptions& options) {
  json patch = json::object();
  if (!options.name.empty()) patch["name"] = options.name;
  if (!options.acl_file.empty()) {
    patch["accessControlList"] = read_json_array(options.acl_file, "--acl-file");
  }
  if (!options.pre_configuration_file.empty()) {
    patch["preConfiguration"] =
        read_json_array(options.pre_configuration_file, "--pre-configuration-file");
  }
  if (options.certificate_validity_seconds >= 0) {
    patch["identityCertificateValiditySeconds"] = options.certificate_validity_seconds;
  }
  if (options.token_lifetime_seconds >= 0) {
    patch["tokenLifetimeSeconds"] = options.token_lifetime_seconds;
  }
  return patch;
}

void add_template_reference_options(CLI::App& verb, std::string& template_id, bool& no_template,
                                    bool create) {
  auto* named = verb.add_option("--template", template_id,
                                "Id of an enrollment template (dpsctl templates) whose ACEs, "
                                "lifetimes and pre-configuration the devices get");
  if (!create) {
    verb.add_flag("--no-template", no_template, "Stop using the enrollment template")
        ->excludes(named);
  }
}

void template_reference(json& patch, const std::string& template_id, bool no_template) {
  if (!template_id.empty()) patch["templateId"] = template_id;
  if (no_template) patch["templateId"] = "";
}

}  // namespace dps::dpsctl
