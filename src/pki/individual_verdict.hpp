// How an individual enrollment judges a device's client certificate on its own. The device side
// (provisioning/admission.cpp, at the handshake) and the management API's explain
// (api/routes/explain.cpp, without a device) both decide by this one rule, so they cannot drift.
// Plain values in, so pki needs no store entity.
#pragma once

#include <chrono>
#include <optional>

namespace dps::pki {

enum class IndividualVerdict {
  Admits,
  Disabled,  // the enrollment is disabled: it refuses the device, whatever groups say
  Expired,   // the leaf is outside its validity now (or a date of it does not parse)
};

/// Disabled refuses first. Otherwise no enrollment group verified the certificate (its dates
/// included), so the enrollment checks the leaf's validity period itself: `now` must lie within
/// [not_before, not_after], and an unknown date refuses.
constexpr IndividualVerdict judge_individually(
    bool disabled, const std::optional<std::chrono::system_clock::time_point>& not_before,
    const std::optional<std::chrono::system_clock::time_point>& not_after,
    std::chrono::system_clock::time_point now) {
  if (disabled) return IndividualVerdict::Disabled;
  if (!not_before || !not_after || now < *not_before || now > *not_after) {
    return IndividualVerdict::Expired;
  }
  return IndividualVerdict::Admits;
}

}  // namespace dps::pki
