// Result<T>: the error model for everything that handles untrusted input (style.md, "Errors").
// Nothing on the device or API path throws across a module boundary; it returns Result instead.
#pragma once

#include <string>
#include <string_view>
#include <tl/expected.hpp>
#include <utility>

namespace dps {

/// Protocol-agnostic error kinds. One function maps them to CoAP codes (provisioning) and one to
/// HTTP statuses (api), so NotFound is 4.04 on the device side and 404 on the API side.
enum class ErrorCode {
  BadRequest,        // malformed or invalid input from the peer
  Unauthenticated,   // no or bad credentials
  Forbidden,         // authenticated, but not allowed (e.g. session matched no enrollment group)
  NotFound,          // unknown path or object
  MethodNotAllowed,  // known path, wrong method
  NotAcceptable,     // Accept names a format we cannot produce
  Conflict,          // object already exists
  PayloadTooLarge,   // bigger than a configured limit
  Unavailable,       // a dependency is temporarily down: the client should retry the same step
  Internal,          // a bug or an unexpected local failure
};

std::string_view to_string(ErrorCode code);

/// `internal` goes to logs only (may name files, SQL, OpenSSL reasons); `external` is what a peer
/// sees.
struct Error {
  ErrorCode code = ErrorCode::Internal;
  std::string internal;
  std::string external;

  /// The text a peer (device or API client) may see. `external` when set. Otherwise, for a
  /// server-side failure (Internal, Unavailable) a generic text, never `internal`: that one names
  /// files, SQL and OpenSSL reasons, and a new error path that forgets `external` must not leak
  /// them. For client errors (BadRequest, NotFound, ...) `internal` describes the peer's own input
  /// and is meant for it.
  const std::string& peer_message() const;
};

template <class T>
using Result = tl::expected<T, Error>;

[[nodiscard]] inline tl::unexpected<Error> fail(ErrorCode code, std::string internal,
                                                std::string external = {}) {
  return tl::unexpected<Error>(Error{code, std::move(internal), std::move(external)});
}

}  // namespace dps
