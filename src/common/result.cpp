#include "common/result.hpp"

namespace dps {

std::string_view to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::BadRequest:
      return "bad request";
    case ErrorCode::Unauthenticated:
      return "unauthenticated";
    case ErrorCode::Forbidden:
      return "forbidden";
    case ErrorCode::NotFound:
      return "not found";
    case ErrorCode::MethodNotAllowed:
      return "method not allowed";
    case ErrorCode::NotAcceptable:
      return "not acceptable";
    case ErrorCode::Conflict:
      return "conflict";
    case ErrorCode::PayloadTooLarge:
      return "payload too large";
    case ErrorCode::Unavailable:
      return "unavailable";
    case ErrorCode::Internal:
      return "internal error";
  }
  return "unknown";
}

const std::string& Error::peer_message() const {
  static const std::string kInternal = "internal error";
  static const std::string kUnavailable = "temporarily unavailable";
  if (!external.empty()) return external;
  switch (code) {
    case ErrorCode::Internal:
      return kInternal;
    case ErrorCode::Unavailable:
      return kUnavailable;
    default:
      return internal;
  }
}

}  // namespace dps
