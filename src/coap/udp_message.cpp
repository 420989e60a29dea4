#include "coap/udp_message.hpp"

#include <cassert>

namespace dps::coap {
namespace {

// Code classes RFC 7252 §12.1 leaves reserved. 7.xx carries signals on reliable transports only
// (RFC 8323 §5), so over UDP it is as unusable as 1.xx and 6.xx.
bool is_reserved_class(Code code) {
  const uint8_t c = code_class(code);
  return c == 1 || c == 6 || c == 7;
}

DatagramFault datagram_fault(option_codec::BodyError error) {
  switch (error) {
    case option_codec::BodyError::BadOptionEncoding:
      return DatagramFault::BadOptionEncoding;
    case option_codec::BodyError::EmptyPayloadAfterMarker:
      return DatagramFault::EmptyPayloadMarker;
    case option_codec::BodyError::Truncated:
      return DatagramFault::TruncatedOption;
    case option_codec::BodyError::TooManyOptions:
      return DatagramFault::TooManyOptions;
    case option_codec::BodyError::OptionTooLong:
      return DatagramFault::OptionTooLong;
  }
  return DatagramFault::BadOptionEncoding;
}

void append_datagram(const Datagram& d, std::vector<uint8_t>& out) {
  const Message& m = d.message;
  assert(m.token.size() <= kMaxTokenLength);
  assert(m.code != Code::Empty || (m.token.empty() && m.options.empty() && m.payload.empty()));
  out.push_back(
      static_cast<uint8_t>(kCoapVersion << 6 | static_cast<uint8_t>(d.type) << 4 | m.token.size()));
  out.push_back(static_cast<uint8_t>(m.code));
  option_codec::append_big_endian(out, d.message_id, 2);
  out.insert(out.end(), m.token.begin(), m.token.end());
  option_codec::append_body(m, out);
}

}  // namespace

std::string_view to_string(MessageType type) {
  switch (type) {
    case MessageType::Confirmable:
      return "CON";
    case MessageType::NonConfirmable:
      return "NON";
    case MessageType::Acknowledgement:
      return "ACK";
    case MessageType::Reset:
      return "RST";
  }
  return "???";
}

std::string_view to_string(DatagramFault fault) {
  switch (fault) {
    case DatagramFault::TooShort:
      return "datagram shorter than the CoAP header";
    case DatagramFault::UnknownVersion:
      return "unknown CoAP version";
    case DatagramFault::MessageTooLarge:
      return "message too large";
    case DatagramFault::BadTokenLength:
      return "bad token length";
    case DatagramFault::TruncatedToken:
      return "datagram ends inside the token";
    case DatagramFault::NonEmptyEmpty:
      return "empty message with token, options or payload";
    case DatagramFault::BadOptionEncoding:
      return "bad option encoding";
    case DatagramFault::EmptyPayloadMarker:
      return "empty payload after payload marker";
    case DatagramFault::TruncatedOption:
      return "option runs past the end of the datagram";
    case DatagramFault::TooManyOptions:
      return "too many options in one message";
    case DatagramFault::OptionTooLong:
      return "option value too long";
  }
  return "unknown datagram fault";
}

DatagramResult decode_datagram(std::span<const uint8_t> bytes, size_t max_message_size) {
  if (bytes.size() < kDatagramHeaderSize) {
    return DatagramError{DatagramFault::TooShort, std::nullopt};
  }
  if ((bytes[0] >> 6) != kCoapVersion) {
    return DatagramError{DatagramFault::UnknownVersion, std::nullopt};
  }
  const DatagramHeader header{static_cast<MessageType>((bytes[0] >> 4) & 0x03),
                              static_cast<uint16_t>(bytes[2] << 8 | bytes[3])};
  const auto refuse = [&header](DatagramFault fault) { return DatagramError{fault, header}; };
  if (bytes.size() > max_message_size) {
    return refuse(DatagramFault::MessageTooLarge);
  }
  const size_t token_length = bytes[0] & 0x0f;
  if (token_length > kMaxTokenLength) {
    return refuse(DatagramFault::BadTokenLength);
  }
  if (bytes.size() < kDatagramHeaderSize + token_length) {
    return refuse(DatagramFault::TruncatedToken);
  }
  const auto code = static_cast<Code>(bytes[1]);
  // RFC 7252 §3: an Empty message is the 4-byte header and nothing else; anything more "MUST be
  // processed as a message format error". Checked before decoding, so it costs no allocation.
  if (code == Code::Empty && bytes.size() != kDatagramHeaderSize) {
    return refuse(DatagramFault::NonEmptyEmpty);
  }
  Datagram d{header.type, header.message_id, Message{}};
  d.message.code = code;
  const auto token = bytes.subspan(kDatagramHeaderSize, token_length);
  d.message.token.assign(token.begin(), token.end());
  if (auto e =
          option_codec::decode_body(bytes.subspan(kDatagramHeaderSize + token_length), d.message)) {
    return refuse(datagram_fault(*e));
  }
  return d;
}

void encode_datagram(const Datagram& d, std::vector<uint8_t>& out) {
  if (!option_codec::options_sorted(d.message)) {
    append_datagram(Datagram{d.type, d.message_id, option_codec::with_sorted_options(d.message)},
                    out);
    return;
  }
  append_datagram(d, out);
}

std::vector<uint8_t> encode_datagram(const Datagram& d) {
  std::vector<uint8_t> out;
  out.reserve(datagram_size(d));
  encode_datagram(d, out);
  return out;
}

size_t datagram_size(const Datagram& d) {
  if (!option_codec::options_sorted(d.message)) {
    return datagram_size(
        Datagram{d.type, d.message_id, option_codec::with_sorted_options(d.message)});
  }
  return kDatagramHeaderSize + d.message.token.size() + option_codec::body_size(d.message);
}

Disposition disposition(const Datagram& d) {
  const Code code = d.message.code;
  const bool empty = code == Code::Empty;
  switch (d.type) {
    case MessageType::Confirmable:
      return empty || is_reserved_class(code) ? Disposition::Reset : Disposition::Process;
    case MessageType::NonConfirmable:
      return empty || is_reserved_class(code) ? Disposition::Ignore : Disposition::Process;
    case MessageType::Acknowledgement:
      return empty || is_response(code) ? Disposition::Process : Disposition::Ignore;
    case MessageType::Reset:
      return empty ? Disposition::Process : Disposition::Ignore;
  }
  return Disposition::Ignore;
}

Disposition disposition(const DatagramError& error) {
  return error.header && error.header->type == MessageType::Confirmable ? Disposition::Reset
                                                                        : Disposition::Ignore;
}

Datagram make_ack(uint16_t message_id) {
  return Datagram{MessageType::Acknowledgement, message_id, Message{}};
}

Datagram make_reset(uint16_t message_id) {
  return Datagram{MessageType::Reset, message_id, Message{}};
}

Datagram piggybacked(const Datagram& request, Message response) {
  response.token = request.message.token;
  return Datagram{MessageType::Acknowledgement, request.message_id, std::move(response)};
}

Datagram reply_to(const Datagram& request, Message response, uint16_t fresh_message_id) {
  if (request.type == MessageType::Confirmable) {
    return piggybacked(request, std::move(response));
  }
  response.token = request.message.token;
  return Datagram{MessageType::NonConfirmable, fresh_message_id, std::move(response)};
}

}  // namespace dps::coap
