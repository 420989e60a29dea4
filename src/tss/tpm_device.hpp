// The device side of dps's TPM attestation (docs/device-protocol.md §5) with a real TPM 2.0,
// through the TPM2 Software Stack (tpm2-tss ESAPI): the EK and AK live in the TPM, the credential
// is recovered by TPM2_ActivateCredential, and the identity key is created in the TPM, certified
// by the AK (TPM2_Certify) and signs its CSR there (TPM2_Sign); no private key leaves the TPM.
// The bodies are those of device::SoftwareTpm, byte for byte in shape.
//
// Objects: the EK stays loaded while the TpmDevice lives (recreating an RSA EK takes seconds);
// the AK (a child of the EK, as tpm2_createak makes it) is loaded for each command that needs it;
// everything else is flushed as soon as it has served, so a TPM with 3 object slots suffices.
#pragma once

#include <tss2/tss2_esys.h>

#include <nlohmann/json.hpp>  // Activation holds a json by value
#include <string>
#include <string_view>
#include <utility>

#include "common/result.hpp"
#include "tpm/marshal.hpp"
#include "tss/esys.hpp"
#include "tss/templates.hpp"

namespace dps::tss {

class TpmDevice {
 public:
  /// Opens the TPM at `tcti` (a tpm2-tss TCTI string such as "device:/dev/tpmrm0" or
  /// "swtpm:host=127.0.0.1,port=2321"), creates the EK of `kind` from the endorsement seed
  /// (the same EK as `tpm2_createek -G rsa|ecc`) and a new AK under it, and reads the EK's
  /// certificate from NV (ek_certificate_nv_index(kind)) when the TPM holds one.
  /// @return Unavailable naming the TPM command and its response code. An EK certificate that
  ///         cannot be read is no failure (ek_certificate_problem()): an individual enrollment
  ///         admits the TPM by its EK alone.
  [[nodiscard]] static Result<TpmDevice> open(const std::string& tcti, EkKind kind);

  /// The EK's TPM2B_PUBLIC, as `tpm2_createek -u` writes it: what an operator enrolls.
  const tpm::Bytes& endorsement_key_tpm2b() const { return ek_tpm2b_; }
  /// The AK's TPM2B_PUBLIC.
  const tpm::Bytes& attestation_key_tpm2b() const { return ak_tpm2b_; }

  /// The EK certificate (DER) the challenge request carries: the TPM's from NV (cut to its DER
  /// length: some TPMs pad the index), or set_ek_certificate()'s; empty = none.
  const tpm::Bytes& ek_certificate() const { return ek_certificate_; }
  /// Sends `der` as the EK certificate instead (empty: none), for a TPM whose maker publishes
  /// it elsewhere than in NV.
  void set_ek_certificate(tpm::Bytes der) { ek_certificate_ = std::move(der); }
  /// Why the TPM's EK certificate index gave no certificate though it exists (unreadable, or not
  /// an X.509 certificate); empty when it gave one or the TPM has none.
  const std::string& ek_certificate_problem() const { return ek_certificate_problem_; }

  /// The body of the challenge request: {"ek", "ak"} as TPM2B_PUBLIC byte strings, and
  /// "ekCertificate" (DER) when there is one.
  nlohmann::json challenge_request() const;

  struct Activation {
    nlohmann::json body;    // the activation request
    std::string csr_pem;    // as in the body
    tpm::Bytes key_public;  // the identity key's TPM2B_PUBLIC
    // The identity key's TPM2B_PRIVATE: its sensitive part wrapped by the storage primary
    // (storage_key_template() in the owner hierarchy), to load it again for TLS. Useless
    // outside this TPM.
    tpm::Bytes key_private;
  };
  /// Answers dps's credential {"credentialBlob", "encryptedSecret"} for `device_id`:
  /// ActivateCredential, a new identity key, Certify of it by the AK over tpm::certify_nonce,
  /// a CSR (CN=uuid:<device_id>) signed by it, and tpm::activation_proof.
  /// @return BadRequest for a malformed credential; Forbidden when the TPM's integrity check
  ///         refuses it (not made for this TPM's EK and this AK); Unavailable naming any other
  ///         TPM command that failed and its response code.
  [[nodiscard]] Result<Activation> answer(const nlohmann::json& credential,
                                          std::string_view device_id) const;

 private:
  TpmDevice(EsysContext context) : context_(std::move(context)) {}
  [[nodiscard]] Result<Transient> load_attestation_key() const;

  EsysContext context_;  // first: destroyed after the objects it holds
  Transient ek_;
  TPM2B_PUBLIC ak_public_{};
  TPM2B_PRIVATE ak_private_{};
  tpm::Bytes ek_tpm2b_;
  tpm::Bytes ak_tpm2b_;
  tpm::Bytes ek_certificate_;
  std::string ek_certificate_problem_;
};

}  // namespace dps::tss
