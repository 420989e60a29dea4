#include "coap/message.hpp"

#include <algorithm>

namespace dps::coap {

std::string to_string(Code c) {
  const uint8_t detail = code_detail(c);
  std::string text(4, '0');
  text[0] = static_cast<char>('0' + code_class(c));
  text[1] = '.';
  text[2] = static_cast<char>('0' + detail / 10);
  text[3] = static_cast<char>('0' + detail % 10);
  return text;
}

void Message::add_option(uint16_t number, std::vector<uint8_t> value) {
  // Insert after every option with a number <= `number`: keeps the list sorted and repeated
  // options in the order they were added (their order is meaningful, e.g. Uri-Path segments).
  const auto position = std::upper_bound(
      options.begin(), options.end(), number,
      [](uint16_t wanted, const Option& existing) { return wanted < existing.number; });
  options.insert(position, Option{number, std::move(value)});
}

void Message::add_uint_option(uint16_t number, uint32_t value) {
  add_option(number, encode_uint(value));
}

void Message::add_string_option(uint16_t number, std::string_view value) {
  add_option(number, std::vector<uint8_t>(value.begin(), value.end()));
}

const Option* Message::find_option(uint16_t number) const {
  const auto it = std::find_if(options.begin(), options.end(),
                               [number](const Option& o) { return o.number == number; });
  return it == options.end() ? nullptr : &*it;
}

std::optional<uint32_t> Message::uint_option(uint16_t number) const {
  const Option* found = find_option(number);
  if (found == nullptr || found->value.size() > 4) {
    return std::nullopt;
  }
  // RFC 7252 §3.2: network byte order; leading zero bytes are legal and change nothing.
  uint32_t value = 0;
  for (const uint8_t byte : found->value) {
    value = (value << 8) | byte;
  }
  return value;
}

std::string Message::uri_path() const {
  std::string path;
  for (const Option& o : options) {
    if (o.number == option::kUriPath) {
      path += '/';
      path.append(o.value.begin(), o.value.end());
    }
  }
  return path.empty() ? "/" : path;
}

std::vector<std::string> Message::uri_queries() const {
  std::vector<std::string> queries;
  for (const Option& o : options) {
    if (o.number == option::kUriQuery) {
      queries.emplace_back(o.value.begin(), o.value.end());
    }
  }
  return queries;
}

void Message::set_uri_path(std::string_view path) {
  std::erase_if(options, [](const Option& o) { return o.number == option::kUriPath; });
  // RFC 7252 §6.4 steps 8-9: an empty path or "/" gives no Uri-Path option; otherwise every
  // segment after the leading '/' becomes one option, empty segments included ("/a/" is "a", "").
  if (path.starts_with('/')) {
    path.remove_prefix(1);
  }
  if (path.empty()) {
    return;
  }
  while (true) {
    const size_t slash = path.find('/');
    add_string_option(option::kUriPath, path.substr(0, slash));
    if (slash == std::string_view::npos) {
      return;
    }
    path.remove_prefix(slash + 1);
  }
}

std::optional<uint16_t> Message::content_format() const {
  const auto value = uint_option(option::kContentFormat);
  if (!value || *value > 0xffff) {
    return std::nullopt;
  }
  return static_cast<uint16_t>(*value);
}

std::optional<uint16_t> Message::accept() const {
  const auto value = uint_option(option::kAccept);
  if (!value || *value > 0xffff) {
    return std::nullopt;
  }
  return static_cast<uint16_t>(*value);
}

std::vector<uint8_t> encode_uint(uint32_t value) {
  std::vector<uint8_t> bytes;
  for (int shift = 24; shift >= 0; shift -= 8) {
    const auto byte = static_cast<uint8_t>(value >> shift);
    if (byte != 0 || !bytes.empty()) {
      bytes.push_back(byte);
    }
  }
  return bytes;
}

}  // namespace dps::coap
