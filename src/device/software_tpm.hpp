// A TPM in software: the device side of dps's TPM attestation (docs/device-protocol.md §5) with
// OpenSSL keys where a device has TPM objects. For the tests and dps-bench's TPM-shaped mode, so
// dps's side can be exercised and measured without a TPM; `dps-device --tpm` uses a real one.
// Each step does what the TPM command of the same name does (ActivateCredential, Create,
// Certify), by the same rules, so dps cannot tell the difference from the bytes.
#pragma once

#include <nlohmann/json.hpp>  // Activation holds a json by value
#include <string>
#include <string_view>
#include <utility>

#include "common/result.hpp"
#include "tpm/marshal.hpp"
#include "tpm/ossl_ptr.hpp"
#include "tpm/public_area.hpp"

namespace dps::device {

class SoftwareTpm {
 public:
  enum class EkKind { Rsa2048, P256 };

  /// A TPM with a fresh EK of `kind` and a fresh P-256 attestation key (restricted signing key).
  [[nodiscard]] static Result<SoftwareTpm> create(EkKind kind);

  /// The EK's TPM2B_PUBLIC, as `tpm2_createek -u` writes it: what an operator enrolls.
  tpm::Bytes endorsement_key_tpm2b() const;

  /// The EK certificate (DER) the challenge request carries, as a TPM maker stores one in the
  /// TPM's NV for a TPM enrollment group; empty (the default) = none. Any bytes: a test may
  /// send a malformed or foreign one.
  void set_ek_certificate(tpm::Bytes der) { ek_certificate_ = std::move(der); }
  const tpm::Bytes& ek_certificate() const { return ek_certificate_; }

  /// The body of the challenge request: {"ek", "ak"} as TPM2B_PUBLIC byte strings, and
  /// "ekCertificate" when set.
  nlohmann::json challenge_request() const;

  /// What the device sends back for dps's credential (the challenge response body): the
  /// activation body, and the identity key (PKCS#8 PEM) whose CSR it carries, for `device_id`.
  struct Activation {
    nlohmann::json body;
    std::string private_key_pem;
    std::string csr_pem;
  };
  /// ActivateCredential with the EK over the AK's Name, a new P-256 identity key, Certify of it
  /// by the AK over tpm::certify_nonce, a CSR (CN=uuid:<device_id>) signed by it, and the proof.
  /// Forbidden when the credential was not made for this TPM and AK.
  [[nodiscard]] Result<Activation> answer(const nlohmann::json& credential,
                                          std::string_view device_id) const;

  const tpm::PublicArea& attestation_key() const { return ak_public_; }

 private:
  SoftwareTpm() = default;

  tpm::PkeyPtr ek_;
  tpm::PkeyPtr ak_;
  tpm::PublicArea ek_public_;
  tpm::PublicArea ak_public_;
  tpm::Bytes ek_certificate_;
};

}  // namespace dps::device
