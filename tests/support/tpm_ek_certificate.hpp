// EK certificates for the TPM tests, as a TPM maker makes them: over a software TPM's or a real
// TPM's EK by a test CA (the vendor CA of a TPM enrollment group), stored in a swtpm's NV where
// the TCG puts them, or a whole swtpm manufactured by Debian's swtpm_setup with swtpm's own
// local CA.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "support/test_pki.hpp"
#include "support/tpm_tools.hpp"
#include "tpm/marshal.hpp"

namespace dps::tpm::test {

/// The TCG EK Credential Profile's NV indexes of the certificates of the template EKs.
constexpr std::uint32_t kRsaEkCertificateIndex = 0x01c00002;  // RSA 2048
constexpr std::uint32_t kEccEkCertificateIndex = 0x01c0000a;  // ECC NIST P-256

/// The DER EK certificate `ca` issues for the EK `ek_tpm2b` (a TPM2B_PUBLIC:
/// SoftwareTpm::endorsement_key_tpm2b(), TpmDevice's, tpm2_createek -u's), shaped as
/// dps::test::make_ek_certificate makes it. Throws std::runtime_error when ek_tpm2b is no key.
Bytes issue_ek_certificate(const dps::test::TestCa& ca, ByteView ek_tpm2b,
                           const dps::test::EkCertificateOptions& options = {});

/// Defines the NV index `index` of `tpm` as a TPM maker defines an EK certificate's (platform
/// hierarchy; ppwrite|writedefine|ppread|ownerread|authread|no_da|platformcreate: anyone reads
/// it with an empty authorization) and writes `data` into it, with tpm2_nvdefine and
/// tpm2_nvwrite.
testing::AssertionResult store_in_nv(const Swtpm& tpm, std::uint32_t index, ByteView data);

/// A TPM state as its maker leaves it: `swtpm_setup --tpm2 --create-ek-cert` with swtpm's local
/// CA (swtpm_localca, which creates its root and issuing CA on first use) kept in a temp dir:
/// nothing of /etc or /var/lib/swtpm-localca is used, root or not. The state holds the RSA 2048
/// EK's certificate at NV kRsaEkCertificateIndex (and a P-384 EK's at 0x01c00016, which dps does
/// not take: none at kEccEkCertificateIndex). About a second. Run a TPM on a copy of it with
/// Swtpm(state.state_dir()), as many as wanted: each has the same EKs and certificates.
class ManufacturedTpmState {
 public:
  ManufacturedTpmState();
  ManufacturedTpmState(const ManufacturedTpmState&) = delete;
  ManufacturedTpmState& operator=(const ManufacturedTpmState&) = delete;

  bool ok() const { return error_.empty(); }
  /// What failed (swtpm_setup's log included); empty when ok().
  const std::string& error() const { return error_; }
  std::string state_dir() const { return dir_.file("state"); }
  /// The local CA's certificates, its issuing CA then its root (PEM): the vendor certificate
  /// chain of a TPM enrollment group that admits this TPM.
  const std::string& vendor_chain_pem() const { return vendor_chain_pem_; }
  /// The files of the issuing CA's and the root's certificate.
  std::string issuer_certificate_file() const { return dir_.file("ca/issuercert.pem"); }
  std::string root_certificate_file() const {
    return dir_.file("ca/swtpm-localca-rootca-cert.pem");
  }
  /// swtpm_localca's --configfile and --optsfile for this CA: to have it certify another EK
  /// (`swtpm_localca --type ek --ek x=..,y=..,id=secp256r1 ...`), as swtpm_setup calls it.
  std::string localca_config_file() const { return dir_.file("localca.conf"); }
  std::string localca_options_file() const { return dir_.file("localca.options"); }

 private:
  TempDir dir_;
  std::string vendor_chain_pem_;
  std::string error_;
};

}  // namespace dps::tpm::test
