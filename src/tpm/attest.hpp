// TPMS_ATTEST (TPM 2.0 Part 2 §10.12.12): what a TPM signs with an attestation key. dps reads
// TPM2_Certify's (type TPM_ST_ATTEST_CERTIFY): the AK vouches that the object named
// `certified_name` lives in the same TPM, with `extra_data` the verifier's nonce.
#pragma once

#include <cstdint>

#include "common/result.hpp"
#include "tpm/marshal.hpp"

namespace dps::tpm {

struct Attest {
  std::uint16_t type = 0;  // kStAttestCertify
  Bytes qualified_signer;  // the AK's qualified name
  Bytes extra_data;        // qualifyingData of the command: the verifier's nonce
  std::uint64_t clock = 0;
  std::uint32_t reset_count = 0;
  std::uint32_t restart_count = 0;
  bool safe = false;
  std::uint64_t firmware_version = 0;
  Bytes certified_name;            // TPMS_CERTIFY_INFO.name
  Bytes certified_qualified_name;  // TPMS_CERTIFY_INFO.qualifiedName
};

/// Parses the bytes of a TPMS_ATTEST (the content of TPM2B_ATTEST, i.e. what was signed).
/// Refuses a missing TPM_GENERATED_VALUE magic, another type than certify, sizes above the TPM's
/// bounds, truncation and trailing bytes; errors are BadRequest naming the field.
[[nodiscard]] Result<Attest> parse_attest(ByteView data);

/// Marshals `attest` (magic included): the software signer's output, and round trips in tests.
Bytes encode_attest(const Attest& attest);

}  // namespace dps::tpm
