#include "tss/esys.hpp"

#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

#include <utility>

namespace dps::tss {

tl::unexpected<Error> tss_error(std::string_view command, TSS2_RC rc) {
  return fail(ErrorCode::Unavailable, std::string(command) + ": " + Tss2_RC_Decode(rc),
              "TPM command failed");
}

bool tpm_rc_is(TSS2_RC rc, TPM2_RC format1_code) {
  return (rc & TSS2_RC_LAYER_MASK) == TSS2_TPM_RC_LAYER && (rc & TPM2_RC_FMT1) != 0 &&
         (rc & 0x3f) == (format1_code & 0x3f);
}

Result<EsysContext> EsysContext::open(const std::string& tcti) {
  TSS2_TCTI_CONTEXT* tcti_context = nullptr;
  if (const TSS2_RC rc = Tss2_TctiLdr_Initialize(tcti.c_str(), &tcti_context);
      rc != TSS2_RC_SUCCESS) {
    return tss_error("Tss2_TctiLdr_Initialize(" + tcti + ")", rc);
  }
  ESYS_CONTEXT* esys = nullptr;
  if (const TSS2_RC rc = Esys_Initialize(&esys, tcti_context, nullptr); rc != TSS2_RC_SUCCESS) {
    Tss2_TctiLdr_Finalize(&tcti_context);
    return tss_error("Esys_Initialize", rc);
  }
  return EsysContext(tcti_context, esys);
}

EsysContext::EsysContext(EsysContext&& other) noexcept
    : tcti_(std::exchange(other.tcti_, nullptr)), esys_(std::exchange(other.esys_, nullptr)) {}

EsysContext::~EsysContext() {
  if (esys_ != nullptr) Esys_Finalize(&esys_);
  if (tcti_ != nullptr) Tss2_TctiLdr_Finalize(&tcti_);
}

Transient::Transient(Transient&& other) noexcept
    : esys_(std::exchange(other.esys_, nullptr)),
      handle_(std::exchange(other.handle_, ESYS_TR_NONE)) {}

Transient& Transient::operator=(Transient&& other) noexcept {
  if (this != &other) {
    reset();
    esys_ = std::exchange(other.esys_, nullptr);
    handle_ = std::exchange(other.handle_, ESYS_TR_NONE);
  }
  return *this;
}

void Transient::reset() {
  // Best effort: a failure here means the TPM is gone, and with it the object.
  if (esys_ != nullptr && handle_ != ESYS_TR_NONE) Esys_FlushContext(esys_, handle_);
  esys_ = nullptr;
  handle_ = ESYS_TR_NONE;
}

Result<Transient> endorsement_policy_session(ESYS_CONTEXT* esys) {
  TPMT_SYM_DEF symmetric{};
  symmetric.algorithm = TPM2_ALG_NULL;
  ESYS_TR handle = ESYS_TR_NONE;
  if (const TSS2_RC rc = Esys_StartAuthSession(esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                                               ESYS_TR_NONE, ESYS_TR_NONE, nullptr, TPM2_SE_POLICY,
                                               &symmetric, TPM2_ALG_SHA256, &handle);
      rc != TSS2_RC_SUCCESS) {
    return tss_error("TPM2_StartAuthSession(policy)", rc);
  }
  Transient session(esys, handle);
  // Kept open after the command that uses it, so that flushing it is always ours to do.
  if (const TSS2_RC rc = Esys_TRSess_SetAttributes(esys, handle, TPMA_SESSION_CONTINUESESSION,
                                                   TPMA_SESSION_CONTINUESESSION);
      rc != TSS2_RC_SUCCESS) {
    return tss_error("Esys_TRSess_SetAttributes", rc);
  }
  TPM2B_TIMEOUT* timeout = nullptr;
  TPMT_TK_AUTH* ticket = nullptr;
  const TSS2_RC rc =
      Esys_PolicySecret(esys, ESYS_TR_RH_ENDORSEMENT, handle, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                        ESYS_TR_NONE, nullptr, nullptr, nullptr, 0, &timeout, &ticket);
  Esys_Free(timeout);
  Esys_Free(ticket);
  if (rc != TSS2_RC_SUCCESS) return tss_error("TPM2_PolicySecret(TPM_RH_ENDORSEMENT)", rc);
  return session;
}

}  // namespace dps::tss
