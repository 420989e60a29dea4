// Proof of possession of an enrollment group's CA (as Azure DPS and AWS IoT ask when a CA is
// registered): the caller gets a single-use code from dps and returns a "verification
// certificate" whose subject CN is that code, signed by the group's lead certificate's key. Only
// the holder of the CA's private key can make one, so a public chain copied from someone else's
// devices proves nothing.
#pragma once

#include <string_view>

#include "common/result.hpp"
#include "pki/trust_group.hpp"

namespace dps::pki {

/// Checks `certificate_pem` (one PEM certificate) as proof that its signer holds the key of
/// `group`'s lead certificate.
/// @return BadRequest when the certificate does not parse or its CN is not `code`; Forbidden
///         when the lead's key did not sign it.
[[nodiscard]] Result<void> verify_possession(const TrustGroup& group, std::string_view code,
                                             std::string_view certificate_pem);

}  // namespace dps::pki
