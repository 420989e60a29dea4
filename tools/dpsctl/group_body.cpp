#include "group_body.hpp"

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

}  // namespace

void add_group_options(CLI::App& verb, GroupOptions& options, bool create) {
  auto* name = verb.add_option("--name", options.name, "Display name");
  auto* chain = verb.add_option("--chain", options.chain_file,
                                "PEM file with the manufacturer's chain (intermediates and a "
                                "self-signed root), sent inline");
  auto* hub = verb.add_option("--hub", options.hub_ids,
                              "Hub id (hubId of a hub) devices of the group are sent to; repeat "
                              "for fallbacks, in priority order" +
                                  std::string(create ? "" : " (replaces the list)"))
                  ->allow_extra_args(false);
  verb.add_option("--lead-certificate-name", options.lead_certificate_name,
                  "CN of the chain certificate devices must chain to (default: the CN of the "
                  "first certificate; on update the stored one is kept)");
  verb.add_option("--psk-file", options.psk_file,
                  "File whose bytes (at least 16; the first 16 are used) are the devices' "
                  "pre-shared key, sent as data:;base64,...");
  verb.add_flag("--expired-certificates-allowed", options.expired_certificates_allowed,
                "Admit devices whose certificates have expired");
  auto* disabled = verb.add_flag("--disabled", options.disabled,
                                 "Disable the group: its devices are refused at the handshake");
  verb.add_option("--revoked", options.revoked,
                  "Revoked device certificate: serial number or SPKI SHA-256 (hex); repeat" +
                      std::string(create ? "" : " (replaces the list)"))
      ->allow_extra_args(false);
  verb.add_option("--crl-file", options.crl_file, "PEM file with CRLs, sent inline");
  add_template_reference_options(verb, options.template_id, options.no_template, create);
  if (create) {
    name->required();
    chain->required();
    hub->required();
  } else {
    verb.add_flag("--enabled", options.enabled, "Enable a disabled group")->excludes(disabled);
  }
}

json group_patch(const GroupOptions& options) {
  json patch = json::object();
  if (!options.name.empty()) patch["name"] = options.name;
  json x509 = json::object();
  if (!options.chain_file.empty()) {
    x509["certificateChain"] = read_pem_file(options.chain_file, "--chain");
  }
  if (!options.lead_certificate_name.empty()) {
    x509["leadCertificateName"] = options.lead_certificate_name;
  }
  if (options.expired_certificates_allowed) x509["expiredCertificateEnabled"] = true;
  if (!x509.empty()) patch["attestationMechanism"]["x509"] = std::move(x509);
  if (!options.hub_ids.empty()) patch["hubIds"] = options.hub_ids;
  if (!options.psk_file.empty()) {
    patch["preSharedKey"] = base64_data_uri(read_local_file(options.psk_file, "--psk-file"));
  }
  if (options.disabled) patch["disabled"] = true;
  if (options.enabled) patch["disabled"] = false;
  if (!options.revoked.empty()) patch["revokedCertificates"] = options.revoked;
  if (!options.crl_file.empty()) patch["crl"] = read_pem_file(options.crl_file, "--crl-file");
  template_reference(patch, options.template_id, options.no_template);
  return patch;
}

}  // namespace dps::dpsctl
