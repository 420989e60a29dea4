// Reading a TPM's non-volatile indexes: where a TPM maker leaves the EK certificate (TCG EK
// Credential Profile 2.0 §2.2.1.5), which the challenge request carries for a TPM enrollment
// group (docs/device-protocol.md §5).
#pragma once

#include <tss2/tss2_esys.h>

#include <optional>
#include <string>

#include "common/result.hpp"
#include "tpm/marshal.hpp"
#include "tss/templates.hpp"

namespace dps::tss {

/// The NV index of the certificate of the EK of `kind` made from the TCG template: 0x01c00002
/// (RSA 2048), 0x01c0000a (ECC NIST P-256).
TPM2_HANDLE ek_certificate_nv_index(EkKind kind);

/// "0x01c0000a": a handle as tpm2-tools write it.
std::string handle_text(TPM2_HANDLE handle);

/// The whole content of the NV index `index`: TPM2_NV_ReadPublic for its size, then TPM2_NV_Read
/// in chunks of at most what the TPM reads at once (TPM2_PT_NV_BUFFER_MAX), authorized by the
/// index itself (TPMA_NV_AUTHREAD) or else by the owner (TPMA_NV_OWNERREAD), both with empty
/// authorization values, as TPM makers define the EK certificate's index.
/// @return std::nullopt when the TPM has no such index or it was never written; Unavailable
///         naming the TPM command and its response code when reading fails; Forbidden when
///         neither authorization may read it.
[[nodiscard]] Result<std::optional<tpm::Bytes>> read_nv_index(ESYS_CONTEXT* esys,
                                                              TPM2_HANDLE index);

}  // namespace dps::tss
