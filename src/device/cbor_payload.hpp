// Internal to src/device: CBOR payload decoding shared by the answer checks. nlohmann throws even
// with exceptions off, so every call is caught here and turned into a Result (style.md).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "coap/message.hpp"
#include "common/result.hpp"

namespace dps::device::detail {

using nlohmann::json;

inline Result<json> decode_cbor(const coap::Message& m) {
  if (m.payload.empty()) return fail(ErrorCode::BadRequest, "empty payload");
  try {
    return json::from_cbor(m.payload, true, true, json::cbor_tag_handler_t::ignore);
  } catch (const std::exception& e) {
    return fail(ErrorCode::BadRequest, std::string("payload is not CBOR: ") + e.what());
  }
}

/// True when `key` appears as a map key anywhere in `j`.
inline bool contains_key_deep(const json& j, std::string_view key) {
  if (j.is_object()) {
    for (const auto& [k, v] : j.items()) {
      if (k == key || contains_key_deep(v, key)) return true;
    }
  } else if (j.is_array()) {
    for (const auto& v : j) {
      if (contains_key_deep(v, key)) return true;
    }
  }
  return false;
}

/// `j[key]` when it is a string, else nullptr.
inline const std::string* string_at(const json& j, std::string_view key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return nullptr;
  return it->get_ptr<const std::string*>();
}

}  // namespace dps::device::detail
