// Pre-configuration of device resources (a dps extension, docs/device-protocol.md): the rules an
// update {href, representation} obeys, shared by the management API (which refuses what breaks
// them at write time) and the provisioning step (which substitutes each device's values).
#pragma once

#include <cstddef>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace dps::resource_updates {

/// Bounds an enrollment template's pre-configuration: what a device must buffer and apply.
inline constexpr size_t kMaxUpdates = 16;
inline constexpr size_t kMaxRepresentationBytes = 4096;  // one representation, as CBOR
inline constexpr size_t kMaxTotalBytes = 16384;          // all of them, as CBOR
inline constexpr size_t kMaxHrefLength = 256;
inline constexpr size_t kMaxRepresentationNesting = 8;

/// An absolute OCF resource path: "/" then segments of [A-Za-z0-9._~-] separated by single
/// "/", no "." or ".." segment, no query, at most kMaxHrefLength. "" when it is, else why not.
std::string href_problem(std::string_view href);

/// The values a representation's strings may name as {{name}}: deviceId, owner, hubId.
using Variables = std::map<std::string, std::string, std::less<>>;
inline constexpr std::string_view kVariableNames[] = {"deviceId", "owner", "hubId"};

/// Checks a representation: a JSON object, nested at most kMaxRepresentationNesting, at most
/// kMaxRepresentationBytes as CBOR, whose strings name only known variables (an unknown or
/// unterminated "{{" is refused: it would reach the device verbatim). BadRequest saying why.
/// @return its CBOR size.
Result<size_t> check_representation(const nlohmann::json& representation);

/// `representation` with every {{name}} in its strings (keys untouched) replaced by the value.
nlohmann::json substitute(const nlohmann::json& representation, const Variables& values);

}  // namespace dps::resource_updates
