// Enrollment-group options of `create` and `update`, and how they become the API's JSON body
// (api/enrollment_group_codec.cpp): attestationMechanism.x509.{certificateChain,
// leadCertificateName, expiredCertificateEnabled} or, for a TPM group,
// attestationMechanism.tpm.{vendorCertificateChain, expiredCertificateEnabled}, hubIds, name,
// preSharedKey, disabled,
// revokedCertificates, crl, templateId. Bodies never carry id or owner: POST refuses a body id and
// the owner is always the caller's.
#pragma once

#include <CLI/App.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace dps::dpsctl {

/// As given on the command line; empty, false or nullopt means "not given". Every setting an
/// update can make has a way back (the update-only flags below).
struct GroupOptions {
  std::string name;
  std::string chain_file;
  std::string tpm_ca_file;  // instead of chain_file: a TPM group's vendor CA chain
  std::vector<std::string> hub_ids;
  std::string lead_certificate_name;
  std::string psk_file;
  bool no_psk = false;  // update only: removes the pre-shared key
  std::optional<bool> expired_certificates_allowed;
  bool disabled = false;
  bool enabled = false;  // update only: clears disabled
  std::vector<std::string> revoked;
  bool clear_revoked = false;  // update only: empties the revoked list
  std::string crl_file;
  bool no_crl = false;  // update only: removes the CRL
  std::string template_id;
  bool no_template = false;    // update only: clears templateId
  bool allow_overlap = false;  // consent to a CA nested in (or around) another group's of yours
};

/// Registers the options on `verb`; for create, --name, --hub and one of --chain and --tpm-ca
/// are required (group_patch checks the last).
void add_group_options(CLI::App& verb, GroupOptions& options, bool create);

/// The fields that were given, as a JSON merge patch (RFC 7396) of a group: the body of create,
/// or what update merges into the stored group. Reads --chain, --tpm-ca, --psk-file and
/// --crl-file here: PEM goes inline, the PSK as "data:;base64,...". A new --chain or --tpm-ca
/// also removes the other kind (a group attests by one); --expired-certificates-allowed alone
/// goes to the kind the group has (`tpm_group`: the stored group is a TPM group). Throws
/// CliError(Usage) for an unreadable file, a chain/CRL file that is not PEM, or a create with
/// neither --chain nor --tpm-ca.
nlohmann::json group_patch(const GroupOptions& options, bool create, bool tpm_group = false);

/// True when --expired-certificates-allowed is given without --chain or --tpm-ca: group_patch
/// then needs to know whether the stored group is a TPM group.
bool needs_stored_kind(const GroupOptions& options);

/// Whether a group as the API returns it is a TPM group.
bool is_tpm_group(const nlohmann::json& group);

}  // namespace dps::dpsctl
