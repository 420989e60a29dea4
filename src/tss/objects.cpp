#include "tss/objects.hpp"

#include <tss2/tss2_mu.h>

#include <string>

namespace dps::tss {
namespace {

template <class T, auto Marshal>
tpm::Bytes marshal_with(const T& value) {
  tpm::Bytes out(sizeof(T) + 16);
  size_t offset = 0;
  // Cannot fail: a TPM-made structure fits the buffer of its own C type.
  Marshal(&value, out.data(), out.size(), &offset);
  out.resize(offset);
  return out;
}

template <class T, auto Unmarshal>
Result<T> unmarshal_with(tpm::ByteView data, const char* field) {
  T out{};
  size_t offset = 0;
  const TSS2_RC rc = Unmarshal(data.data(), data.size(), &offset, &out);
  if (rc != TSS2_RC_SUCCESS) {
    return fail(ErrorCode::BadRequest, std::string(field) + ": not a TPM2B of its type");
  }
  if (offset != data.size()) {
    return fail(ErrorCode::BadRequest, std::string(field) + ": bytes after the structure");
  }
  return out;
}

}  // namespace

Result<Primary> create_primary(ESYS_CONTEXT* esys, ESYS_TR hierarchy, const TPM2B_PUBLIC& templ) {
  const TPM2B_SENSITIVE_CREATE sensitive{};
  const TPM2B_DATA outside_info{};
  const TPML_PCR_SELECTION creation_pcr{};
  ESYS_TR handle = ESYS_TR_NONE;
  TPM2B_PUBLIC* public_area = nullptr;
  TPM2B_CREATION_DATA* creation_data = nullptr;
  TPM2B_DIGEST* creation_hash = nullptr;
  TPMT_TK_CREATION* creation_ticket = nullptr;
  const TSS2_RC rc =
      Esys_CreatePrimary(esys, hierarchy, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &sensitive,
                         &templ, &outside_info, &creation_pcr, &handle, &public_area,
                         &creation_data, &creation_hash, &creation_ticket);
  const EsysPtr<TPM2B_PUBLIC> owned_public(public_area);
  Esys_Free(creation_data);
  Esys_Free(creation_hash);
  Esys_Free(creation_ticket);
  if (rc != TSS2_RC_SUCCESS) return tss_error("TPM2_CreatePrimary", rc);
  Primary out;
  out.handle = Transient(esys, handle);
  out.public_area = *owned_public;
  return out;
}

Result<Created> create(ESYS_CONTEXT* esys, ESYS_TR parent, ESYS_TR session,
                       const TPM2B_PUBLIC& templ) {
  const TPM2B_SENSITIVE_CREATE sensitive{};
  const TPM2B_DATA outside_info{};
  const TPML_PCR_SELECTION creation_pcr{};
  TPM2B_PRIVATE* private_area = nullptr;
  TPM2B_PUBLIC* public_area = nullptr;
  TPM2B_CREATION_DATA* creation_data = nullptr;
  TPM2B_DIGEST* creation_hash = nullptr;
  TPMT_TK_CREATION* creation_ticket = nullptr;
  const TSS2_RC rc = Esys_Create(esys, parent, session, ESYS_TR_NONE, ESYS_TR_NONE, &sensitive,
                                 &templ, &outside_info, &creation_pcr, &private_area, &public_area,
                                 &creation_data, &creation_hash, &creation_ticket);
  const EsysPtr<TPM2B_PRIVATE> owned_private(private_area);
  const EsysPtr<TPM2B_PUBLIC> owned_public(public_area);
  Esys_Free(creation_data);
  Esys_Free(creation_hash);
  Esys_Free(creation_ticket);
  if (rc != TSS2_RC_SUCCESS) return tss_error("TPM2_Create", rc);
  return Created{.public_area = *owned_public, .private_area = *owned_private};
}

Result<Transient> load(ESYS_CONTEXT* esys, ESYS_TR parent, ESYS_TR session, const Created& object) {
  ESYS_TR handle = ESYS_TR_NONE;
  if (const TSS2_RC rc = Esys_Load(esys, parent, session, ESYS_TR_NONE, ESYS_TR_NONE,
                                   &object.private_area, &object.public_area, &handle);
      rc != TSS2_RC_SUCCESS) {
    return tss_error("TPM2_Load", rc);
  }
  return Transient(esys, handle);
}

tpm::Bytes marshal(const TPM2B_PUBLIC& value) {
  return marshal_with<TPM2B_PUBLIC, Tss2_MU_TPM2B_PUBLIC_Marshal>(value);
}
tpm::Bytes marshal(const TPM2B_PRIVATE& value) {
  return marshal_with<TPM2B_PRIVATE, Tss2_MU_TPM2B_PRIVATE_Marshal>(value);
}
tpm::Bytes marshal(const TPMT_SIGNATURE& value) {
  return marshal_with<TPMT_SIGNATURE, Tss2_MU_TPMT_SIGNATURE_Marshal>(value);
}

Result<TPM2B_ID_OBJECT> unmarshal_id_object(tpm::ByteView data, const char* field) {
  return unmarshal_with<TPM2B_ID_OBJECT, Tss2_MU_TPM2B_ID_OBJECT_Unmarshal>(data, field);
}
Result<TPM2B_ENCRYPTED_SECRET> unmarshal_encrypted_secret(tpm::ByteView data, const char* field) {
  return unmarshal_with<TPM2B_ENCRYPTED_SECRET, Tss2_MU_TPM2B_ENCRYPTED_SECRET_Unmarshal>(data,
                                                                                          field);
}

}  // namespace dps::tss
