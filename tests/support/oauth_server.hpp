// A real OAuth 2.0 / OpenID Connect authorization server for tests: oidc-provider (npm) run by
// Node.js from tests/support/oauth/server.mjs, on 127.0.0.1 and a port of its own. It issues JWT
// access tokens by the client credentials grant exactly as an identity provider in front of a
// plgd hub does, so dps's token client meets the protocol as a real server speaks it. Failures
// here are test-setup failures, so this throws std::runtime_error (GoogleTest reports it); a
// missing `node` is such a failure, never a skip: scripts/install-deps.sh installs Node.js, and
// the first server runs `npm ci` in tests/support/oauth when its node_modules is missing or stale.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace dps::test {

struct OAuthClient {
  std::string id;
  std::string secret;
  /// Scopes the client may ask for; asking for another one is refused with invalid_scope.
  std::vector<std::string> scopes;
  /// false: the server refuses HTTP Basic client authentication for this client (401
  /// invalid_client) and takes only client_secret_post, as some servers do.
  bool basic_auth = true;
};

/// A person who signs in at the server's login page (form fields "Login" and "Password").
struct OAuthAccount {
  std::string login;
  std::string password;
  std::string sub;
  /// More claims of the account's access tokens, e.g. {"https://plgd.dev/owner", "o-1"}; never
  /// one the token has already (iss, aud, exp...).
  std::vector<std::pair<std::string, std::string>> claims;
};

/// A browser app signing people in: a public client (no secret) of the authorization code grant
/// with PKCE (S256) required. Its access tokens are JWTs for `audience`; its token requests get
/// CORS headers for the origins of its redirect URIs. Consent is given without asking.
struct OAuthInteractiveClient {
  std::string id;
  std::vector<std::string> redirect_uris;
  /// true: a redirect URI of a loopback host (127.0.0.1, [::1], localhost) matches a registered
  /// one whatever its port, as RFC 8252 §7.3 has it for native apps: for an app whose port is
  /// chosen when it starts. Scheme, host and path must still match. CORS likewise.
  bool any_loopback_port = false;
  /// `aud` of its access tokens: one of OAuthServerOptions::audiences.
  std::string audience;
  std::vector<OAuthAccount> accounts;
};

struct OAuthServerOptions {
  /// Empty: one client "dps-client" with a random secret that holds the characters HTTP Basic
  /// must form-encode (RFC 6749 §2.3.1), allowed scope "hub".
  std::vector<OAuthClient> clients;
  /// Browser apps (none by default); the confidential clients above are there as well.
  std::vector<OAuthInteractiveClient> interactive_clients;
  /// Audiences (RFC 8707 resource indicators, so absolute URIs) a client may ask for with
  /// `audience=`; another one is refused with invalid_target.
  std::vector<std::string> audiences = {"https://hub.test/api"};
  /// Audience of tokens asked for without one; empty: such a request gets an opaque
  /// (non-JWT) token, as oidc-provider issues without a resource.
  std::string default_audience;
  /// Names of token request parameters copied into the access token as claims of the same name
  /// (plgd's DPS sends the hub's ownerClaim and deviceIdClaim this way). May include `sub`.
  std::vector<std::string> claim_params = {"https://plgd.dev/owner", "https://plgd.dev/deviceId"};
  std::chrono::seconds access_token_ttl{600};
  std::string signing_alg = "RS256";  // or "ES256"
  /// Set: HTTPS with this certificate (for 127.0.0.1) and key, PEM; empty: plain HTTP.
  std::string tls_cert_pem;
  std::string tls_key_pem;
};

class OAuthServer {
 public:
  /// Starts the server and returns once it accepts requests.
  explicit OAuthServer(OAuthServerOptions options = {});
  /// Stops the server (closing its standard input ends it; SIGKILL if it lingers).
  ~OAuthServer();
  OAuthServer(const OAuthServer&) = delete;
  OAuthServer& operator=(const OAuthServer&) = delete;

  /// "http://127.0.0.1:<port>": the issuer, where /.well-known/openid-configuration is served.
  const std::string& authority() const { return authority_; }
  uint16_t port() const { return port_; }
  /// The token endpoint oidc-provider serves (also named by the discovery document).
  std::string token_endpoint() const { return authority_ + "/token"; }
  const std::vector<OAuthClient>& clients() const { return options_.clients; }
  const std::string& client_id() const { return options_.clients.front().id; }
  const std::string& client_secret() const { return options_.clients.front().secret; }
  const OAuthServerOptions& options() const { return options_; }

  /// What the token endpoint does from now on; requests already in progress keep the old fault.
  enum class Fault {
    None,       // oidc-provider answers
    Status500,  // 500 {"error":"server_error"}
    Garbage,    // 200 with a body that is not JSON
    Hang,       // accepts the request and never answers
  };
  void set_fault(Fault fault);
  /// Token requests are answered by oidc-provider, `delay` late (zero: no delay).
  void set_delay(std::chrono::milliseconds delay);

  struct Counts {
    int token = 0;
    int discovery = 0;
    int jwks = 0;
  };
  /// Requests the server has received so far, by endpoint.
  Counts counts();
  /// The last token request, as JSON: {"status":200,"auth":"basic"|"post","params":[names],
  /// "error":"..."} (parameter names only, never values); "{}" before the first.
  std::string last_token_request();

 private:
  void launch();
  /// Stops the process and removes dir_; for the destructor and a failed constructor.
  void shutdown();
  /// Sends one command line and returns the server's answer line (without "oauth: ").
  std::string command(const std::string& line);
  std::string read_line(std::chrono::steady_clock::duration limit);
  std::string log_tail() const;

  OAuthServerOptions options_;
  std::filesystem::path dir_;  // the server's stderr log, npm's log
  std::string authority_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  int stdout_fd_ = -1;
  std::string pending_;  // bytes read from stdout after the last full line
};

}  // namespace dps::test
