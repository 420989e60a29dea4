// Creating and loading TPM objects through ESAPI, and marshalling the TPM2B structures dps's
// protocol carries (tpm2-tss's Tss2_MU_*), for TpmDevice.
#pragma once

#include <tss2/tss2_esys.h>

#include "common/result.hpp"
#include "tpm/marshal.hpp"
#include "tss/esys.hpp"

namespace dps::tss {

/// A primary object (TPM2_CreatePrimary) and its public area.
struct Primary {
  Transient handle;
  TPM2B_PUBLIC public_area{};
};
/// TPM2_CreatePrimary of `templ` in `hierarchy` (ESYS_TR_RH_ENDORSEMENT, ESYS_TR_RH_OWNER), whose
/// authorization is empty.
[[nodiscard]] Result<Primary> create_primary(ESYS_CONTEXT* esys, ESYS_TR hierarchy,
                                             const TPM2B_PUBLIC& templ);

/// An ordinary object (TPM2_Create), not loaded.
struct Created {
  TPM2B_PUBLIC public_area{};
  TPM2B_PRIVATE private_area{};
};
/// TPM2_Create of `templ` under the loaded `parent`, authorized by `session` (ESYS_TR_PASSWORD or
/// a policy session).
[[nodiscard]] Result<Created> create(ESYS_CONTEXT* esys, ESYS_TR parent, ESYS_TR session,
                                     const TPM2B_PUBLIC& templ);
/// TPM2_Load of `object` under `parent`, authorized by `session`.
[[nodiscard]] Result<Transient> load(ESYS_CONTEXT* esys, ESYS_TR parent, ESYS_TR session,
                                     const Created& object);

tpm::Bytes marshal(const TPM2B_PUBLIC& value);
tpm::Bytes marshal(const TPM2B_PRIVATE& value);
tpm::Bytes marshal(const TPMT_SIGNATURE& value);

/// The TPM2B_ID_OBJECT / TPM2B_ENCRYPTED_SECRET in `data`, which must hold exactly one;
/// BadRequest naming `field` otherwise.
[[nodiscard]] Result<TPM2B_ID_OBJECT> unmarshal_id_object(tpm::ByteView data, const char* field);
[[nodiscard]] Result<TPM2B_ENCRYPTED_SECRET> unmarshal_encrypted_secret(tpm::ByteView data,
                                                                        const char* field);

}  // namespace dps::tss
