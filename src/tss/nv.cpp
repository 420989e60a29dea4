#include "tss/nv.hpp"

#include <algorithm>
#include <cstdio>
#include <string>

#include "tss/esys.hpp"

namespace dps::tss {
namespace {

// A TPM that does not report how much one TPM2_NV_Read returns gets chunks every TPM we know of
// serves (swtpm: 1024, discrete chips 768 or more).
constexpr UINT16 kFallbackNvBufferMax = 512;

// An ESYS_TR for an NV index names it in the ESAPI context only: closed (not flushed, the index
// stays in the TPM) when done.
class NvHandle {
 public:
  NvHandle(ESYS_CONTEXT* esys, ESYS_TR handle) : esys_(esys), handle_(handle) {}
  NvHandle(const NvHandle&) = delete;
  NvHandle& operator=(const NvHandle&) = delete;
  ~NvHandle() { Esys_TR_Close(esys_, &handle_); }
  ESYS_TR get() const { return handle_; }

 private:
  ESYS_CONTEXT* esys_;
  ESYS_TR handle_;
};

// Whether the TPM has the NV index: asked first, as reading a missing one is an error tpm2-tss
// logs, and most TPMs have no EK certificate.
Result<bool> has_index(ESYS_CONTEXT* esys, TPM2_HANDLE index) {
  TPMI_YES_NO more = TPM2_NO;
  TPMS_CAPABILITY_DATA* raw = nullptr;
  // The handles from `index` on, the first of which is `index` when it exists.
  const TSS2_RC rc = Esys_GetCapability(esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                                        TPM2_CAP_HANDLES, index, 1, &more, &raw);
  const EsysPtr<TPMS_CAPABILITY_DATA> data(raw);
  if (rc != TSS2_RC_SUCCESS) return tss_error("TPM2_GetCapability(handles)", rc);
  return data->data.handles.count >= 1 && data->data.handles.handle[0] == index;
}

UINT16 nv_buffer_max(ESYS_CONTEXT* esys) {
  TPMI_YES_NO more = TPM2_NO;
  TPMS_CAPABILITY_DATA* raw = nullptr;
  const TSS2_RC rc =
      Esys_GetCapability(esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, TPM2_CAP_TPM_PROPERTIES,
                         TPM2_PT_NV_BUFFER_MAX, 1, &more, &raw);
  const EsysPtr<TPMS_CAPABILITY_DATA> data(raw);
  if (rc != TSS2_RC_SUCCESS || data->data.tpmProperties.count < 1 ||
      data->data.tpmProperties.tpmProperty[0].property != TPM2_PT_NV_BUFFER_MAX ||
      data->data.tpmProperties.tpmProperty[0].value == 0) {
    return kFallbackNvBufferMax;
  }
  // TPM2B_MAX_NV_BUFFER, which ESAPI returns, holds no more than this.
  return static_cast<UINT16>(
      std::min<UINT32>(data->data.tpmProperties.tpmProperty[0].value, TPM2_MAX_NV_BUFFER_SIZE));
}

}  // namespace

TPM2_HANDLE ek_certificate_nv_index(EkKind kind) {
  return kind == EkKind::Rsa2048 ? 0x01c00002 : 0x01c0000a;
}

std::string handle_text(TPM2_HANDLE handle) {
  char text[11];
  std::snprintf(text, sizeof text, "0x%08x", handle);
  return text;
}

Result<std::optional<tpm::Bytes>> read_nv_index(ESYS_CONTEXT* esys, TPM2_HANDLE index) {
  const std::string what = "NV index " + handle_text(index);
  auto present = has_index(esys, index);
  if (!present) return tl::unexpected(present.error());
  if (!*present) return std::nullopt;
  ESYS_TR raw_handle = ESYS_TR_NONE;
  // ESAPI reads the index's public area (TPM2_NV_ReadPublic) to know its Name.
  if (const TSS2_RC rc =
          Esys_TR_FromTPMPublic(esys, index, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &raw_handle);
      rc != TSS2_RC_SUCCESS) {
    return tss_error("TPM2_NV_ReadPublic(" + what + ")", rc);
  }
  const NvHandle handle(esys, raw_handle);
  TPM2B_NV_PUBLIC* raw_public = nullptr;
  TPM2B_NAME* raw_name = nullptr;
  const TSS2_RC rc = Esys_NV_ReadPublic(esys, handle.get(), ESYS_TR_NONE, ESYS_TR_NONE,
                                        ESYS_TR_NONE, &raw_public, &raw_name);
  const EsysPtr<TPM2B_NV_PUBLIC> nv_public(raw_public);
  const EsysPtr<TPM2B_NAME> name(raw_name);
  if (rc != TSS2_RC_SUCCESS) return tss_error("TPM2_NV_ReadPublic(" + what + ")", rc);
  const TPMA_NV attributes = nv_public->nvPublic.attributes;
  if ((attributes & TPMA_NV_WRITTEN) == 0) return std::nullopt;
  ESYS_TR authorization = ESYS_TR_NONE;
  if ((attributes & TPMA_NV_AUTHREAD) != 0) {
    authorization = handle.get();
  } else if ((attributes & TPMA_NV_OWNERREAD) != 0) {
    authorization = ESYS_TR_RH_OWNER;
  } else {
    return fail(ErrorCode::Forbidden,
                what + ": readable neither with its own nor with owner authorization");
  }

  const UINT16 size = nv_public->nvPublic.dataSize;
  const UINT16 chunk = nv_buffer_max(esys);
  tpm::Bytes out;
  out.reserve(size);
  while (out.size() < size) {
    const auto offset = static_cast<UINT16>(out.size());
    const auto wanted = static_cast<UINT16>(std::min<size_t>(chunk, size - out.size()));
    TPM2B_MAX_NV_BUFFER* raw_data = nullptr;
    const TSS2_RC read_rc = Esys_NV_Read(esys, authorization, handle.get(), ESYS_TR_PASSWORD,
                                         ESYS_TR_NONE, ESYS_TR_NONE, wanted, offset, &raw_data);
    const EsysPtr<TPM2B_MAX_NV_BUFFER> data(raw_data);
    if (read_rc != TSS2_RC_SUCCESS) return tss_error("TPM2_NV_Read(" + what + ")", read_rc);
    // Never more than asked for; never nothing, or this would not end.
    if (data->size == 0 || data->size > wanted) {
      return fail(ErrorCode::Unavailable,
                  "TPM2_NV_Read(" + what + "): answered " + std::to_string(data->size) +
                      " bytes for " + std::to_string(wanted),
                  "TPM command failed");
    }
    out.insert(out.end(), data->buffer, data->buffer + data->size);
  }
  return out;
}

}  // namespace dps::tss
