#include "individual_body.hpp"

#include <algorithm>
#include <cctype>

#include "exit_codes.hpp"
#include "local_file.hpp"
#include "template_body.hpp"

namespace dps::dpsctl {
namespace {

using nlohmann::json;

constexpr size_t kKeyHashDigits = 64;  // SHA-256 in hex

// The API takes certificates and keys as PEM text; DER would only come back as the server's
// less specific "not PEM" complaint, so it is caught here with the option's name.
std::string read_pem(const std::string& path, const char* option) {
  std::string pem = read_local_file(path, option);
  if (pem.find("-----BEGIN ") == std::string::npos) {
    throw CliError(ExitCode::Usage,
                   std::string(option) + ": \"" + path + "\" is not PEM (-----BEGIN ... missing)");
  }
  return pem;
}

json attestation(const IndividualOptions& options, bool create) {
  const int given = !options.certificate_file.empty() + !options.public_key_file.empty() +
                    !options.key_hash.empty() + !options.tpm_ek_file.empty();
  if (given > 1 || (create && given == 0)) {
    throw CliError(ExitCode::Usage,
                   std::string(given > 1 ? "give only one" : "give one") +
                       " of --certificate, --public-key, --key-hash, --tpm-ek: each names the "
                       "device by a public key");
  }
  if (!options.tpm_ek_file.empty()) {
    // A PEM key goes as it is; tpm2_createek's binary TPM2B_PUBLIC as a data: URI (the server
    // checks either and says what is wrong).
    std::string ek = read_local_file(options.tpm_ek_file, "--tpm-ek");
    if (ek.find("-----BEGIN ") == std::string::npos) ek = base64_data_uri(ek);
    return {{"tpm", {{"endorsementKey", ek}}}};
  }
  if (!options.certificate_file.empty()) {
    return {{"x509", {{"certificate", read_pem(options.certificate_file, "--certificate")}}}};
  }
  if (!options.public_key_file.empty()) {
    return {{"publicKey", read_pem(options.public_key_file, "--public-key")}};
  }
  if (options.key_hash.empty()) return nullptr;
  const bool hex = std::all_of(options.key_hash.begin(), options.key_hash.end(),
                               [](unsigned char c) { return std::isxdigit(c) != 0; });
  if (!hex || options.key_hash.size() != kKeyHashDigits) {
    throw CliError(ExitCode::Usage, "--key-hash: \"" + options.key_hash +
                                        "\" is not a SHA-256 in hex (64 hex digits)");
  }
  return {{"publicKeySha256", options.key_hash}};
}

}  // namespace

void add_individual_options(CLI::App& verb, IndividualOptions& options, bool create) {
  const std::string device = create ? "" : " (replaces how the device is named)";
  verb.add_option("--name", options.name,
                  "Display name" + std::string(create ? " (default: the generated id)" : ""));
  verb.add_option("--certificate", options.certificate_file,
                  "PEM file with the device's certificate: the device is known by its public key, "
                  "so a renewed certificate on the same key still matches" +
                      device);
  verb.add_option("--public-key", options.public_key_file,
                  "PEM file with the device's public key (SubjectPublicKeyInfo)" + device);
  verb.add_option("--key-hash", options.key_hash,
                  "SHA-256 of the device's DER SubjectPublicKeyInfo, 64 hex digits, e.g. "
                  "`openssl x509 -in dev.pem -pubkey -noout | openssl pkey -pubin -outform DER | "
                  "sha256sum`" +
                      device);
  verb.add_option(
      "--tpm-ek", options.tpm_ek_file,
      "The device's TPM endorsement key: the TPM2B_PUBLIC file `tpm2_createek -u ek.pub` "
      "writes, or a PEM public key (`tpm2_createek -f pem`). Such a device proves "
      "itself by TPM attestation, never by a certificate" +
          device);
  verb.add_option("--hub", options.hub_ids,
                  "Hub id (hubId of a hub) the device is sent to, instead of its groups' hubs; "
                  "repeat for fallbacks, in priority order; required unless --disabled" +
                      std::string(create ? "" : " (replaces the list)"))
      ->allow_extra_args(false);
  auto* disabled =
      verb.add_flag("--disabled", options.disabled,
                    "Refuse the device at the handshake, even when an enrollment group admits it");
  if (!create) {
    verb.add_flag("--enabled", options.enabled, "Enable a disabled enrollment (needs hubs)")
        ->excludes(disabled);
  }
  add_template_reference_options(verb, options.template_id, options.no_template, create);
}

json individual_patch(const IndividualOptions& options, bool create) {
  json patch = json::object();
  if (!options.name.empty()) patch["name"] = options.name;
  if (json mechanism = attestation(options, create); !mechanism.is_null()) {
    patch["attestationMechanism"] = std::move(mechanism);
  }
  if (!options.hub_ids.empty()) patch["hubIds"] = options.hub_ids;
  if (options.disabled) patch["disabled"] = true;
  if (options.enabled) patch["disabled"] = false;
  template_reference(patch, options.template_id, options.no_template);
  return patch;
}

json individual_update_body(json stored, const json& patch) {
  stored.erase("id");
  stored.erase("owner");
  json& mechanism = stored["attestationMechanism"];
  if (patch.contains("attestationMechanism")) {
    mechanism = patch["attestationMechanism"];
  } else if (mechanism.is_object() && mechanism.contains("x509")) {
    // GET adds the hash beside the certificate; sending both is refused as ambiguous.
    mechanism.erase("publicKeySha256");
  }
  for (const auto& [key, value] : patch.items()) {
    if (key != "attestationMechanism") stored[key] = value;
  }
  return stored;
}

}  // namespace dps::dpsctl
