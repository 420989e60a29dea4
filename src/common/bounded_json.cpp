#include "common/bounded_json.hpp"

namespace dps {

namespace {

// nlohmann's DOM builder (the one from_cbor and parse use) that stops at the first map or array
// nested deeper than kMaxPayloadNesting and at the first value beyond its cap, before
// storing it. Its callbacks are found statically by the readers (templates), so hiding the
// base's is enough.
class BoundedDomParser : public nlohmann::detail::json_sax_dom_parser<nlohmann::json> {
 public:
  using Base = nlohmann::detail::json_sax_dom_parser<nlohmann::json>;
  BoundedDomParser(nlohmann::json& result, size_t max_values)
      : Base(result, /*allow_exceptions_=*/true), max_values_(max_values) {}

  bool null() { return count() && Base::null(); }
  bool boolean(bool value) { return count() && Base::boolean(value); }
  bool number_integer(nlohmann::json::number_integer_t value) {
    return count() && Base::number_integer(value);
  }
  bool number_unsigned(nlohmann::json::number_unsigned_t value) {
    return count() && Base::number_unsigned(value);
  }
  bool number_float(nlohmann::json::number_float_t value, const nlohmann::json::string_t& text) {
    return count() && Base::number_float(value, text);
  }
  bool string(nlohmann::json::string_t& value) { return count() && Base::string(value); }
  bool binary(nlohmann::json::binary_t& value) { return count() && Base::binary(value); }
  bool start_object(std::size_t size) { return count() && enter() && Base::start_object(size); }
  bool start_array(std::size_t size) { return count() && enter() && Base::start_array(size); }
  bool end_object() {
    --depth_;
    return Base::end_object();
  }
  bool end_array() {
    --depth_;
    return Base::end_array();
  }
  bool too_deep() const { return too_deep_; }
  bool too_many() const { return too_many_; }

 private:
  bool count() {
    too_many_ = values_ == max_values_;
    if (!too_many_) ++values_;
    return !too_many_;
  }
  bool enter() {
    too_deep_ = depth_ == kMaxPayloadNesting;
    if (!too_deep_) ++depth_;
    return !too_deep_;
  }
  const size_t max_values_;
  size_t depth_ = 0;
  bool too_deep_ = false;
  size_t values_ = 0;
  bool too_many_ = false;
};

}  // namespace

// nlohmann's readers throw on malformed input (and may even with exceptions disabled, per
// design.md): everything is caught here so nothing crosses a module boundary.
Result<nlohmann::json> decode_bounded(std::span<const uint8_t> bytes, PayloadFormat format,
                                      const std::string& what, size_t max_values) {
  nlohmann::json value;
  BoundedDomParser dom(value, max_values);
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
    if (dom.too_many()) {
      return fail(ErrorCode::BadRequest,
                  what + " holds more than " + std::to_string(max_values) + " values");
    }
    if (!ok) return fail(ErrorCode::BadRequest, what + " does not decode");
  } catch (const std::exception& e) {
    return fail(ErrorCode::BadRequest, what + " does not decode: " + e.what());
  }
  return value;
}

}  // namespace dps
