// Framework-neutral HTTP request/response for the management API: the server (Beast) turns its
// messages into these and back, so routing, validation and JSON never see a socket.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.hpp"

namespace dps::api {

struct ApiRequest {
  std::string method;  // "GET", "POST", ... (case-sensitive, RFC 9110 §9.1)
  std::string path;    // percent-decoded, without the query
  std::multimap<std::string, std::string> query;  // decoded; repeated keys kept in order
  std::string body;
};

struct ApiResponse {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  /// Extra headers, e.g. {"Allow", "GET, POST, DELETE"} on 405.
  std::vector<std::pair<std::string, std::string>> headers;
  /// Why a 5xx happened (database text, exception what()): for the server's log only, never sent.
  std::string internal_error;
};

/// Splits a request-target (RFC 9112 §3.2 origin-form, "/path?query") into a decoded path and
/// query. Query keys and values are percent-decoded with '+' as space (HTML form encoding, as
/// Go's url.ParseQuery used by plgd's gateway does); "k" without '=' has an empty value.
/// BadRequest when the target does not start with '/' or holds a bad percent-escape.
[[nodiscard]] Result<ApiRequest> parse_target(std::string method, std::string_view target,
                                              std::string body);

}  // namespace dps::api
