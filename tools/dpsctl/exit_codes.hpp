// dpsctl's exit codes, the contract scripts rely on (also printed by every --help):
//   0 success
//   1 the API refused the request: 400, 405, 409, 413 and every 4xx/5xx not listed below; the
//     server's message goes to stderr
//   2 usage error: a bad or missing option, an unreadable local file (--chain, --ca, ...)
//   3 authentication or authorization: 401 or 403, or no token to send at all
//   4 not found: 404, or get/update of an id the server does not list
//   5 the server cannot be reached (resolve, connect, TLS, timeout) or answered 503
//   6 explain: the certificate would be refused (the explanation is still printed)
#pragma once

#include <stdexcept>
#include <string>

namespace dps::dpsctl {

enum class ExitCode : int {
  Success = 0,
  ApiRefused = 1,
  Usage = 2,
  Unauthorized = 3,
  NotFound = 4,
  Unreachable = 5,
  NotAdmitted = 6,
};

/// Ends the command: main prints "dpsctl: <what()>" as one line and exits with `code()`.
/// The CLI is control plane, so it reports failures by throwing (house style) and catches once.
class CliError : public std::runtime_error {
 public:
  CliError(ExitCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  /// With what a caller deciding to retry needs: the HTTP status answered (0: none), and whether
  /// the request may have reached the server (false: it failed before being sent).
  CliError(ExitCode code, const std::string& message, unsigned http_status, bool request_sent)
      : std::runtime_error(message),
        code_(code),
        http_status_(http_status),
        request_sent_(request_sent) {}
  ExitCode code() const { return code_; }
  unsigned http_status() const { return http_status_; }
  bool request_sent() const { return request_sent_; }

 private:
  ExitCode code_;
  unsigned http_status_ = 0;
  bool request_sent_ = true;
};

/// The exit code an HTTP status maps to (see the table above); 2xx is not an error.
inline ExitCode exit_code_for_status(unsigned status) {
  if (status == 401 || status == 403) return ExitCode::Unauthorized;
  if (status == 404) return ExitCode::NotFound;
  if (status == 503) return ExitCode::Unreachable;
  return ExitCode::ApiRefused;
}

/// The same for the gRPC code of a `{"error": ...}` line inside a list stream
/// (Unauthenticated 16, PermissionDenied 7, NotFound 5, Unavailable 14).
inline ExitCode exit_code_for_grpc(int code) {
  if (code == 16 || code == 7) return ExitCode::Unauthorized;
  if (code == 5) return ExitCode::NotFound;
  if (code == 14) return ExitCode::Unreachable;
  return ExitCode::ApiRefused;
}

}  // namespace dps::dpsctl
