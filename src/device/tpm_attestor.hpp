// What the device's TPM flow (Provisioner::run_tpm, docs/device-protocol.md §5) needs of a TPM,
// whichever it is: device::SoftwareTpm (tests, dps-bench --tpm) or tss::TpmDevice (a real TPM,
// dps-device --tpm, adapted in tools/dps-device so that src/device needs no libtss2).
#pragma once

#include <openssl/evp.h>

#include <memory>
#include <nlohmann/json.hpp>  // the TPM bodies are CBOR maps
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "device/software_tpm.hpp"
#include "tpm/marshal.hpp"

namespace dps::device {

/// A TPM's answer to dps's credential.
struct TpmAnswer {
  nlohmann::json
      body;  // the activation request {"key", "certifyInfo", "signature", "csr", "proof"}
  /// The identity key (PKCS#8 PEM) when it lives in software; empty when it stays in the TPM
  /// (then TpmAttestor::identity_key() presents it).
  std::string private_key_pem;
};

class TpmAttestor {
 public:
  virtual ~TpmAttestor() = default;

  /// The EK's TPM2B_PUBLIC: what an operator enrolls.
  virtual tpm::Bytes endorsement_key_tpm2b() const = 0;
  /// The challenge request {"ek", "ak"}.
  virtual nlohmann::json challenge_request() const = 0;
  /// ActivateCredential of `credential` ({"credentialBlob", "encryptedSecret"}), a new identity
  /// key certified by the AK, its CSR for `device_id`, the proof. Forbidden when the credential
  /// was not made for this TPM.
  [[nodiscard]] virtual Result<TpmAnswer> answer(const nlohmann::json& credential,
                                                 std::string_view device_id) = 0;
  /// Once the attestation session closed: the identity key of the last answer() for TLS when it
  /// stays in the TPM (an EC key whose signing runs in the TPM, held_key.hpp); nullptr when
  /// answer() gave its PEM.
  [[nodiscard]] virtual Result<std::shared_ptr<EVP_PKEY>> identity_key() { return nullptr; }
};

/// SoftwareTpm as a TpmAttestor.
class SoftwareTpmAttestor final : public TpmAttestor {
 public:
  explicit SoftwareTpmAttestor(SoftwareTpm tpm) : tpm_(std::move(tpm)) {}

  tpm::Bytes endorsement_key_tpm2b() const override { return tpm_.endorsement_key_tpm2b(); }
  nlohmann::json challenge_request() const override { return tpm_.challenge_request(); }
  Result<TpmAnswer> answer(const nlohmann::json& credential, std::string_view device_id) override;

 private:
  SoftwareTpm tpm_;
};

/// The device id a TPM device uses unless told otherwise: UUIDv5 of its EK's public key (as
/// ClientTls::default_device_id of a certificate's key), so that it keeps one id across
/// provisionings (as long as its TPM keeps its endorsement seed). Empty when `ek_tpm2b` is not a
/// TPM2B_PUBLIC.
std::string tpm_device_id(tpm::ByteView ek_tpm2b);

/// The device's record id at dps: UUIDv5 (X.500 name space) of its EK's SubjectPublicKeyInfo, as
/// a certificate device's is of its leaf's key. Empty when `ek_tpm2b` is not a TPM2B_PUBLIC.
std::string tpm_registration_id(tpm::ByteView ek_tpm2b);

/// The DER SubjectPublicKeyInfo of the identity key an activation body carries ("key", a
/// TPM2B_PUBLIC): what the issued certificate must certify.
[[nodiscard]] Result<std::string> activation_key_spki(const nlohmann::json& activation_body);

}  // namespace dps::device
