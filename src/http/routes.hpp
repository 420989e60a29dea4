// What the HTTP endpoint answers, independent of Beast: well-known documents, health, and the
// authenticated management API.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "http/http_server.hpp"

namespace dps::http {

struct Incoming {
  std::string method;
  std::string target;  // path and query, as sent
  std::string body;
  std::string authorization;
  std::string host;
  std::string peer;
};

struct Reply {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

/// The API's error object with the status's gRPC code (management-api.md, "Conventions").
Reply error_reply(unsigned status, const std::string& message);

Reply route(const Incoming& in, const HttpEndpoints& endpoints);

/// Whether route() may wait on the store for `in` (the management API, /readyz): such requests
/// run off the I/O threads, so a slow database never stalls /healthz, /metrics or the accept loop.
bool may_wait_on_store(const Incoming& in);

}  // namespace dps::http
