#include "net/dtls_cookie.hpp"

#include <netinet/in.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace dps::net {
namespace {

int secret_index() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

void fill_random(std::span<uint8_t> out) {
  // A predictable secret would let anyone forge cookies for spoofed addresses: no fallback.
  if (RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) {
    std::fputs("dps: RAND_bytes failed for the DTLS cookie secret\n", stderr);
    std::abort();
  }
}

using Mac = std::array<uint8_t, 32>;

Mac mac_of(std::span<const uint8_t> secret, std::span<const uint8_t> peer) {
  Mac mac{};
  unsigned int size = 0;
  if (HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()), peer.data(), peer.size(),
           mac.data(), &size) == nullptr ||
      size != mac.size()) {
    std::fputs("dps: HMAC-SHA256 failed for a DTLS cookie\n", stderr);
    std::abort();
  }
  return mac;
}

PeerBytes peer_of(SSL* ssl) {
  BIO_ADDR* peer = BIO_ADDR_new();
  PeerBytes bytes;
  if (peer != nullptr && BIO_dgram_get_peer(SSL_get_rbio(ssl), peer) > 0) {
    bytes = peer_bytes(peer);
  }
  BIO_ADDR_free(peer);
  return bytes;
}

DtlsCookieSecret* secret_of(SSL* ssl) {
  return static_cast<DtlsCookieSecret*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), secret_index()));
}

int generate_cookie(SSL* ssl, unsigned char* cookie, unsigned int* size) {
  DtlsCookieSecret* secret = secret_of(ssl);
  const PeerBytes peer = peer_of(ssl);
  if (secret == nullptr || peer.size == 0) return 0;
  const auto made = secret->cookie_for(peer.view());
  // OpenSSL's buffer holds DTLS1_COOKIE_LENGTH (255) bytes.
  std::memcpy(cookie, made.data(), made.size());
  *size = static_cast<unsigned int>(made.size());
  return 1;
}

int verify_cookie(SSL* ssl, const unsigned char* cookie, unsigned int size) {
  DtlsCookieSecret* secret = secret_of(ssl);
  const PeerBytes peer = peer_of(ssl);
  if (secret == nullptr || peer.size == 0) return 0;
  return secret->verify(peer.view(), {cookie, size}) ? 1 : 0;
}

}  // namespace

DtlsCookieSecret::DtlsCookieSecret(Clock::duration rotation) : rotation_(rotation) {
  fill_random(previous_);
  fill_random(current_);
  rotated_at_ = Clock::now();
}

std::pair<DtlsCookieSecret::Secret, DtlsCookieSecret::Secret> DtlsCookieSecret::secrets(
    Clock::time_point now) {
  std::lock_guard lock(mutex_);
  if (now - rotated_at_ >= rotation_) rotate_locked(now);
  return {current_, previous_};
}

void DtlsCookieSecret::rotate_locked(Clock::time_point now) {
  previous_ = current_;
  fill_random(current_);
  rotated_at_ = now;
}

void DtlsCookieSecret::rotate(Clock::time_point now) {
  std::lock_guard lock(mutex_);
  rotate_locked(now);
}

std::array<uint8_t, DtlsCookieSecret::kCookieSize> DtlsCookieSecret::cookie_for(
    std::span<const uint8_t> peer, Clock::time_point now) {
  const auto mac = mac_of(secrets(now).first, peer);
  std::array<uint8_t, kCookieSize> cookie{};
  std::memcpy(cookie.data(), mac.data(), cookie.size());
  return cookie;
}

bool DtlsCookieSecret::verify(std::span<const uint8_t> peer, std::span<const uint8_t> cookie,
                              Clock::time_point now) {
  if (cookie.size() != kCookieSize) return false;
  const auto [current, previous] = secrets(now);
  // Both compared every time, in constant time: how long a check takes says nothing about which
  // secret (or how many bytes) a forged cookie matched.
  const Mac with_current = mac_of(current, peer);
  const Mac with_previous = mac_of(previous, peer);
  const bool matches_current = CRYPTO_memcmp(with_current.data(), cookie.data(), kCookieSize) == 0;
  const bool matches_previous =
      CRYPTO_memcmp(with_previous.data(), cookie.data(), kCookieSize) == 0;
  return matches_current | matches_previous;
}

PeerBytes peer_bytes(const BIO_ADDR* peer) {
  PeerBytes out;
  const int family = BIO_ADDR_family(peer);
  if (family != AF_INET && family != AF_INET6) return out;
  size_t size = 0;
  if (BIO_ADDR_rawaddress(peer, nullptr, &size) != 1 || size > 16) return out;
  out.bytes[0] = family == AF_INET ? 4 : 6;
  const uint16_t port = BIO_ADDR_rawport(peer);  // network order, as it is: only compared
  std::memcpy(&out.bytes[1], &port, sizeof port);
  if (BIO_ADDR_rawaddress(peer, &out.bytes[3], &size) != 1) return {};
  out.size = 3 + size;
  return out;
}

void enable_cookie_exchange(SSL_CTX* ctx, DtlsCookieSecret* secret) {
  SSL_CTX_set_ex_data(ctx, secret_index(), secret);
  SSL_CTX_set_cookie_generate_cb(ctx, generate_cookie);
  SSL_CTX_set_cookie_verify_cb(ctx, verify_cookie);
  SSL_CTX_set_options(ctx, SSL_OP_COOKIE_EXCHANGE);
}

}  // namespace dps::net
