// The console's files as http::route serves them: the embedded index, the confinement headers on
// every answer, the redirect to the directory, and nothing outside the embedded set.
#include <gtest/gtest.h>

#include "http/routes.hpp"

namespace dps::http {
namespace {

Incoming get(const std::string& target) { return Incoming{"GET", target, "", "", "", "peer"}; }

std::string header(const Reply& reply, const std::string& name) {
  for (const auto& [key, value] : reply.headers) {
    if (key == name) return value;
  }
  return "";
}

HttpEndpoints console_endpoints() {
  HttpEndpoints endpoints;
  endpoints.console.enabled = true;
  return endpoints;
}

TEST(ConsoleRoutes, IndexIsServedAsHtmlUnderAPolicyThatAllowsOnlyItsOwnOrigin) {
  const Reply reply = route(get("/console/"), console_endpoints());
  EXPECT_EQ(reply.status, 200u);
  EXPECT_EQ(reply.content_type, "text/html; charset=utf-8");
  EXPECT_NE(reply.body.find("<!doctype html>"), std::string::npos);
  EXPECT_EQ(header(reply, "Content-Security-Policy"),
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; "
            "object-src 'none'");
  EXPECT_EQ(header(reply, "X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(header(reply, "X-Frame-Options"), "DENY");
  EXPECT_EQ(header(reply, "Referrer-Policy"), "no-referrer");
}

TEST(ConsoleRoutes, TheBareConsolePathAndTheRootRedirectToTheDirectory) {
  const Reply console = route(get("/console"), console_endpoints());
  EXPECT_EQ(console.status, 308u);
  EXPECT_EQ(header(console, "Location"), "/console/");
  const Reply root = route(get("/"), console_endpoints());
  EXPECT_EQ(root.status, 302u);
  EXPECT_EQ(header(root, "Location"), "/console/");
}

TEST(ConsoleRoutes, OnlyEmbeddedFilesExistAndNoPathLeavesThem) {
  for (const char* target :
       {"/console/nothing.js", "/console/../etc/passwd", "/console/..%2f..%2fetc%2fpasswd",
        "/console//index.html", "/consolex", "/console/index.html/"}) {
    const Reply reply = route(get(target), console_endpoints());
    EXPECT_EQ(reply.status, 404u) << target;
  }
}

TEST(ConsoleRoutes, WritesAreRefusedWithTheAllowedMethod) {
  Incoming post = get("/console/index.html");
  post.method = "POST";
  const Reply reply = route(post, console_endpoints());
  EXPECT_EQ(reply.status, 405u);
  EXPECT_EQ(header(reply, "Allow"), "GET");
  EXPECT_FALSE(header(reply, "Content-Security-Policy").empty());
}

TEST(ConsoleRoutes, ConfigNamesTheAuthorityOnlyWhenSignInGoesThroughIt) {
  HttpEndpoints endpoints = console_endpoints();
  EXPECT_EQ(route(get("/console/config.json"), endpoints).body, "{}");
  endpoints.console.oidc_authority = "https://auth.example.com";
  endpoints.console.oidc_client_id = "dps-console";
  const Reply reply = route(get("/console/config.json"), endpoints);
  EXPECT_EQ(reply.body,
            R"({"oidc":{"authority":"https://auth.example.com","clientId":"dps-console",)"
            R"("scopes":"openid"}})");
  EXPECT_NE(
      header(reply, "Content-Security-Policy").find("connect-src 'self' https://auth.example.com;"),
      std::string::npos);
}

// Keycloak's issuers have a path; a CSP source with a path matches that path alone, so the
// console could not fetch the discovery document or the token endpoint beneath it.
TEST(ConsoleRoutes, ConnectSrcNamesTheAuthoritysOriginNotItsPath) {
  HttpEndpoints endpoints = console_endpoints();
  endpoints.console.oidc_authority = "https://kc.example.com:8443/realms/plgd";
  endpoints.console.oidc_client_id = "dps-console";
  const Reply reply = route(get("/console/"), endpoints);
  EXPECT_NE(header(reply, "Content-Security-Policy")
                .find("connect-src 'self' https://kc.example.com:8443;"),
            std::string::npos)
      << header(reply, "Content-Security-Policy");
  EXPECT_NE(route(get("/console/config.json"), endpoints)
                .body.find(R"("authority":"https://kc.example.com:8443/realms/plgd")"),
            std::string::npos);
}

TEST(ConsoleRoutes, ADisabledConsoleIsNotServed) {
  HttpEndpoints endpoints = console_endpoints();
  endpoints.console.enabled = false;
  EXPECT_EQ(route(get("/console/"), endpoints).status, 404u);
  EXPECT_EQ(route(get("/"), endpoints).status, 404u);
}

}  // namespace
}  // namespace dps::http
