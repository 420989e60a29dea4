// A Beast HTTPS client for the management API of the dps under test (management-api.md), and the
// bearer tokens it carries: admin tokens as dps mints them, and dps's signing key for the tokens
// dps would never mint (expired, wrong audience, ...). Every request runs on a private io_context
// under a deadline, so a server that never answers fails the test instead of hanging it.
#pragma once

#include <boost/beast/http/verb.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "auth/embedded_token_minter.hpp"
#include "pki/x509_ptr.hpp"

namespace dps::itest {

using Verb = boost::beast::http::verb;

/// One answer of the server.
struct HttpAnswer {
  unsigned status = 0;
  std::string body;
  std::string content_type;
  std::string allow;        // the Allow header (405)
  std::string retry_after;  // the Retry-After header (429)
  bool keep_alive = true;
  /// How the connection ended after the answer, when the client closed it: kClosedCleanly when
  /// the TLS closure completed both ways (close_notify sent and received back), otherwise what
  /// went wrong (the request could not be written in full, a reset, a truncated close).
  std::string connection_end;

  static constexpr const char* kClosedCleanly = "close_notify both ways";

  /// The body as JSON (a discarded value when it is not JSON).
  nlohmann::json object() const;
  /// The objects of a stream answer, one `{"result": ...}` (or `{"error": ...}`) per line.
  std::vector<nlohmann::json> lines() const;
};

struct HttpRequest {
  Verb method = Verb::get;
  std::string target;
  /// The Authorization header value, sent verbatim; nullopt = no header at all.
  std::optional<std::string> authorization;
  std::string body;
  /// Transfer-Encoding: chunked instead of Content-Length.
  bool chunked = false;
};

class ApiClient {
 public:
  /// A client of https://127.0.0.1:<port> that verifies the server against `server_ca_pem`.
  /// `source` set: connections come from that local address (e.g. "127.0.0.2": all of 127/8 is
  /// loopback on Linux), so a test can act as two callers.
  ApiClient(uint16_t port, std::string server_ca_pem,
            std::chrono::seconds deadline = std::chrono::seconds(20), std::string source = "");

  /// One request on a fresh connection, closed by the client with a TLS shutdown after the
  /// answer. `token` "" sends no Authorization header, otherwise "Bearer <token>". Throws when no
  /// answer comes (connect, TLS, reset, deadline).
  HttpAnswer call(Verb method, const std::string& target, const std::string& token,
                  const std::string& body = "") const;
  HttpAnswer send(const HttpRequest& request) const;

 private:
  uint16_t port_;
  std::string server_ca_pem_;
  std::chrono::seconds deadline_;
  std::string source_;
};

/// A management API token for `owner` exactly as dps mints its local admin token: dps's signing
/// key from `data_dir`, aud = the admin audience, sub = owner.
std::string admin_token(const std::filesystem::path& data_dir, const std::string& owner);

/// dps's token signing key (<data_dir>/token-signing.key) and its kid, for tokens dps would not
/// mint itself.
struct DpsSigningKey {
  pki::EvpPkeyPtr key;
  std::string kid;
};
/// One of dps's token keys in `data_dir`: the management API's (kApiTokenFiles, which signs the
/// admin token) by default, or the hub tokens' (kDeviceTokenFiles).
DpsSigningKey load_dps_signing_key(const std::filesystem::path& data_dir,
                                   const auth::MinterFiles& files = auth::kApiTokenFiles);

}  // namespace dps::itest
