// Individual-enrollment options of `create` and `update`, and the JSON they make of an
// enrollment (api/individual_enrollment_codec.cpp): name, attestationMechanism (exactly one of
// x509.certificate, publicKey, publicKeySha256), hubIds, disabled, templateId. Bodies never carry
// id or owner: POST refuses a body id and the owner is always the caller's.
#pragma once

#include <CLI/App.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace dps::dpsctl {

/// As given on the command line; empty or false means "not given".
struct IndividualOptions {
  std::string name;
  std::string certificate_file;
  std::string public_key_file;
  std::string key_hash;
  std::string tpm_ek_file;  // TPM2B_PUBLIC (binary) or PEM public key
  std::vector<std::string> hub_ids;
  bool disabled = false;
  bool enabled = false;  // update only: clears disabled
  std::string template_id;
  bool no_template = false;  // update only: clears templateId
};

/// Registers the options on `verb`.
void add_individual_options(CLI::App& verb, IndividualOptions& options, bool create);

/// The fields that were given, as a partial enrollment: the body of create, or what update puts
/// over the stored enrollment (individual_update_body). Reads --certificate and --public-key
/// here (PEM goes inline). Throws CliError(Usage) when create names the device by anything but
/// exactly one of --certificate, --public-key, --key-hash (update: at most one), for an
/// unreadable or non-PEM file, or for a --key-hash that is not 64 hex digits.
nlohmann::json individual_patch(const IndividualOptions& options, bool create);

/// The PUT body for `stored` (as GET shows it) changed by `patch`: fields the patch does not name
/// keep their value; a patch that names the device replaces the whole attestationMechanism
/// (the API takes exactly one of its forms, while GET shows publicKeySha256 beside the
/// certificate). id and owner are left out (the API takes them from the path and the caller).
nlohmann::json individual_update_body(nlohmann::json stored, const nlohmann::json& patch);

}  // namespace dps::dpsctl
