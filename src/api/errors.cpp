#include "api/errors.hpp"

#include <nlohmann/json.hpp>

namespace dps::api {

unsigned http_status(ErrorCode code) {
  switch (code) {
    case ErrorCode::BadRequest:
      return 400;
    case ErrorCode::Unauthenticated:
      return 401;
    case ErrorCode::Forbidden:
      return 403;
    case ErrorCode::NotFound:
      return 404;
    case ErrorCode::MethodNotAllowed:
      return 405;
    case ErrorCode::NotAcceptable:
      return 406;
    case ErrorCode::Conflict:
      return 409;
    case ErrorCode::PayloadTooLarge:
      return 413;
    case ErrorCode::Unavailable:
      return 503;
    case ErrorCode::Internal:
      return 500;
  }
  return 500;
}

int grpc_code(ErrorCode code) {
  switch (code) {
    case ErrorCode::BadRequest:
    case ErrorCode::NotAcceptable:
      return 3;
    case ErrorCode::Unauthenticated:
      return 16;
    case ErrorCode::Forbidden:
      return 7;
    case ErrorCode::NotFound:
      return 5;
    case ErrorCode::MethodNotAllowed:
      return 12;
    case ErrorCode::Conflict:
      return 6;
    case ErrorCode::PayloadTooLarge:
      return 8;
    case ErrorCode::Unavailable:
      return 14;
    case ErrorCode::Internal:
      return 13;
  }
  return 13;
}

ApiResponse error_response(const Error& error) {
  ApiResponse response;
  response.status = http_status(error.code);
  std::string message = error.peer_message();
  if (response.status >= 500) {
    message = error.external.empty() ? std::string(to_string(error.code)) : error.external;
    response.internal_error = error.internal;
  }
  const nlohmann::json body{
      {"code", grpc_code(error.code)}, {"message", message}, {"details", nlohmann::json::array()}};
  response.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return response;
}

}  // namespace dps::api
