// Body encoding for device requests and responses (device-protocol §1, §3): CBOR for content
// formats 10000 and 60, JSON for 50. Keeps nlohmann out of the step headers.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <span>

#include "coap/message.hpp"
#include "common/result.hpp"

namespace dps::provisioning {

/// The content format a response must carry, from the request's Accept: absent → 10000,
/// 10000/60/50 → the same, anything else → NotAcceptable (4.06).
Result<uint16_t> response_format(const coap::Message& request);

/// Decodes one CBOR item (tags ignored, no trailing bytes) holding at most 32 nested maps or
/// arrays: nlohmann's reader recurses per level, so deeper input from a peer could exhaust the
/// stack. BadRequest otherwise. For anything a device sends in CBOR.
Result<nlohmann::json> decode_cbor(std::span<const uint8_t> bytes);

/// Decodes a request body (CBOR as decode_cbor, JSON with the same nesting bound). Empty body,
/// unsupported Content-Format (only 60 and 10000, and 50), undecodable bytes or a body that is not
/// a map are BadRequest with a precise message.
Result<nlohmann::json> decode_body(const coap::Message& request);

/// A success response with `body` encoded in `format` and the request's token echoed.
coap::Message make_response(const coap::Message& request, coap::Code code,
                            const nlohmann::json& body, uint16_t format);

/// Seconds a device is told to wait (Max-Age) before retrying a step answered 5.03.
inline constexpr uint32_t kRetryAfterSeconds = 3;

/// An error response: a short UTF-8 diagnostic and no Content-Format (device-protocol §3.7);
/// 5.03 carries Max-Age = kRetryAfterSeconds.
coap::Message make_error_response(const coap::Message& request, coap::Code code,
                                  std::string_view diagnostic);

/// Maps the protocol-agnostic error kinds to CoAP response codes.
coap::Code coap_code_of(ErrorCode code);

}  // namespace dps::provisioning
