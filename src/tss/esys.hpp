// The TPM2 Software Stack's Enhanced System API (tpm2-tss ESAPI) in RAII form for TpmDevice: the
// context opened from a TCTI string, the objects and sessions it creates (flushed when they go
// out of scope: a TPM holds only a few at once; swtpm and most chips 3 objects), the buffers ESAPI
// allocates, and errors naming the TPM command with tpm2-tss's decoding of its response code.
#pragma once

#include <tss2/tss2_esys.h>

#include <memory>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace dps::tss {

/// Unavailable "<command>: <Tss2_RC_Decode(rc)>": what a TPM or its transport refused.
[[nodiscard]] tl::unexpected<Error> tss_error(std::string_view command, TSS2_RC rc);

/// Whether `rc` is the TPM's own answer `format1_code` (a TPM2_RC_* of format 1, such as
/// TPM2_RC_HANDLE), whichever handle, session or parameter it names.
bool tpm_rc_is(TSS2_RC rc, TPM2_RC format1_code);

/// Owns a buffer ESAPI allocated for an output parameter (Esys_Free).
struct EsysFreer {
  void operator()(void* p) const { Esys_Free(p); }
};
template <class T>
using EsysPtr = std::unique_ptr<T, EsysFreer>;

/// An ESAPI context on the TCTI named by a tpm2-tss TCTI string ("device:/dev/tpmrm0",
/// "swtpm:host=127.0.0.1,port=2321", ...). Move-only.
class EsysContext {
 public:
  [[nodiscard]] static Result<EsysContext> open(const std::string& tcti);
  EsysContext(EsysContext&& other) noexcept;
  EsysContext& operator=(EsysContext&&) = delete;
  EsysContext(const EsysContext&) = delete;
  EsysContext& operator=(const EsysContext&) = delete;
  ~EsysContext();

  ESYS_CONTEXT* get() const { return esys_; }

 private:
  EsysContext(TSS2_TCTI_CONTEXT* tcti, ESYS_CONTEXT* esys) : tcti_(tcti), esys_(esys) {}
  TSS2_TCTI_CONTEXT* tcti_ = nullptr;
  ESYS_CONTEXT* esys_ = nullptr;
};

/// A transient object or session of `esys`, flushed from the TPM at destruction (unless
/// released). Move-only.
class Transient {
 public:
  Transient() = default;
  Transient(ESYS_CONTEXT* esys, ESYS_TR handle) : esys_(esys), handle_(handle) {}
  Transient(Transient&& other) noexcept;
  Transient& operator=(Transient&& other) noexcept;
  Transient(const Transient&) = delete;
  Transient& operator=(const Transient&) = delete;
  ~Transient() { reset(); }

  ESYS_TR get() const { return handle_; }
  void reset();

 private:
  ESYS_CONTEXT* esys_ = nullptr;
  ESYS_TR handle_ = ESYS_TR_NONE;
};

/// A policy session satisfying the TCG EK templates' authPolicy, PolicySecret(TPM_RH_ENDORSEMENT)
/// (empty endorsement authorization): what using the EK as a parent or decrypting with it takes.
/// One per command: the TPM resets the policy after using it.
[[nodiscard]] Result<Transient> endorsement_policy_session(ESYS_CONTEXT* esys);

}  // namespace dps::tss
