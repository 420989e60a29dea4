// CoAP message model shared by the TCP codec, the device session, the provisioning router and the
// device client. Codes and option numbers: RFC 7252 §12, RFC 8323 §5 (signals), OCF 2.x
// (2049/2053).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace dps::coap {

/// Code byte: class in the top 3 bits, detail in the low 5 (RFC 7252 §3). 0.xx are methods,
/// 2.xx-5.xx responses, 7.xx signals (RFC 8323 §5).
enum class Code : uint8_t {
  Empty = 0,
  Get = 1,
  Post = 2,
  Put = 3,
  Delete = 4,
  Created = 65,                    // 2.01
  Deleted = 66,                    // 2.02
  Valid = 67,                      // 2.03
  Changed = 68,                    // 2.04
  Content = 69,                    // 2.05
  Continue = 95,                   // 2.31 (RFC 7959 §2.9.1: send the next Block1 block)
  BadRequest = 128,                // 4.00
  Unauthorized = 129,              // 4.01
  BadOption = 130,                 // 4.02
  Forbidden = 131,                 // 4.03
  NotFound = 132,                  // 4.04
  MethodNotAllowed = 133,          // 4.05
  NotAcceptable = 134,             // 4.06
  RequestEntityIncomplete = 136,   // 4.08 (RFC 7959 §2.9.2: Block1 block out of sequence)
  RequestEntityTooLarge = 141,     // 4.13
  UnsupportedContentFormat = 143,  // 4.15
  InternalServerError = 160,       // 5.00
  NotImplemented = 161,            // 5.01
  ServiceUnavailable = 163,        // 5.03
  GatewayTimeout = 164,            // 5.04
  Csm = 225,                       // 7.01
  Ping = 226,                      // 7.02
  Pong = 227,                      // 7.03
  Release = 228,                   // 7.04
  Abort = 229,                     // 7.05
};

constexpr uint8_t code_class(Code c) { return static_cast<uint8_t>(c) >> 5; }
constexpr uint8_t code_detail(Code c) { return static_cast<uint8_t>(c) & 0x1f; }
constexpr bool is_request(Code c) { return code_class(c) == 0 && c != Code::Empty; }
constexpr bool is_response(Code c) { return code_class(c) >= 2 && code_class(c) <= 5; }
constexpr bool is_signal(Code c) { return code_class(c) == 7; }
/// "2.05" style text for logs and errors.
std::string to_string(Code c);

/// Option numbers we name. Signal options (RFC 8323 §5.3-5.6) reuse small numbers per signal code.
namespace option {
constexpr uint16_t kIfMatch = 1;
constexpr uint16_t kUriHost = 3;
constexpr uint16_t kETag = 4;
constexpr uint16_t kObserve = 6;
constexpr uint16_t kUriPort = 7;
constexpr uint16_t kUriPath = 11;
constexpr uint16_t kContentFormat = 12;
constexpr uint16_t kMaxAge = 14;
constexpr uint16_t kUriQuery = 15;
constexpr uint16_t kAccept = 17;
constexpr uint16_t kBlock2 = 23;
constexpr uint16_t kBlock1 = 27;
constexpr uint16_t kSize2 = 28;
constexpr uint16_t kSize1 = 60;
/// OCF-Accept-Content-Format-Version (critical: odd). Devices send 2048 (OCF 1.0).
constexpr uint16_t kOcfAcceptContentFormatVersion = 2049;
/// OCF-Content-Format-Version (critical: odd), sent with POST bodies.
constexpr uint16_t kOcfContentFormatVersion = 2053;
// RFC 8323 §5.3: CSM options.
constexpr uint16_t kCsmMaxMessageSize = 2;
constexpr uint16_t kCsmBlockWiseTransfer = 4;
// RFC 8323 §5.4: Ping/Pong option.
constexpr uint16_t kPingCustody = 2;
// RFC 8323 §5.6: Abort option.
constexpr uint16_t kAbortBadCsmOption = 2;

constexpr bool is_critical(uint16_t number) { return (number & 1) != 0; }
}  // namespace option

/// Content formats (RFC 7252 §12.3 registry; OCF).
namespace content_format {
constexpr uint16_t kTextPlain = 0;
constexpr uint16_t kJson = 50;
constexpr uint16_t kCbor = 60;
constexpr uint16_t kOcfCbor = 10000;  // application/vnd.ocf+cbor
}  // namespace content_format

struct Option {
  uint16_t number = 0;
  std::vector<uint8_t> value;

  bool operator==(const Option&) const = default;
};

/// A decoded CoAP message. Options are kept sorted by number (stable for repeated options), which
/// is the order the wire needs; use add_option() to keep that invariant.
struct Message {
  Code code = Code::Empty;
  std::vector<uint8_t> token;  // 0..8 bytes
  std::vector<Option> options;
  std::vector<uint8_t> payload;

  bool operator==(const Message&) const = default;

  void add_option(uint16_t number, std::vector<uint8_t> value);
  void add_uint_option(uint16_t number, uint32_t value);  // minimal big-endian (RFC 7252 §3.2)
  void add_string_option(uint16_t number, std::string_view value);

  const Option* find_option(uint16_t number) const;
  /// Unsigned value of the first option `number`, if present and at most 4 bytes long.
  std::optional<uint32_t> uint_option(uint16_t number) const;
  /// "/a/b/c" from the Uri-Path options ("/" when there are none).
  std::string uri_path() const;
  /// Uri-Query options, each "k=v".
  std::vector<std::string> uri_queries() const;
  void set_uri_path(std::string_view path);  // splits on '/', one option per segment

  std::optional<uint16_t> content_format() const;
  std::optional<uint16_t> accept() const;
  std::string_view payload_text() const {
    return {reinterpret_cast<const char*>(payload.data()), payload.size()};
  }
};

/// Encodes an unsigned option value in the minimal number of bytes (0 → empty).
std::vector<uint8_t> encode_uint(uint32_t value);

}  // namespace dps::coap
