// The one mapping from ErrorCode to HTTP statuses and to the gRPC codes plgd clients read from the
// body of an error (management-api.md "Errors"; provisioning/content.cpp is its CoAP twin).
#pragma once

#include "api/http_types.hpp"
#include "common/result.hpp"

namespace dps::api {

/// 400, 401, 403, 404, 405, 406, 409, 413, 503, 500.
unsigned http_status(ErrorCode code);

/// google.rpc.Code: InvalidArgument 3, Unauthenticated 16, PermissionDenied 7, NotFound 5,
/// AlreadyExists 6, Unavailable 14, Internal 13. Beyond the spec's list: MethodNotAllowed is
/// Unimplemented 12 (what grpc-gateway answers for a known path with another method),
/// NotAcceptable is InvalidArgument 3, PayloadTooLarge is ResourceExhausted 8 (the gRPC code for
/// "message larger than the limit"; HTTP stays 413, the precise status, not gRPC-gateway's 429).
int grpc_code(ErrorCode code);

/// `{"code": <grpc_code>, "message": "...", "details": []}` with http_status(). For 5xx the
/// message is the error's external text or a generic one, and the internal text goes to
/// ApiResponse::internal_error (for logs), so database or OpenSSL detail never reaches a client.
/// The server uses this too, for 401 (JWT), 413 (body limit) and its own failures.
ApiResponse error_response(const Error& error);

}  // namespace dps::api
