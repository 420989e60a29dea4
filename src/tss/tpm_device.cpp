#include "tss/tpm_device.hpp"

#include <openssl/x509.h>

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>
#include <tuple>

#include "common/openssl_deleter.hpp"
#include "tpm/challenge_binding.hpp"
#include "tss/nv.hpp"
#include "tss/objects.hpp"
#include "tss/tpm_csr.hpp"

namespace dps::tss {
namespace {

using nlohmann::json;

Result<tpm::Bytes> binary(const json& body, const char* name) {
  const auto it = body.find(name);
  if (it == body.end() || !it->is_binary()) {
    return fail(ErrorCode::BadRequest, std::string("TPM credential: no byte string ") + name);
  }
  return tpm::Bytes(it->get_binary().begin(), it->get_binary().end());
}

// TPM_RC_INTEGRITY from the TPM (format-1 code, any parameter number): the credential's HMAC does
// not match, i.e. it was not made for this EK and this AK's Name. Not a failure of the TPM.
bool is_integrity_failure(TSS2_RC rc) { return tpm_rc_is(rc, TPM2_RC_INTEGRITY); }

// TPM2_ActivateCredential: the AK proves its Name (admin role, empty password), the EK decrypts
// the seed under its policy. The TPM checks the credential's integrity HMAC over the AK's Name
// before releasing anything.
Result<tpm::Bytes> activate_credential(ESYS_CONTEXT* esys, ESYS_TR ak, ESYS_TR ek,
                                       const TPM2B_ID_OBJECT& blob,
                                       const TPM2B_ENCRYPTED_SECRET& seed) {
  auto session = endorsement_policy_session(esys);
  if (!session) return tl::unexpected(session.error());
  TPM2B_DIGEST* raw = nullptr;
  if (const TSS2_RC rc = Esys_ActivateCredential(esys, ak, ek, ESYS_TR_PASSWORD, session->get(),
                                                 ESYS_TR_NONE, &blob, &seed, &raw);
      rc != TSS2_RC_SUCCESS) {
    auto error = tss_error("TPM2_ActivateCredential", rc);
    if (is_integrity_failure(rc)) error.value().code = ErrorCode::Forbidden;
    return error;
  }
  const EsysPtr<TPM2B_DIGEST> secret(raw);
  return tpm::Bytes(secret->buffer, secret->buffer + secret->size);
}

// The identity key, created under a storage primary of the owner hierarchy and loaded; the
// primary is flushed once the key is loaded (the key's blob stays wrapped by it).
Result<std::pair<Created, Transient>> create_identity_key(ESYS_CONTEXT* esys) {
  auto srk = create_primary(esys, ESYS_TR_RH_OWNER, storage_key_template());
  if (!srk) return tl::unexpected(srk.error());
  auto key = create(esys, srk->handle.get(), ESYS_TR_PASSWORD, identity_key_template());
  if (!key) return tl::unexpected(key.error());
  auto loaded = load(esys, srk->handle.get(), ESYS_TR_PASSWORD, *key);
  if (!loaded) return tl::unexpected(loaded.error());
  return std::pair<Created, Transient>(std::move(*key), std::move(*loaded));
}

struct Certification {
  tpm::Bytes attest;     // TPMS_ATTEST
  tpm::Bytes signature;  // TPMT_SIGNATURE
};
// TPM2_Certify of `key` by `ak` over `nonce`, in the AK's own scheme (ECDSA-SHA256).
Result<Certification> certify(ESYS_CONTEXT* esys, ESYS_TR key, ESYS_TR ak,
                              const tpm::Bytes& nonce) {
  TPM2B_DATA qualifying{};
  if (nonce.size() > sizeof(qualifying.buffer)) {
    return fail(ErrorCode::Internal, "TPM2_Certify: nonce too long");
  }
  qualifying.size = static_cast<UINT16>(nonce.size());
  std::copy(nonce.begin(), nonce.end(), qualifying.buffer);
  TPMT_SIG_SCHEME scheme{};
  scheme.scheme = TPM2_ALG_NULL;
  TPM2B_ATTEST* raw_attest = nullptr;
  TPMT_SIGNATURE* raw_signature = nullptr;
  const TSS2_RC rc = Esys_Certify(esys, key, ak, ESYS_TR_PASSWORD, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                                  &qualifying, &scheme, &raw_attest, &raw_signature);
  const EsysPtr<TPM2B_ATTEST> attest(raw_attest);
  const EsysPtr<TPMT_SIGNATURE> signature(raw_signature);
  if (rc != TSS2_RC_SUCCESS) return tss_error("TPM2_Certify", rc);
  return Certification{
      .attest = tpm::Bytes(attest->attestationData, attest->attestationData + attest->size),
      .signature = marshal(*signature)};
}

// The one X.509 certificate at the start of an NV index's content, without what follows it (an
// index may be larger than the certificate it holds).
Result<tpm::Bytes> certificate_at_start(const tpm::Bytes& content) {
  const unsigned char* at = content.data();
  const std::unique_ptr<X509, OpenSslDeleter<X509_free>> cert(
      d2i_X509(nullptr, &at, static_cast<long>(content.size())));
  if (!cert) return fail(ErrorCode::BadRequest, "not an X.509 certificate (DER)");
  return tpm::Bytes(content.data(), at);
}

// The certificate of the EK of `kind` in the TPM's NV, or the reason it could not be had.
std::pair<tpm::Bytes, std::string> read_ek_certificate(ESYS_CONTEXT* esys, EkKind kind) {
  const TPM2_HANDLE index = ek_certificate_nv_index(kind);
  auto content = read_nv_index(esys, index);
  if (!content) return {{}, content.error().internal};
  if (!*content) return {};
  auto certificate = certificate_at_start(**content);
  if (!certificate) {
    return {{}, "NV index " + handle_text(index) + ": " + certificate.error().internal};
  }
  return {std::move(*certificate), {}};
}

}  // namespace

Result<TpmDevice> TpmDevice::open(const std::string& tcti, EkKind kind) {
  auto context = EsysContext::open(tcti);
  if (!context) return tl::unexpected(context.error());
  TpmDevice device(std::move(*context));
  ESYS_CONTEXT* esys = device.context_.get();
  auto ek = create_primary(esys, ESYS_TR_RH_ENDORSEMENT, ek_template(kind));
  if (!ek) return tl::unexpected(ek.error());
  device.ek_ = std::move(ek->handle);
  device.ek_tpm2b_ = marshal(ek->public_area);
  // The AK is a child of the EK, as tpm2_createak makes it: using the EK as a parent takes its
  // policy.
  auto session = endorsement_policy_session(esys);
  if (!session) return tl::unexpected(session.error());
  auto ak = create(esys, device.ek_.get(), session->get(), ak_template());
  if (!ak) return tl::unexpected(ak.error());
  device.ak_public_ = ak->public_area;
  device.ak_private_ = ak->private_area;
  device.ak_tpm2b_ = marshal(ak->public_area);
  std::tie(device.ek_certificate_, device.ek_certificate_problem_) =
      read_ek_certificate(esys, kind);
  return device;
}

Result<Transient> TpmDevice::load_attestation_key() const {
  auto session = endorsement_policy_session(context_.get());
  if (!session) return tl::unexpected(session.error());
  return load(context_.get(), ek_.get(), session->get(),
              Created{.public_area = ak_public_, .private_area = ak_private_});
}

json TpmDevice::challenge_request() const {
  json body{{"ek", json::binary(ek_tpm2b_)}, {"ak", json::binary(ak_tpm2b_)}};
  if (!ek_certificate_.empty()) body["ekCertificate"] = json::binary(ek_certificate_);
  return body;
}

Result<TpmDevice::Activation> TpmDevice::answer(const json& credential,
                                                std::string_view device_id) const {
  ESYS_CONTEXT* esys = context_.get();
  auto blob_bytes = binary(credential, "credentialBlob");
  if (!blob_bytes) return tl::unexpected(blob_bytes.error());
  auto seed_bytes = binary(credential, "encryptedSecret");
  if (!seed_bytes) return tl::unexpected(seed_bytes.error());
  auto blob = unmarshal_id_object(*blob_bytes, "credentialBlob");
  if (!blob) return tl::unexpected(blob.error());
  auto seed = unmarshal_encrypted_secret(*seed_bytes, "encryptedSecret");
  if (!seed) return tl::unexpected(seed.error());

  tpm::Bytes secret;
  {
    auto ak = load_attestation_key();
    if (!ak) return tl::unexpected(ak.error());
    auto recovered = activate_credential(esys, ak->get(), ek_.get(), *blob, *seed);
    if (!recovered) return tl::unexpected(recovered.error());
    secret = std::move(*recovered);
  }  // the AK's slot is needed for the storage primary

  auto key = create_identity_key(esys);
  if (!key) return tl::unexpected(key.error());
  const Transient& key_handle = key->second;
  auto ak = load_attestation_key();
  if (!ak) return tl::unexpected(ak.error());
  auto certified = certify(esys, key_handle.get(), ak->get(), tpm::certify_nonce(secret));
  if (!certified) return tl::unexpected(certified.error());
  auto csr =
      make_tpm_csr(esys, key_handle.get(), key->first.public_area.publicArea.unique.ecc, device_id);
  if (!csr) return tl::unexpected(csr.error());

  Activation out;
  out.key_public = marshal(key->first.public_area);
  out.key_private = marshal(key->first.private_area);
  out.body = json{{"key", json::binary(out.key_public)},
                  {"certifyInfo", json::binary(certified->attest)},
                  {"signature", json::binary(certified->signature)},
                  {"csr", *csr},
                  {"proof", json::binary(tpm::activation_proof(secret, *csr))}};
  out.csr_pem = std::move(*csr);
  return out;
}

}  // namespace dps::tss
