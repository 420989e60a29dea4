// The proof of possession `groups create` and `groups update --chain` (or --tpm-ca) send
// (management-api.md "Proof of possession"): a certificate whose subject CN is a verification code
// dps issued, signed by the key of the group's lead certificate. With --proof-key, dpsctl gets the
// code and signs it itself; with --verification-code and --proof-certificate, the signing happened
// elsewhere (a key in an HSM), after `groups verification-code`.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "command_line.hpp"

namespace dps::dpsctl {

struct ProofOptions {
  std::string key_file;
  std::string code;
  std::string certificate_file;
};

/// Registers --proof-key, --verification-code and --proof-certificate on `verb`.
void add_proof_options(CLI::App& verb, ProofOptions& options);

/// A fresh verification code: POST /api/v1/enrollment-groups/verification-codes. The object
/// {"code", "expiresAt"}.
nlohmann::json request_verification_code(Session& session);

/// The body's `proofOfPossession`, or nullopt when no proof option was given.
/// @param chain_pem the group's chain (--chain or --tpm-ca): the key must belong to one of its
/// certificates.
/// @throws CliError(Usage) for an unreadable key or certificate, a key that is not the key of any
///         certificate of the chain, or a code without a certificate (and the reverse).
std::optional<nlohmann::json> possession_proof(Session& session, const ProofOptions& options,
                                               const std::string& chain_pem);

/// A certificate with subject CN=`code`, issued by `issuer_pem`'s subject and signed by
/// `key_pem`, valid from a minute ago for an hour. Throws CliError(Usage) when `key_pem` is not
/// the key of any certificate in `issuer_pem` (which may hold a whole chain).
std::string make_verification_certificate(const std::string& key_pem, const std::string& code,
                                          const std::string& issuer_pem);

}  // namespace dps::dpsctl
