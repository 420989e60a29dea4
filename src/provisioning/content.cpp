#include "provisioning/content.hpp"

#include <nlohmann/json.hpp>
#include <span>

#include "common/bounded_json.hpp"

namespace dps::provisioning {

using coap::content_format::kCbor;
using coap::content_format::kJson;
using coap::content_format::kOcfCbor;

Result<uint16_t> response_format(const coap::Message& request) {
  auto accept = request.accept();
  if (!accept) return kOcfCbor;
  if (*accept == kOcfCbor || *accept == kCbor || *accept == kJson) return *accept;
  return fail(
      ErrorCode::NotAcceptable,
      "cannot answer in content format " + std::to_string(*accept) + " (supported: 10000, 60, 50)");
}

Result<nlohmann::json> decode_cbor(std::span<const uint8_t> bytes) {
  return decode_bounded(bytes, PayloadFormat::Cbor, "CBOR");
}

Result<nlohmann::json> decode_body(const coap::Message& request) {
  if (request.payload.empty()) return fail(ErrorCode::BadRequest, "empty request body");
  const uint16_t format = request.content_format().value_or(kOcfCbor);
  if (format != kOcfCbor && format != kCbor && format != kJson) {
    return fail(ErrorCode::BadRequest,
                "unsupported content format " + std::to_string(format) + " (use 60 or 10000)");
  }
  auto body = decode_bounded(
      request.payload, format == kJson ? PayloadFormat::Json : PayloadFormat::Cbor, "request body");
  if (body && !body->is_object()) return fail(ErrorCode::BadRequest, "request body is not a map");
  return body;
}

coap::Message make_response(const coap::Message& request, coap::Code code,
                            const nlohmann::json& body, uint16_t format) {
  coap::Message response;
  response.code = code;
  response.token = request.token;
  response.add_uint_option(coap::option::kContentFormat, format);
  if (format == kJson) {
    // replace: bodies carry strings from the store; invalid UTF-8 must not make dump() throw.
    const std::string text = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    response.payload.assign(text.begin(), text.end());
  } else {
    response.payload = nlohmann::json::to_cbor(body);
  }
  return response;
}

coap::Message make_error_response(const coap::Message& request, coap::Code code,
                                  std::string_view diagnostic) {
  coap::Message response;
  response.code = code;
  response.token = request.token;
  response.payload.assign(diagnostic.begin(), diagnostic.end());
  // RFC 7252 §5.9.3.4: Max-Age on 5.03 says when to retry. A hub's authority or CA that is
  // down is usually back within seconds; the device retries the same step on the same session.
  if (code == coap::Code::ServiceUnavailable) {
    response.add_uint_option(coap::option::kMaxAge, kRetryAfterSeconds);
  }
  return response;
}

coap::Code coap_code_of(ErrorCode code) {
  switch (code) {
    case ErrorCode::BadRequest:
    case ErrorCode::PayloadTooLarge:
    case ErrorCode::Conflict:
      return coap::Code::BadRequest;
    case ErrorCode::Unauthenticated:
      return coap::Code::Unauthorized;
    case ErrorCode::Forbidden:
      return coap::Code::Forbidden;
    case ErrorCode::NotFound:
      return coap::Code::NotFound;
    case ErrorCode::MethodNotAllowed:
      return coap::Code::MethodNotAllowed;
    case ErrorCode::NotAcceptable:
      return coap::Code::NotAcceptable;
    case ErrorCode::Unavailable:
      return coap::Code::ServiceUnavailable;
    case ErrorCode::Internal:
      return coap::Code::InternalServerError;
  }
  return coap::Code::InternalServerError;
}

}  // namespace dps::provisioning
