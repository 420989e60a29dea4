#include "common/bounded_json.hpp"

namespace dps {

namespace {

// nlohmann's DOM builder (the one from_cbor and parse use) that stops at the first map or array
// nested deeper than kMaxPayloadNesting. Its callbacks are found statically by the readers
// (templates), so hiding the base's is enough.
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
    too_deep_ = depth_ == kMaxPayloadNesting;
    if (!too_deep_) ++depth_;
    return !too_deep_;
  }
  size_t depth_ = 0;
  bool too_deep_ = false;
};

}  // namespace

// nlohmann's readers throw on malformed input (and may even with exceptions disabled, per
// design.md): everything is caught here so nothing crosses a module boundary.
Result<nlohmann::json> decode_bounded(std::span<const uint8_t> bytes, PayloadFormat format,
                                      const std::string& what) {
  nlohmann::json value;
  BoundedDomParser dom(value);
  try {
    bool ok = false;
    if (format == PayloadFormat::Cbor) {
      // What from_cbor does, with this DOM builder.
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
      return fail(
          ErrorCode::BadRequest,
          what + " nests deeper than " + std::to_string(kMaxPayloadNesting) + " maps or arrays");
    }
    if (!ok) return fail(ErrorCode::BadRequest, what + " does not decode");
  } catch (const std::exception& e) {
    return fail(ErrorCode::BadRequest, what + " does not decode: " + e.what());
  }
  return value;
}

}  // namespace dps
