// Error propagation for the TPM parsers, which read field after field and stop at the first bad
// one: DPS_TPM_TRY(size, r.u16("TPM2B_PUBLIC.size")) declares `size` (a Result) and returns its
// error from the enclosing function. Private to src/tpm (not included by public headers).
#pragma once

#define DPS_TPM_TRY(var, expr) \
  auto var = (expr);           \
  if (!var) return tl::unexpected(std::move(var.error()))

// For Result<void> steps.
#define DPS_TPM_CHECK(expr)                                                                      \
  do {                                                                                           \
    auto dps_tpm_check_result_ = (expr);                                                         \
    if (!dps_tpm_check_result_) return tl::unexpected(std::move(dps_tpm_check_result_.error())); \
  } while (false)
