// TPM attestation (docs/device-protocol.md §5, a dps extension): how a device without a
// manufacturer certificate proves, with its TPM, that it is the device an enrollment names, and
// that the key of its certificate signing request lives in that TPM. Transport-free: the session
// keeps one Challenge and feeds the device's two requests through these functions.
//
//   1. challenge: the device sends its endorsement key (EK) and an attestation key (AK). dps
//      checks both and answers a credential (TPM2_MakeCredential for the AK's Name under the EK)
//      wrapping a fresh secret, which only that TPM can recover, and only while it holds the AK.
//   2. activation: the device recovers the secret (TPM2_ActivateCredential), creates its
//      identity key in the TPM, has the AK certify it (TPM2_Certify over a nonce derived from the
//      secret) and sends the certification, the key, a CSR signed by it and a proof of the secret
//      bound to that CSR. dps checks all of it; the CSR is then issued as any other.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>  // IssuedChallenge holds a json by value
#include <string>

#include "common/result.hpp"
#include "tpm/marshal.hpp"
#include "tpm/public_area.hpp"

namespace dps::provisioning::tpm_attestation {

/// How long a challenge may be answered: a TPM's ActivateCredential, key creation and Certify take
/// a few seconds on a slow TPM; the secret is worth nothing after this.
inline constexpr std::chrono::seconds kChallengeLifetime{60};
/// Bytes of the secret the credential carries (the digest size of SHA-256, the EK's nameAlg).
inline constexpr size_t kSecretBytes = 32;

/// The device's first request: CBOR {"ek": bstr, "ak": bstr, "ekCertificate": bstr (optional)}.
struct ChallengeRequest {
  tpm::Bytes endorsement_key;  // TPM2B_PUBLIC
  tpm::Bytes ek_certificate;   // DER; empty when the device has none
  tpm::Bytes attestation_key;  // TPM2B_PUBLIC
};

/// Reads the challenge request; BadRequest naming the field (missing, not a byte string, larger
/// than a TPM structure can be, unknown member).
[[nodiscard]] Result<ChallengeRequest> read_challenge_request(const nlohmann::json& body);

/// The EK and AK of a challenge request, checked: the EK has an EK's attributes, the AK is a
/// restricted signing key that never leaves its TPM. `ek_sha256` is what enrollments index.
struct CheckedKeys {
  tpm::PublicArea endorsement_key;
  tpm::PublicArea attestation_key;
  std::string ek_sha256;
};
/// BadRequest for malformed structures, Forbidden naming the attribute for unfit keys.
[[nodiscard]] Result<CheckedKeys> check_keys(const ChallengeRequest& request);

/// A challenge outstanding on one session; nothing of it leaves the session but the credential.
struct Challenge {
  CheckedKeys keys;
  tpm::Bytes secret;
  std::chrono::steady_clock::time_point expires;
  bool answered = false;  // an activation, good or bad, used it up
};

/// The challenge and the credential to send: CBOR {"credentialBlob": bstr, "encryptedSecret":
/// bstr} (encode_credential), each a marshalled TPM2B as TPM2_ActivateCredential takes it.
struct IssuedChallenge {
  Challenge challenge;
  nlohmann::json response;
};
[[nodiscard]] Result<IssuedChallenge> issue_challenge(CheckedKeys keys,
                                                      std::chrono::steady_clock::time_point now);

/// The device's second request: CBOR {"key": bstr TPM2B_PUBLIC, "certifyInfo": bstr TPMS_ATTEST,
/// "signature": bstr TPMT_SIGNATURE, "csr": text PEM, "proof": bstr}.
struct ActivationRequest {
  tpm::Bytes key;
  tpm::Bytes certify_info;
  tpm::Bytes signature;
  std::string csr_pem;
  tpm::Bytes proof;
};
[[nodiscard]] Result<ActivationRequest> read_activation_request(const nlohmann::json& body);

/// Checks an activation against the session's challenge, in this order: a challenge is
/// outstanding and unanswered (then it is used up, whatever follows), not expired; the proof
/// (tpm::activation_proof); the
/// certification (type certify, signed by the challenge's AK, over tpm::certify_nonce, naming
/// `key`);
/// `key` is a P-256 signing key of that TPM (fixedTPM, fixedParent, sensitiveDataOrigin, sign,
/// not restricted, not decrypt); the CSR's key is `key`. Forbidden (or BadRequest for malformed
/// input) saying which; the message may go to the device.
/// @return the lowercase hex SHA-256 of the certified key's SPKI, which the CSR carries.
[[nodiscard]] Result<std::string> check_activation(Challenge* challenge,
                                                   const ActivationRequest& request,
                                                   std::chrono::steady_clock::time_point now);

}  // namespace dps::provisioning::tpm_attestation
