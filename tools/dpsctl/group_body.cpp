#include "group_body.hpp"

#include <CLI/CLI.hpp>

#include "exit_codes.hpp"
#include "local_file.hpp"
#include "template_body.hpp"

namespace dps::dpsctl {
namespace {

using nlohmann::json;

// The API takes chains and CRLs as PEM text (or data: URIs); DER would only come back as the
// server's less specific "not PEM" complaint, so it is caught here with the option's name.
std::string read_pem_file(const std::string& path, const char* option) {
  std::string pem = read_local_file(path, option);
  if (pem.find("-----BEGIN ") == std::string::npos) {
    throw CliError(ExitCode::Usage,
                   std::string(option) + ": \"" + path + "\" is not PEM (-----BEGIN ... missing)");
  }
  return pem;
}

// An empty file name reads as "nothing to send", which an update would silently take as "keep
// the stored value": refused, naming the flag that does remove it.
CLI::Validator not_empty(const std::string& remover) {
  return CLI::Validator(
      [remover](std::string& value) {
        return value.empty() ? "an empty file name; to remove the stored value use " + remover
                             : std::string();
      },
      "FILE");
}

}  // namespace

void add_group_options(CLI::App& verb, GroupOptions& options, bool create) {
  auto* name = verb.add_option("--name", options.name, "Display name");
  auto* chain = verb.add_option("--chain", options.chain_file,
                                "PEM file with the manufacturer's chain (intermediates and a "
                                "self-signed root), sent inline" +
                                    std::string(create ? "; this or --tpm-ca is required" : ""));
  auto* tpm_ca = verb.add_option("--tpm-ca", options.tpm_ca_file,
                                 "Instead of --chain, a TPM group: PEM file with the TPM vendor's "
                                 "CA that issues the TPMs' EK certificates, then its issuers up "
                                 "to a self-signed root, sent inline. Its TPMs attest with their "
                                 "EK (device-protocol §5), never with a client certificate")
                     ->excludes(chain);
  auto* hub = verb.add_option("--hub", options.hub_ids,
                              "Hub id (hubId of a hub) devices of the group are sent to; repeat "
                              "for fallbacks, in priority order" +
                                  std::string(create ? "" : " (replaces the list)"))
                  ->allow_extra_args(false);
  verb.add_option("--lead-certificate-name", options.lead_certificate_name,
                  "CN of the chain certificate devices must chain to (default: the CN of the "
                  "first certificate; on update the stored one is kept). Not for TPM groups, "
                  "whose lead is their first certificate")
      ->excludes(tpm_ca);
  auto* psk = verb.add_option("--psk-file", options.psk_file,
                              "File whose bytes (at least 16; the first 16 are used) are the "
                              "devices' pre-shared key, sent as data:;base64,...")
                  ->check(not_empty("--no-psk"));
  verb.add_flag_function(
          "--expired-certificates-allowed",
          [&options](std::int64_t count) { options.expired_certificates_allowed = count > 0; },
          "Admit devices whose certificates (a TPM group: EK certificates and vendor CAs) have "
          "expired; =false turns it off again "
          "(--expired-certificates-allowed=true|false)")
      ->check(CLI::IsMember({"true", "false"}))
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  verb.add_flag("--allow-overlap", options.allow_overlap,
                "Create (or re-point) the group although its CA is nested in, or contains, the CA "
                "of another of your groups: devices under the inner CA then belong to the more "
                "specific group, and disabling one group leaves the other admitting them");
  auto* disabled = verb.add_flag("--disabled", options.disabled,
                                 "Disable the group: its devices are refused at the handshake");
  auto* revoked =
      verb.add_option("--revoked", options.revoked,
                      "Revoked device certificate: serial number or SPKI SHA-256 (hex); repeat" +
                          std::string(create ? "" : " (replaces the list)"))
          ->allow_extra_args(false);
  auto* crl = verb.add_option("--crl-file", options.crl_file, "PEM file with CRLs, sent inline")
                  ->check(not_empty("--no-crl"));
  add_template_reference_options(verb, options.template_id, options.no_template, create);
  if (create) {
    name->required();
    hub->required();
  } else {
    verb.add_flag("--enabled", options.enabled, "Enable a disabled group")->excludes(disabled);
    verb.add_flag("--clear-revoked", options.clear_revoked,
                  "Empty the list of revoked certificates")
        ->excludes(revoked);
    verb.add_flag("--no-crl", options.no_crl, "Remove the CRL")->excludes(crl);
    verb.add_flag("--no-psk", options.no_psk, "Remove the pre-shared key")->excludes(psk);
  }
}

bool needs_stored_kind(const GroupOptions& options) {
  return options.expired_certificates_allowed && options.chain_file.empty() &&
         options.tpm_ca_file.empty();
}

bool is_tpm_group(const json& group) {
  const auto mechanism = group.find("attestationMechanism");
  return mechanism != group.end() && mechanism->is_object() && mechanism->contains("tpm");
}

json group_patch(const GroupOptions& options, bool create, bool tpm_group) {
  if (create && options.chain_file.empty() && options.tpm_ca_file.empty()) {
    throw CliError(ExitCode::Usage,
                   "--chain (devices with manufacturer certificates) or --tpm-ca (TPM devices) "
                   "is required");
  }
  json patch = json::object();
  if (!options.name.empty()) patch["name"] = options.name;
  const bool tpm = !options.tpm_ca_file.empty() || (options.chain_file.empty() && tpm_group);
  json mechanism = json::object();
  if (!options.chain_file.empty()) {
    mechanism["certificateChain"] = read_pem_file(options.chain_file, "--chain");
  }
  if (!options.tpm_ca_file.empty()) {
    mechanism["vendorCertificateChain"] = read_pem_file(options.tpm_ca_file, "--tpm-ca");
  }
  if (!options.lead_certificate_name.empty()) {
    mechanism["leadCertificateName"] = options.lead_certificate_name;
  }
  if (options.expired_certificates_allowed) {
    mechanism["expiredCertificateEnabled"] = *options.expired_certificates_allowed;
  }
  if (!mechanism.empty()) {
    patch["attestationMechanism"][tpm ? "tpm" : "x509"] = std::move(mechanism);
  }
  // A new chain of one kind replaces the stored group's other kind (null removes it in the merge;
  // the API reads null as absent, so create bodies may carry it too).
  if (!options.chain_file.empty()) patch["attestationMechanism"]["tpm"] = nullptr;
  if (!options.tpm_ca_file.empty()) patch["attestationMechanism"]["x509"] = nullptr;
  if (!options.hub_ids.empty()) patch["hubIds"] = options.hub_ids;
  if (!options.psk_file.empty()) {
    patch["preSharedKey"] = base64_data_uri(read_local_file(options.psk_file, "--psk-file"));
  }
  // "" rather than leaving the member out: the API's PUT keeps a stored PSK or CRL that the body
  // does not name (plgd's clients send partial groups), and takes "" as "none".
  if (options.no_psk) patch["preSharedKey"] = "";
  if (options.allow_overlap) patch["allowOverlap"] = true;
  if (options.disabled) patch["disabled"] = true;
  if (options.enabled) patch["disabled"] = false;
  if (!options.revoked.empty()) patch["revokedCertificates"] = options.revoked;
  if (options.clear_revoked) patch["revokedCertificates"] = json::array();
  if (!options.crl_file.empty()) patch["crl"] = read_pem_file(options.crl_file, "--crl-file");
  if (options.no_crl) patch["crl"] = "";
  template_reference(patch, options.template_id, options.no_template);
  return patch;
}

}  // namespace dps::dpsctl
