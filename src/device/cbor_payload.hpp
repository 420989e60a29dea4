// Internal to src/device: CBOR payload decoding shared by the answer checks. A server's answer is
// as untrusted as a device's request: the same nesting bound applies (a malicious server must not
// crash dps-device or dps-bench).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "coap/message.hpp"
#include "common/bounded_json.hpp"
#include "common/result.hpp"

namespace dps::device::detail {

using nlohmann::json;

inline Result<json> decode_cbor(const coap::Message& m) {
  if (m.payload.empty()) return fail(ErrorCode::BadRequest, "empty payload");
  return decode_bounded(m.payload, PayloadFormat::Cbor, "payload");
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
