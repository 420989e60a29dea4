// The web console's files under /console (src/console), with the headers that confine them: a
// Content-Security-Policy allowing only the console's own scripts, styles and API calls, no
// framing, no sniffing, no referrer. The console holds no power of its own: its pages call the
// management API with the operator's bearer token like any other client.
#pragma once

#include <string_view>

#include "http/routes.hpp"

namespace dps::http {

inline constexpr std::string_view kConsolePath = "/console";

/// Whether `path` is the console's: "/console" or below "/console/".
bool is_console_path(std::string_view path);

/// Answers a request for a console path: the embedded file, "/console" redirected to
/// "/console/", 404 for a file the console does not have, 405 for a method other than GET.
/// `settings` fills /console/config.json (sign-in with OpenID Connect when an authority is set).
Reply console_reply(const Incoming& in, std::string_view path, const ConsoleSettings& settings);

}  // namespace dps::http
