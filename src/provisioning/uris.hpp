// Resource paths devices call (device-protocol §3), and the device resource dps asks for (§3.6).
#pragma once

#include <string_view>

namespace dps::provisioning::uris {

constexpr std::string_view kPlgdTime = "/x.plgd.dev/time";
constexpr std::string_view kOwnership = "/api/v1/provisioning/ownership";
constexpr std::string_view kCloudConfiguration = "/api/v1/provisioning/cloud-configuration";
constexpr std::string_view kCredentials = "/api/v1/provisioning/credentials";
constexpr std::string_view kAcls = "/api/v1/provisioning/acls";
/// (dps extension) GET the enrollment template's resource updates, POST the device's report.
constexpr std::string_view kPreConfiguration = "/api/v1/provisioning/pre-configuration";
/// (dps extension, device-protocol §5) TPM attestation on a session without a client certificate:
/// POST the EK and AK, get a credential; POST its activation, get the identity certificate.
constexpr std::string_view kTpmChallenge = "/api/v1/provisioning/tpm/challenge";
constexpr std::string_view kTpmActivation = "/api/v1/provisioning/tpm/activation";

/// Reverse request sent to the device on a session's first request: its endpoints.
constexpr std::string_view kDeviceResources = "/oic/res";
constexpr std::string_view kDeviceResourcesQueryInterface = "if=oic.if.ll";
constexpr std::string_view kDeviceResourcesQueryType = "rt=oic.wk.d";

}  // namespace dps::provisioning::uris
