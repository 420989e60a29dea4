#include "device/software_tpm.hpp"

#include <nlohmann/json.hpp>

#include "device/csr.hpp"
#include "pki/pem.hpp"
#include "tpm/attest.hpp"
#include "tpm/challenge_binding.hpp"
#include "tpm/constants.hpp"
#include "tpm/credential.hpp"
#include "tpm/signature.hpp"
#include "tpm/software_keys.hpp"

namespace dps::device {
namespace {

using nlohmann::json;

tpm::PkeyPtr generate(SoftwareTpm::EkKind kind) {
  return tpm::PkeyPtr(kind == SoftwareTpm::EkKind::Rsa2048
                          ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048})
                          : EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
}

// A key TPM2_Create makes for signing handshakes: never leaves the TPM, not restricted (a
// restricted key signs only what the TPM itself produced).
constexpr std::uint32_t kIdentityKeyAttributes = tpm::kAttrFixedTpm | tpm::kAttrFixedParent |
                                                 tpm::kAttrSensitiveDataOrigin |
                                                 tpm::kAttrUserWithAuth | tpm::kAttrSign;

Result<tpm::Bytes> binary(const json& body, const char* name) {
  const auto it = body.find(name);
  if (it == body.end() || !it->is_binary()) {
    return fail(ErrorCode::BadRequest, std::string("TPM challenge answer: no byte string ") + name);
  }
  return tpm::Bytes(it->get_binary().begin(), it->get_binary().end());
}

}  // namespace

Result<SoftwareTpm> SoftwareTpm::create(EkKind kind) {
  SoftwareTpm tpm;
  tpm.ek_ = generate(kind);
  tpm.ak_ = generate(EkKind::P256);
  if (!tpm.ek_ || !tpm.ak_) return fail(ErrorCode::Internal, "software TPM: key generation failed");
  auto ek = tpm::make_ek_public(tpm.ek_.get());
  if (!ek) return tl::unexpected(ek.error());
  auto ak = tpm::make_ak_public(tpm.ak_.get());
  if (!ak) return tl::unexpected(ak.error());
  tpm.ek_public_ = std::move(*ek);
  tpm.ak_public_ = std::move(*ak);
  return tpm;
}

tpm::Bytes SoftwareTpm::endorsement_key_tpm2b() const {
  return tpm::wrap_tpm2b_public(ek_public_.bytes);
}

json SoftwareTpm::challenge_request() const {
  json body{{"ek", json::binary(endorsement_key_tpm2b())},
            {"ak", json::binary(tpm::wrap_tpm2b_public(ak_public_.bytes))}};
  if (!ek_certificate_.empty()) body["ekCertificate"] = json::binary(ek_certificate_);
  return body;
}

Result<SoftwareTpm::Activation> SoftwareTpm::answer(const json& credential,
                                                    std::string_view device_id) const {
  auto blob = binary(credential, "credentialBlob");
  if (!blob) return tl::unexpected(blob.error());
  auto seed = binary(credential, "encryptedSecret");
  if (!seed) return tl::unexpected(seed.error());
  auto secret = tpm::activate_credential(ek_.get(), ek_public_, ak_public_.name(), *blob, *seed);
  if (!secret) return tl::unexpected(secret.error());

  auto csr = make_device_csr(device_id);
  if (!csr) return tl::unexpected(csr.error());
  auto key = pki::parse_private_key_pem(csr->private_key_pem);
  if (!key) return tl::unexpected(key.error());
  auto key_public = tpm::make_ak_public(key->get(), kIdentityKeyAttributes);
  if (!key_public) return tl::unexpected(key_public.error());
  auto certified =
      tpm::certify_in_software(ak_.get(), ak_public_, *key_public, tpm::certify_nonce(*secret));
  if (!certified) return tl::unexpected(certified.error());

  Activation out;
  out.body = json{{"key", json::binary(tpm::wrap_tpm2b_public(key_public->bytes))},
                  {"certifyInfo", json::binary(certified->attest)},
                  {"signature", json::binary(certified->signature)},
                  {"csr", csr->csr_pem},
                  {"proof", json::binary(tpm::activation_proof(*secret, csr->csr_pem))}};
  out.private_key_pem = std::move(csr->private_key_pem);
  out.csr_pem = std::move(csr->csr_pem);
  return out;
}

}  // namespace dps::device
