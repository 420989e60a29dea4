// The names by which a management API token is recognised, and the hub token settings that would
// let a device's hub token carry them. dps's device tokens and API tokens never overlap (design.md
// "Trust boundaries"): separate keys first (auth/), and, as a second wall, no hub may ask dps to
// put an API audience or a device-chosen value into an API claim. Shared by the API's and the
// config file's hub validation.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace dps {

/// The audience of every token dps mints for its own management API (the admin token).
inline constexpr std::string_view kManagementApiAudience = "urn:dps:management-api";

/// How the management API reads its tokens (apis.http.authorization).
struct ApiTokenNames {
  std::string owner_claim = "sub";
  std::string audience;  // empty: none configured
};

/// A refused hub token setting: the field (ownerClaim, deviceIdClaim, audience) and why.
struct TokenNameProblem {
  std::string field;
  std::string reason;
};

/// Why hub settings are refused, or nullopt:
/// - `audience` is kManagementApiAudience or the API's audience (the token would open the API);
/// - `owner_claim` is a registered claim dps sets itself (iss, aud, exp, nbf, iat, jti);
/// - `device_id_claim` is any registered claim (sub included: its value is the device's choice),
///   the API's owner claim (a device would choose whose API access it gets) or the hub's owner
///   claim (which would then hold the device's choice instead of the owner).
std::optional<TokenNameProblem> hub_token_names_problem(std::string_view owner_claim,
                                                        std::string_view device_id_claim,
                                                        std::string_view audience,
                                                        const ApiTokenNames& api);

}  // namespace dps
