#include "provisioning/tpm_attestation.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "pki/csr.hpp"
#include "tpm/attest.hpp"
#include "tpm/challenge_binding.hpp"
#include "tpm/constants.hpp"
#include "tpm/credential.hpp"
#include "tpm/endorsement_key.hpp"
#include "tpm/public_key.hpp"
#include "tpm/signature.hpp"

namespace dps::provisioning::tpm_attestation {
namespace {

using nlohmann::json;

// Bounds on what a device sends, each above what a TPM makes: a TPM2B_PUBLIC of an RSA 2048 key
// is about 320 bytes, a TPMS_ATTEST of a certify under 200, a TPMT_SIGNATURE of RSA 2048 262; an
// EK certificate a few hundred to 1,500; a P-256 CSR in PEM under 600.
constexpr size_t kMaxPublicArea = 1024;
constexpr size_t kMaxEkCertificate = 4096;
constexpr size_t kMaxAttest = 1024;
constexpr size_t kMaxSignature = 1024;
constexpr size_t kMaxCsr = 4096;

// Members of `body` other than `known` are refused: a misspelt optional member would otherwise
// pass unnoticed.
Result<void> only_members(const json& body, std::initializer_list<std::string_view> known) {
  if (!body.is_object()) return fail(ErrorCode::BadRequest, "body: not a map");
  for (const auto& [name, value] : body.items()) {
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      return fail(ErrorCode::BadRequest, "unknown member \"" + name.substr(0, 32) + "\"");
    }
  }
  return {};
}

// The byte string `name` of `body`: required unless `optional`, at most `max` bytes.
Result<tpm::Bytes> bytes_member(const json& body, const std::string& name, size_t max,
                                bool optional = false) {
  const auto it = body.find(name);
  if (it == body.end()) {
    if (optional) return tpm::Bytes{};
    return fail(ErrorCode::BadRequest, name + ": required");
  }
  if (!it->is_binary()) return fail(ErrorCode::BadRequest, name + ": not a byte string");
  const auto& bytes = it->get_binary();
  if (bytes.empty()) return fail(ErrorCode::BadRequest, name + ": empty");
  if (bytes.size() > max) {
    return fail(ErrorCode::BadRequest, name + ": " + std::to_string(bytes.size()) +
                                           " bytes, at most " + std::to_string(max));
  }
  return tpm::Bytes(bytes.begin(), bytes.end());
}

tl::unexpected<Error> refused(const std::string& why) { return fail(ErrorCode::Forbidden, why); }

// The identity key a device certifies: a P-256 signing key (the key OCF identity certificates
// carry) created in its TPM and never leaving it. Not restricted: it signs TLS handshakes.
Result<void> check_identity_key(const tpm::PublicArea& key) {
  if (key.type != tpm::kAlgEcc || key.ecc_curve != tpm::kEccNistP256) {
    return refused("key: not an ECC NIST P-256 key");
  }
  if (!key.fixed_tpm()) return refused("key: fixedTPM is not set");
  if (!key.fixed_parent()) return refused("key: fixedParent is not set");
  if (!key.sensitive_data_origin()) return refused("key: sensitiveDataOrigin is not set");
  if (!key.sign()) return refused("key: sign is not set");
  if (key.restricted()) return refused("key: restricted is set (it must sign handshakes)");
  if (key.decrypt()) return refused("key: decrypt is set");
  return {};
}

bool same_bytes(tpm::ByteView a, tpm::ByteView b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

Result<ChallengeRequest> read_challenge_request(const json& body) {
  if (auto members = only_members(body, {"ek", "ak", "ekCertificate"}); !members) {
    return tl::unexpected(members.error());
  }
  ChallengeRequest request;
  auto ek = bytes_member(body, "ek", kMaxPublicArea);
  if (!ek) return tl::unexpected(ek.error());
  auto ak = bytes_member(body, "ak", kMaxPublicArea);
  if (!ak) return tl::unexpected(ak.error());
  auto certificate = bytes_member(body, "ekCertificate", kMaxEkCertificate, /*optional=*/true);
  if (!certificate) return tl::unexpected(certificate.error());
  request.endorsement_key = std::move(*ek);
  request.attestation_key = std::move(*ak);
  request.ek_certificate = std::move(*certificate);
  return request;
}

Result<CheckedKeys> check_keys(const ChallengeRequest& request) {
  auto ek = tpm::parse_tpm2b_public(request.endorsement_key);
  if (!ek) return fail(ErrorCode::BadRequest, "ek: " + ek.error().internal);
  if (auto fit = tpm::check_endorsement_key(*ek); !fit) return tl::unexpected(fit.error());
  auto ak = tpm::parse_tpm2b_public(request.attestation_key);
  if (!ak) return fail(ErrorCode::BadRequest, "ak: " + ak.error().internal);
  if (auto fit = tpm::check_attestation_key(*ak); !fit) return tl::unexpected(fit.error());
  auto hash = tpm::key_hash(*ek);
  if (!hash) return tl::unexpected(hash.error());
  return CheckedKeys{std::move(*ek), std::move(*ak), std::move(*hash)};
}

Result<IssuedChallenge> issue_challenge(CheckedKeys keys,
                                        std::chrono::steady_clock::time_point now) {
  tpm::Bytes secret(kSecretBytes);
  if (RAND_bytes(secret.data(), static_cast<int>(secret.size())) != 1) {
    return fail(ErrorCode::Internal, "RAND_bytes failed for a TPM challenge");
  }
  auto made = tpm::make_credential(keys.endorsement_key, keys.attestation_key.name(), secret);
  if (!made) return tl::unexpected(made.error());
  IssuedChallenge issued;
  issued.response = json{{"credentialBlob", json::binary(std::move(made->id_object))},
                         {"encryptedSecret", json::binary(std::move(made->encrypted_secret))}};
  issued.challenge = Challenge{std::move(keys), std::move(secret), now + kChallengeLifetime, false};
  return issued;
}

Result<ActivationRequest> read_activation_request(const json& body) {
  if (auto members = only_members(body, {"key", "certifyInfo", "signature", "csr", "proof"});
      !members) {
    return tl::unexpected(members.error());
  }
  ActivationRequest request;
  auto key = bytes_member(body, "key", kMaxPublicArea);
  if (!key) return tl::unexpected(key.error());
  auto attest = bytes_member(body, "certifyInfo", kMaxAttest);
  if (!attest) return tl::unexpected(attest.error());
  auto signature = bytes_member(body, "signature", kMaxSignature);
  if (!signature) return tl::unexpected(signature.error());
  auto proof = bytes_member(body, "proof", kSecretBytes);
  if (!proof) return tl::unexpected(proof.error());
  const auto csr = body.find("csr");
  if (csr == body.end() || !csr->is_string()) {
    return fail(ErrorCode::BadRequest, "csr: required, a text string (PEM)");
  }
  if (csr->get_ref<const std::string&>().size() > kMaxCsr) {
    return fail(ErrorCode::BadRequest, "csr: larger than " + std::to_string(kMaxCsr) + " bytes");
  }
  request.key = std::move(*key);
  request.certify_info = std::move(*attest);
  request.signature = std::move(*signature);
  request.proof = std::move(*proof);
  request.csr_pem = csr->get<std::string>();
  return request;
}

Result<std::string> check_activation(Challenge* challenge, const ActivationRequest& request,
                                     std::chrono::steady_clock::time_point now) {
  if (challenge == nullptr || challenge->answered) {
    return refused("no TPM challenge outstanding on this session (each is answered once)");
  }
  challenge->answered = true;  // a wrong answer does not get another try
  if (now > challenge->expires) return refused("TPM challenge expired: ask for a new one");
  if (!same_bytes(request.proof, tpm::activation_proof(challenge->secret, request.csr_pem))) {
    return refused("proof: not made with this challenge's secret over this CSR");
  }

  auto key = tpm::parse_tpm2b_public(request.key);
  if (!key) return fail(ErrorCode::BadRequest, "key: " + key.error().internal);
  auto attest = tpm::parse_attest(request.certify_info);
  if (!attest) return fail(ErrorCode::BadRequest, "certifyInfo: " + attest.error().internal);
  auto signature = tpm::parse_signature(request.signature);
  if (!signature) return fail(ErrorCode::BadRequest, "signature: " + signature.error().internal);
  auto ak = tpm::to_evp_pkey(challenge->keys.attestation_key);
  if (!ak) return tl::unexpected(ak.error());
  if (auto verified = tpm::verify_signature(ak->get(), request.certify_info, *signature);
      !verified) {
    return refused("certifyInfo: not signed by the attestation key of the challenge");
  }
  if (!same_bytes(attest->extra_data, tpm::certify_nonce(challenge->secret))) {
    return refused("certifyInfo: certifies over another nonce than this challenge's");
  }
  if (!same_bytes(attest->certified_name, key->name())) {
    return refused("certifyInfo: certifies another key than the one sent");
  }
  if (auto fit = check_identity_key(*key); !fit) return tl::unexpected(fit.error());

  auto csr = pki::validate_csr(request.csr_pem, std::nullopt);
  if (!csr) return fail(ErrorCode::BadRequest, "csr: " + csr.error().internal);
  auto csr_key = tpm::spki_sha256_hex(X509_REQ_get0_pubkey(csr->request.get()));
  auto certified = tpm::key_hash(*key);
  if (!csr_key) return tl::unexpected(csr_key.error());
  if (!certified) return tl::unexpected(certified.error());
  if (*csr_key != *certified) return refused("csr: signed by another key than the certified one");
  return std::move(*certified);
}

}  // namespace dps::provisioning::tpm_attestation
