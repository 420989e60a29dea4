#include "tpm/attest.hpp"

#include "tpm/constants.hpp"
#include "tpm/hash_alg.hpp"
#include "tpm/try.hpp"

namespace dps::tpm {

Result<Attest> parse_attest(ByteView data) {
  if (data.size() > kMaxAttestSize) {
    return fail(ErrorCode::BadRequest, "TPMS_ATTEST: " + std::to_string(data.size()) +
                                           " bytes above the maximum " +
                                           std::to_string(kMaxAttestSize));
  }
  Reader r(data);
  Attest a;
  DPS_TPM_TRY(magic, r.u32("TPMS_ATTEST.magic"));
  // Only the TPM writes TPM_GENERATED_VALUE at the start of what it signs: without it, the AK
  // may have signed caller-chosen data (TPM2_Sign refuses to sign it for restricted keys).
  if (*magic != kGeneratedValue) {
    return fail(ErrorCode::BadRequest, "TPMS_ATTEST.magic: " + to_hex(Writer().u32(*magic).data()) +
                                           " is not TPM_GENERATED_VALUE ff544347");
  }
  DPS_TPM_TRY(type, r.u16("TPMS_ATTEST.type"));
  if (*type != kStAttestCertify) {
    return fail(ErrorCode::BadRequest, "TPMS_ATTEST.type: " + alg_hex(*type) +
                                           " unsupported (expected TPM_ST_ATTEST_CERTIFY 0x8017)");
  }
  a.type = *type;
  DPS_TPM_TRY(signer, r.sized(kMaxNameSize, "TPMS_ATTEST.qualifiedSigner"));
  a.qualified_signer = std::move(*signer);
  DPS_TPM_TRY(extra, r.sized(kMaxDataSize, "TPMS_ATTEST.extraData"));
  a.extra_data = std::move(*extra);
  DPS_TPM_TRY(clock, r.u64("TPMS_ATTEST.clockInfo.clock"));
  DPS_TPM_TRY(resets, r.u32("TPMS_ATTEST.clockInfo.resetCount"));
  DPS_TPM_TRY(restarts, r.u32("TPMS_ATTEST.clockInfo.restartCount"));
  DPS_TPM_TRY(safe, r.u8("TPMS_ATTEST.clockInfo.safe"));
  if (*safe > 1) {
    return fail(ErrorCode::BadRequest,
                "TPMS_ATTEST.clockInfo.safe: " + std::to_string(*safe) + " is not a TPMI_YES_NO");
  }
  a.clock = *clock;
  a.reset_count = *resets;
  a.restart_count = *restarts;
  a.safe = *safe == 1;
  DPS_TPM_TRY(firmware, r.u64("TPMS_ATTEST.firmwareVersion"));
  a.firmware_version = *firmware;
  DPS_TPM_TRY(name, r.sized(kMaxNameSize, "TPMS_ATTEST.attested.certify.name"));
  a.certified_name = std::move(*name);
  DPS_TPM_TRY(qualified, r.sized(kMaxNameSize, "TPMS_ATTEST.attested.certify.qualifiedName"));
  a.certified_qualified_name = std::move(*qualified);
  DPS_TPM_CHECK(r.expect_end("TPMS_ATTEST"));
  return a;
}

Bytes encode_attest(const Attest& a) {
  Writer w;
  w.u32(kGeneratedValue).u16(a.type).sized(a.qualified_signer).sized(a.extra_data);
  w.u64(a.clock).u32(a.reset_count).u32(a.restart_count).u8(a.safe ? 1 : 0);
  w.u64(a.firmware_version).sized(a.certified_name).sized(a.certified_qualified_name);
  return w.take();
}

}  // namespace dps::tpm
