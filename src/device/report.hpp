// Human and JSON renderings of a device run (dps-device output), and HOST:PORT parsing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "device/device_types.hpp"

namespace dps::device {

/// One line per step ("ownership  2.05  1234 us  ok"; "connect ... FAILED: ..." for a step whose
/// session did not come up; "identity acls ..." for the steps of an
/// identity session), the pre-configuration results (one line per href) when that step ran, and
/// a summary line per session kind.
std::string format_text(const ProvisionResult& result);

/// One JSON object: ok, deviceId, failedStep, failedSession, error, steps[{step, session, code,
/// latencyUs, ok, error, payload}], identitySession{ran, tokenRefreshed, aclsFetched, renewed},
/// ownerUuid, serverTime, hub, credentials, aceCount, preConfiguration{session, reported,
/// updates[{href, rep}], results[{href, ok, error}], resources{href: rep}} (null when it did not
/// run), totalUs, registrationId, connectFailure (and steps[].connectFailure: null, or why the
/// step's session did not come up; its step is then "connect", as failedStep).
/// Without `include_secrets` the device's private key (credentials.privateKeyPem) and hub access
/// token (hub.at) are left out.
std::string format_json(const ProvisionResult& result, bool include_secrets = false);

/// "host:port" or "[v6]:port" → {host, port}; nullopt when malformed.
std::optional<std::pair<std::string, uint16_t>> parse_host_port(std::string_view text);

}  // namespace dps::device
