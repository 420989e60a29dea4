// The few facts of the DTLS record layer (RFC 6347 §4.1, §4.2.2) the UDP listener reads before
// OpenSSL does: which datagrams may open a session, and which carry application data.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace dps::net::dtls_record {

constexpr size_t kHeaderSize = 13;           // type, version, epoch, sequence number, length
constexpr size_t kHandshakeHeaderSize = 12;  // type, length, message_seq, fragment offset/length
constexpr uint8_t kAlert = 21;
constexpr uint8_t kHandshake = 22;
constexpr uint8_t kApplicationData = 23;
constexpr uint8_t kClientHello = 1;
constexpr uint8_t kHelloVerifyRequest = 3;
constexpr uint8_t kDtlsMajorVersion = 0xfe;  // DTLS 1.0 is {254, 255}, DTLS 1.2 {254, 253}

/// The content type of the datagram's first record (0 for an empty datagram).
inline uint8_t content_type(std::span<const uint8_t> datagram) {
  return datagram.empty() ? 0 : datagram[0];
}

/// The handshake message type of a datagram that starts with a handshake record, else 0.
inline uint8_t handshake_type(std::span<const uint8_t> datagram) {
  if (datagram.size() < kHeaderSize + kHandshakeHeaderSize || datagram[0] != kHandshake) return 0;
  return datagram[kHeaderSize];
}

/// A DTLS record of epoch 0 that starts a ClientHello: the only datagram a peer without a session
/// may send (a first ClientHello or one echoing a cookie).
inline bool is_client_hello(std::span<const uint8_t> datagram) {
  return handshake_type(datagram) == kClientHello && datagram[1] == kDtlsMajorVersion &&
         datagram[3] == 0 && datagram[4] == 0;
}

}  // namespace dps::net::dtls_record
