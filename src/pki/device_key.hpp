// How an individual enrollment names its device: the SHA-256 of the device key's DER
// SubjectPublicKeyInfo (hex), the same value the handshake computes from the leaf it receives and
// revocation lists accept. An operator may give a device certificate, only its public key, or
// the hash itself; all three end up as this one key.
#pragma once

#include <string>
#include <string_view>

#include "common/result.hpp"

namespace dps::pki {

/// The key hash of the first certificate in `pem` (a device's leaf). BadRequest when it does not
/// parse, or its key is not one a device may hold (EC P-256 or P-384, device-protocol §1).
[[nodiscard]] Result<std::string> device_key_hash_of_certificate(std::string_view pem);

/// The key hash of a PEM public key ("-----BEGIN PUBLIC KEY-----"), with the same key check.
[[nodiscard]] Result<std::string> device_key_hash_of_public_key(std::string_view pem);

/// `text` as a key hash: 64 hex digits, returned in lowercase. BadRequest otherwise.
[[nodiscard]] Result<std::string> parse_device_key_hash(std::string_view text);

}  // namespace dps::pki
