// Stateless HelloVerifyRequest cookies (RFC 6347 §4.2.1): a DTLS server answers a ClientHello
// without a valid cookie with a cookie only, and keeps no state for that peer, so that a spoofed
// source address costs dps one HMAC and one datagram no larger than the ClientHello. The cookie
// is an HMAC-SHA256 over the peer's address and port under a random secret that changes every
// `rotation`; cookies of the current and the previous secret are accepted, so a cookie stays
// good for one to two rotation periods, long enough for a round trip and too short to collect.
#pragma once

#include <openssl/ssl.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <span>

namespace dps::net {

class DtlsCookieSecret {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr size_t kCookieSize = 16;  // of HMAC-SHA256's 32: 128 bits cannot be guessed
  static constexpr std::chrono::seconds kDefaultRotation{60};

  explicit DtlsCookieSecret(Clock::duration rotation = kDefaultRotation);

  /// The cookie for a peer, identified by bytes that name its address and port (peer_bytes).
  std::array<uint8_t, kCookieSize> cookie_for(std::span<const uint8_t> peer,
                                              Clock::time_point now = Clock::now());
  /// Whether `cookie` is the current or the previous secret's cookie for `peer` (constant time).
  bool verify(std::span<const uint8_t> peer, std::span<const uint8_t> cookie,
              Clock::time_point now = Clock::now());
  /// Replaces the secret now (the current one becomes the previous one).
  void rotate(Clock::time_point now = Clock::now());

 private:
  using Secret = std::array<uint8_t, 32>;
  // Both secrets, rotated first if due; a copy so the HMACs run outside the lock.
  std::pair<Secret, Secret> secrets(Clock::time_point now);
  void rotate_locked(Clock::time_point now);

  const Clock::duration rotation_;
  std::mutex mutex_;
  Secret current_{};   // guarded by mutex_
  Secret previous_{};  // guarded by mutex_; random too, so nothing matches it before a rotation
  Clock::time_point rotated_at_;
};

/// What a cookie binds a peer to: address family, port and address, from a BIO_ADDR. Empty when
/// it is no IP address.
struct PeerBytes {
  std::array<uint8_t, 1 + 2 + 16> bytes{};
  size_t size = 0;
  std::span<const uint8_t> view() const { return {bytes.data(), size}; }
};
PeerBytes peer_bytes(const BIO_ADDR* peer);

/// Turns on cookie exchange for every SSL of `ctx` (SSL_OP_COOKIE_EXCHANGE) with cookies of
/// `secret`, which must outlive `ctx`. The callbacks read the peer from the SSL's read BIO
/// (BIO_CTRL_DGRAM_GET_PEER); a peer they cannot name gets no cookie and passes none.
void enable_cookie_exchange(SSL_CTX* ctx, DtlsCookieSecret* secret);

}  // namespace dps::net
