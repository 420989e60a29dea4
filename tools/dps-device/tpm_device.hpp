// dps-device's real TPM (--tpm TCTI): tss::TpmDevice as the device flow's TpmAttestor, and the
// identity key it created brought back for TLS. Here rather than in src/device, which must not
// need libtss2 (dps-bench and the tests link it without).
#pragma once

#include <openssl/evp.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "device/tpm_attestor.hpp"
#include "tpm/marshal.hpp"
#include "tss/tpm_device.hpp"

namespace dps::device_cli {

class RealTpm final : public device::TpmAttestor {
 public:
  /// Opens the TPM at `tcti` with the EK of `kind` (tss::TpmDevice::open).
  [[nodiscard]] static Result<std::unique_ptr<RealTpm>> open(const std::string& tcti,
                                                             tss::EkKind kind);

  tpm::Bytes endorsement_key_tpm2b() const override { return ek_; }
  nlohmann::json challenge_request() const override;
  Result<device::TpmAnswer> answer(const nlohmann::json& credential,
                                   std::string_view device_id) override;
  /// Closes the attestation's TPM connection (a TPM without a resource manager, such as swtpm,
  /// serves one at a time), then loads the identity key again on a connection of its own.
  Result<std::shared_ptr<EVP_PKEY>> identity_key() override;

  /// The EK certificate the challenge request carries (tss::TpmDevice: the TPM's from NV, or
  /// the one set here); empty = none. Before identity_key() only.
  tpm::Bytes ek_certificate() const;
  /// Why the TPM's EK certificate index gave none though it exists; empty otherwise.
  std::string ek_certificate_problem() const;
  /// Sends `der` instead of the TPM's EK certificate (--tpm-ek-cert).
  void set_ek_certificate(tpm::Bytes der);

 private:
  RealTpm(std::string tcti, tss::TpmDevice device);

  std::string tcti_;
  std::optional<tss::TpmDevice> device_;
  tpm::Bytes ek_;
  tpm::Bytes key_public_;   // of the last answer: TPM2B_PUBLIC
  tpm::Bytes key_private_;  // TPM2B_PRIVATE, wrapped by the storage primary
};

/// The certificate in the file at `path`, DER or PEM (the first certificate), as DER.
/// @return BadRequest naming the file when it cannot be read or holds no X.509 certificate.
[[nodiscard]] Result<tpm::Bytes> read_certificate_file(const std::string& path);

/// The identity key `key_public`/`key_private` (TpmDevice::Activation) loaded under the storage
/// primary of the TPM at `tcti` (the same primary: same seed, same template), as an EC key whose
/// signatures TPM2_Sign makes (device::make_held_ec_key). The key stays loaded, on a TPM
/// connection of its own, until the EVP_PKEY is freed.
[[nodiscard]] Result<std::shared_ptr<EVP_PKEY>> load_tpm_identity_key(const std::string& tcti,
                                                                      tpm::ByteView key_public,
                                                                      tpm::ByteView key_private);

}  // namespace dps::device_cli
