#include "common/token_names.hpp"

#include <algorithm>
#include <array>

namespace dps {
namespace {

// RFC 7519 §4.1, less `sub`, which a hub may read its owner from (plgd deployments do).
constexpr std::array<std::string_view, 6> kClaimsDpsSets{"iss", "aud", "exp", "nbf", "iat", "jti"};

bool sets_itself(std::string_view claim) {
  return std::find(kClaimsDpsSets.begin(), kClaimsDpsSets.end(), claim) != kClaimsDpsSets.end();
}

}  // namespace

std::optional<TokenNameProblem> hub_token_names_problem(std::string_view owner_claim,
                                                        std::string_view device_id_claim,
                                                        std::string_view audience,
                                                        const ApiTokenNames& api) {
  if (!audience.empty() &&
      (audience == kManagementApiAudience || (!api.audience.empty() && audience == api.audience))) {
    return TokenNameProblem{"audience", "\"" + std::string(audience) +
                                            "\" is the management API's audience: device tokens "
                                            "must not be API tokens"};
  }
  if (sets_itself(owner_claim)) {
    return TokenNameProblem{
        "ownerClaim", "\"" + std::string(owner_claim) + "\" is a registered claim dps sets itself"};
  }
  if (device_id_claim.empty()) return std::nullopt;
  if (sets_itself(device_id_claim) || device_id_claim == "sub") {
    return TokenNameProblem{"deviceIdClaim",
                            "\"" + std::string(device_id_claim) +
                                "\" is a registered claim: a device must not choose its value"};
  }
  if (device_id_claim == api.owner_claim) {
    return TokenNameProblem{"deviceIdClaim", "\"" + std::string(device_id_claim) +
                                                 "\" is the management API's owner claim: a "
                                                 "device must not choose whose owner it names"};
  }
  if (device_id_claim == owner_claim) {
    return TokenNameProblem{"deviceIdClaim", "must differ from ownerClaim"};
  }
  return std::nullopt;
}

}  // namespace dps
