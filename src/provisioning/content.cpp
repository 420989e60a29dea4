#include "provisioning/content.hpp"

#include <nlohmann/json.hpp>
#include <span>

namespace dps::provisioning {

using coap::content_format::kCbor;
using coap::content_format::kJson;
using coap::content_format::kOcfCbor;

namespace {

// Device bodies nest two or three levels (device-protocol §3). nlohmann's CBOR reader recurses once
// per level, so an unbounded body of one byte per level (0x81 0x81 ...) overflows the I/O thread's
// stack well below apis.coap.maxMessageSize (100 kB crashed a release build; fuzz/regressions).
constexpr size_t kMaxNesting = 32;

// nlohmann's DOM builder (the one from_cbor and parse use) that stops at the first map or array
// nested deeper than kMaxNesting. Its callbacks are found statically by the readers (templates),
// so hiding the base's is enough.
class BoundedDomParser : public nlohmann::detail::json_sax_dom_parser<nlohmann::json> {
 public:
  using Base = nlohmann::detail::json_sax_dom_parser<nlohmann::json>;
  explicit BoundedDomParser(nlohmann::json& result) : Base(result, /*allow_exceptions_=*/true) {}

  bool start_object(std::size_t size) { return enter() && Base::start_object(size); }
  bool start_array(std::size_t size) { return enter() && Base::start_array(size); }
  bool end_object() {
    --depth_;
    return Base::end_object();
  }
  bool end_array() {
    --depth_;
    return Base::end_array();
  }
  bool too_deep() const { return too_deep_; }

 private:
  bool enter() {
    too_deep_ = depth_ == kMaxNesting;
    if (!too_deep_) ++depth_;
    return !too_deep_;
  }
  size_t depth_ = 0;
  bool too_deep_ = false;
};

// CBOR or JSON `bytes` as one value; `what` names them in errors. nlohmann's readers throw on
// malformed input (and may even with exceptions disabled, per design.md): everything is caught
// here so nothing crosses the module boundary.
Result<nlohmann::json> parse_bounded(std::span<const uint8_t> bytes, bool cbor,
                                     const std::string& what) {
  nlohmann::json value;
  BoundedDomParser dom(value);
  try {
    bool ok = false;
    if (cbor) {
      // What from_cbor does, with this DOM builder; tags are ignored (their content is kept).
      auto input = nlohmann::detail::input_adapter(bytes.begin(), bytes.end());
      using Reader =
          nlohmann::detail::binary_reader<nlohmann::json, decltype(input), BoundedDomParser>;
      Reader reader(std::move(input), nlohmann::json::input_format_t::cbor);
      ok = reader.sax_parse(nlohmann::json::input_format_t::cbor, &dom, /*strict=*/true,
                            nlohmann::json::cbor_tag_handler_t::ignore);
    } else {
      ok = nlohmann::json::sax_parse(bytes.begin(), bytes.end(), &dom);
    }
    if (dom.too_deep()) {
      return fail(ErrorCode::BadRequest,
                  what + " nests deeper than " + std::to_string(kMaxNesting) + " maps or arrays");
    }
    if (!ok) return fail(ErrorCode::BadRequest, what + " does not decode");
  } catch (const std::exception& e) {
    return fail(ErrorCode::BadRequest, what + " does not decode: " + e.what());
  }
  return value;
}

}  // namespace

Result<uint16_t> response_format(const coap::Message& request) {
  auto accept = request.accept();
  if (!accept) return kOcfCbor;
  if (*accept == kOcfCbor || *accept == kCbor || *accept == kJson) return *accept;
  return fail(
      ErrorCode::NotAcceptable,
      "cannot answer in content format " + std::to_string(*accept) + " (supported: 10000, 60, 50)");
}

Result<nlohmann::json> decode_cbor(std::span<const uint8_t> bytes) {
  return parse_bounded(bytes, /*cbor=*/true, "CBOR");
}

Result<nlohmann::json> decode_body(const coap::Message& request) {
  if (request.payload.empty()) return fail(ErrorCode::BadRequest, "empty request body");
  const uint16_t format = request.content_format().value_or(kOcfCbor);
  if (format != kOcfCbor && format != kCbor && format != kJson) {
    return fail(ErrorCode::BadRequest,
                "unsupported content format " + std::to_string(format) + " (use 60 or 10000)");
  }
  auto body = parse_bounded(request.payload, format != kJson, "request body");
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
    const std::string text = body.dump();
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
