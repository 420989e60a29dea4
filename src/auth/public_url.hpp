// The URL at which callers reach dps's HTTP endpoint, for the documents dps publishes about its
// own tokens (/.well-known/openid-configuration names its jwks_uri with it). Configured, or derived
// from the listen address; never taken from a request's Host header, which the client chooses:
// a forged Host would otherwise make dps point a hub's key discovery at the attacker's keys
// (in a cached or proxied answer).
#pragma once

#include <string>
#include <string_view>

#include "common/result.hpp"

namespace dps::auth {

/// @param configured  apis.http.publicUrl: http(s)://host[:port][/path]; trailing '/' removed.
///        Empty = derived: "<https|http>://<host>[:<port>]" of `listen_address` ("host:port",
///        "[v6]:port"), a wildcard host (0.0.0.0, ::, empty) named "localhost", port 0 (chosen
///        by the kernel, tests) omitted.
/// @param tls  whether the listener serves TLS (the derived scheme; a configured URL may say
///        https in front of plain HTTP behind a TLS-terminating proxy).
/// @return BadRequest for a configured URL with another scheme, user info, a query or a
///         fragment, or no host.
[[nodiscard]] Result<std::string> public_base_url(std::string_view configured,
                                                  std::string_view listen_address, bool tls);

}  // namespace dps::auth
