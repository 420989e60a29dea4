#include "http/routes.hpp"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "api/http_types.hpp"
#include "api/management_api.hpp"
#include "auth/jwt_verifier.hpp"
#include "http/console_routes.hpp"
#include "log/quoted.hpp"
#include "metrics/metrics.hpp"

namespace dps::http {
namespace {

constexpr std::string_view kApiPrefix = "/api/";
constexpr std::string_view kPlgdApiPrefix = "/device-provisioning-service/api/";

// gRPC status codes, as plgd's gateway maps them (management-api.md "Errors").
int grpc_code_of(unsigned status) {
  switch (status) {
    case 400:
      return 3;  // InvalidArgument
    case 401:
      return 16;  // Unauthenticated
    case 403:
      return 7;  // PermissionDenied
    case 404:
      return 5;  // NotFound
    case 405:
      return 12;  // Unimplemented
    case 409:
      return 6;  // AlreadyExists
    case 413:
    case 429:
      return 8;  // ResourceExhausted
    case 503:
      return 14;  // Unavailable
    default:
      return 13;  // Internal
  }
}

std::string path_of(const std::string& target) { return target.substr(0, target.find('?')); }

bool starts_with(const std::string& text, std::string_view prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

Reply json_reply(unsigned status, const nlohmann::json& body) {
  // replace: a message may quote request bytes; invalid UTF-8 must not make dump() throw.
  return Reply{status,
               "application/json",
               body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
               {}};
}

Reply api_reply(const Incoming& in, const HttpEndpoints& endpoints) {
  if (!endpoints.api || !endpoints.verifier) return error_reply(503, "management API not ready");
  // Per source, before anything about the token: a source that keeps failing is refused whatever
  // it sends, and its fresh tokens never reach the per-token table below.
  if (endpoints.auth_failures) {
    if (auto refused = endpoints.auth_failures->refuse(in.peer)) return std::move(*refused);
  }
  // Before the signature check, so a flood with one token costs a hash, not a verification.
  if (endpoints.token_rate && !in.authorization.empty() &&
      !endpoints.token_rate->allow(std::hash<std::string>{}(in.authorization))) {
    if (endpoints.metrics) endpoints.metrics->on_limit(metrics::Limit::ApiTokenRate);
    Reply reply = error_reply(429, "too many requests with this token (apis.http.rateLimit)");
    reply.headers.emplace_back("Retry-After", "1");
    return reply;
  }
  auto token = endpoints.verifier->verify(in.authorization);
  if (!token) {
    const bool unavailable = token.error().code == ErrorCode::Unavailable;
    if (endpoints.auth_failures) {
      endpoints.auth_failures->on_failure(in.peer, in.method, path_of(in.target), token.error());
    }
    return error_reply(unavailable ? 503 : 401, token.error().peer_message());
  }
  auto request = api::parse_target(in.method, in.target, in.body);
  if (!request) return error_reply(400, request.error().peer_message());
  auto response = endpoints.api->handle(*request, token->owner);
  // The path is percent-decoded (%0A is a newline) and the owner is a token claim: both quoted.
  spdlog::info("http peer={} owner={} {} {} -> {}", in.peer, log::quoted(token->owner), in.method,
               log::quoted(request->path), response.status);
  Reply reply{response.status, response.content_type, std::move(response.body), {}};
  for (auto& header : response.headers) reply.headers.push_back(std::move(header));
  return reply;
}

}  // namespace

Reply error_reply(unsigned status, const std::string& message) {
  return json_reply(
      status,
      {{"code", grpc_code_of(status)}, {"message", message}, {"details", nlohmann::json::array()}});
}

bool may_wait_on_store(const Incoming& in) {
  const std::string path = path_of(in.target);
  return starts_with(path, kApiPrefix) || starts_with(path, kPlgdApiPrefix) || path == "/readyz";
}

Reply route(const Incoming& in, const HttpEndpoints& endpoints) {
  const std::string path = path_of(in.target);
  if (starts_with(path, kApiPrefix) || starts_with(path, kPlgdApiPrefix)) {
    return api_reply(in, endpoints);
  }
  if (is_console_path(path)) return console_reply(in, path, endpoints.console);
  if (in.method != "GET") return error_reply(404, "no resource " + path);
  if (path == "/" && endpoints.console.enabled) {
    // A person typing the bare address gets the console.
    return Reply{302, "text/plain; charset=utf-8", "", {{"Location", "/console/"}}};
  }
  if (path == "/healthz") return json_reply(200, {{"status", "ok"}});
  if (path == "/metrics" && endpoints.metrics) {
    // Public like /healthz: counts by step, code and result only, nothing about any device.
    return Reply{200, std::string(metrics::Metrics::kContentType), endpoints.metrics->render(), {}};
  }
  if (path == "/readyz") {
    const bool ready = !endpoints.ready || endpoints.ready();
    return json_reply(ready ? 200 : 503, {{"status", ready ? "ready" : "store unreachable"}});
  }
  if (path == "/.well-known/jwks.json" && endpoints.jwks_json) {
    return Reply{200, "application/json", endpoints.jwks_json(), {}};
  }
  if (path == "/.well-known/openid-configuration") {
    // The authority of dps's device tokens: a plgd hub verifies them with these keys. The URL is
    // configured (apis.http.publicUrl), never the request's Host header: the client picks that,
    // and a forged one would point the keys' location at whoever forged it.
    const std::string& base = endpoints.public_url;
    return json_reply(200, {{"issuer", endpoints.issuer},
                            {"jwks_uri", base + "/.well-known/jwks.json"},
                            {"id_token_signing_alg_values_supported", {"ES256"}}});
  }
  return error_reply(404, "no resource " + path);
}

}  // namespace dps::http
