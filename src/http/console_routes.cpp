#include "http/console_routes.hpp"

#include <nlohmann/json.hpp>
#include <string>

#include "console/assets.hpp"

namespace dps::http {
namespace {

// The authority's origin as a CSP source. Not the issuer URL itself: a source with a path
// matches that path alone, so "https://kc.example.com/realms/plgd" (Keycloak's form) would
// block its own discovery document and token endpoint, which lie beneath it.
std::string origin_of(const std::string& url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return url;
  return url.substr(0, url.find_first_of("/?#", scheme_end + 3));
}

// The console's origin is this server: scripts, styles and API calls come from it alone, so an
// injected <script> or inline handler cannot run and a stolen page cannot phone home. The OIDC
// authority is added to connect-src only when sign-in goes through it (its token endpoint).
std::string content_security_policy(const ConsoleSettings& settings) {
  std::string connect = "'self'";
  if (!settings.oidc_authority.empty() && !settings.oidc_client_id.empty()) {
    connect += " " + origin_of(settings.oidc_authority);
  }
  return "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
         "connect-src " +
         connect +
         "; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; "
         "object-src 'none'";
}

void add_confinement_headers(Reply& reply, const ConsoleSettings& settings) {
  reply.headers.emplace_back("Content-Security-Policy", content_security_policy(settings));
  reply.headers.emplace_back("X-Content-Type-Options", "nosniff");
  reply.headers.emplace_back("X-Frame-Options", "DENY");
  reply.headers.emplace_back("Referrer-Policy", "no-referrer");
  reply.headers.emplace_back("Cross-Origin-Opener-Policy", "same-origin");
  reply.headers.emplace_back("Cross-Origin-Resource-Policy", "same-origin");
  // The files change with dps's version; revalidating costs little and never serves a page of
  // the previous version against the new API.
  reply.headers.emplace_back("Cache-Control", "no-cache");
}

std::string config_json(const ConsoleSettings& settings) {
  nlohmann::json config = nlohmann::json::object();
  if (!settings.oidc_authority.empty() && !settings.oidc_client_id.empty()) {
    config["oidc"] = {{"authority", settings.oidc_authority},
                      {"clientId", settings.oidc_client_id},
                      {"scopes", settings.oidc_scopes}};
  }
  return config.dump();
}

}  // namespace

bool is_console_path(std::string_view path) {
  return path == kConsolePath ||
         (path.starts_with(kConsolePath) && path.size() > kConsolePath.size() &&
          path[kConsolePath.size()] == '/');
}

Reply console_reply(const Incoming& in, std::string_view path, const ConsoleSettings& settings) {
  if (!settings.enabled) return error_reply(404, "the console is disabled (apis.http.console)");
  if (in.method != "GET") {
    Reply reply = error_reply(405, "the console's files are read with GET");
    reply.headers.emplace_back("Allow", "GET");
    add_confinement_headers(reply, settings);
    return reply;
  }
  if (path == kConsolePath) {
    // Relative URLs in the page resolve against the directory, so it is always served at "/".
    Reply reply{308, "text/plain; charset=utf-8", "", {{"Location", "/console/"}}};
    add_confinement_headers(reply, settings);
    return reply;
  }
  const std::string_view file = path.substr(kConsolePath.size());
  Reply reply;
  if (file == "/config.json") {
    reply = Reply{200, "application/json", config_json(settings), {}};
  } else if (auto asset = console::find_asset(file)) {
    reply = Reply{200, std::string(asset->content_type), std::string(asset->bytes), {}};
  } else {
    reply = error_reply(404, "the console has no file " + std::string(file));
  }
  add_confinement_headers(reply, settings);
  return reply;
}

}  // namespace dps::http
