// Crafted DPS responses for the device's answer checks.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>

#include "coap/message.hpp"

namespace dps::device::testing {

inline coap::Message response(coap::Code code, const nlohmann::json& body,
                              std::optional<uint16_t> content_format = 10000) {
  coap::Message m;
  m.code = code;
  m.token = {1, 2, 3, 4, 5, 6, 7, 8};
  if (content_format) m.add_uint_option(coap::option::kContentFormat, *content_format);
  m.payload = nlohmann::json::to_cbor(body);
  return m;
}

}  // namespace dps::device::testing
