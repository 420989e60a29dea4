#include "crypto_floor.hpp"

#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include <array>
#include <chrono>
#include <memory>
#include <sstream>
#include <stdexcept>

namespace dps::bench {
namespace {

using Clock = std::chrono::steady_clock;

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;

Pkey p256_key() {
  Pkey key(EVP_EC_gen("P-256"));
  if (!key) throw std::runtime_error("crypto floor: OpenSSL cannot generate a P-256 key");
  return key;
}

void require(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("crypto floor: ") + what + " failed");
}

// Runs `op` until `seconds` passed (the clock is read every 16 operations); operations/s.
template <class Op>
double per_second(double seconds, Op op) {
  const auto start = Clock::now();
  const auto until = start + std::chrono::duration<double>(seconds);
  uint64_t done = 0;
  Clock::time_point now;
  do {
    for (int i = 0; i < 16; ++i) op();
    done += 16;
    now = Clock::now();
  } while (now < until);
  return static_cast<double>(done) / std::chrono::duration<double>(now - start).count();
}

}  // namespace

CryptoFloor measure_crypto_floor(double seconds) {
  CryptoFloor floor;
  floor.seconds = seconds;
  floor.openssl = OpenSSL_version(OPENSSL_VERSION);
  const Pkey key = p256_key();
  // A SHA-256 digest, as TLS CertificateVerify and X.509 signatures sign (hashing the few hundred
  // bytes of a transcript or TBSCertificate is small next to the EC arithmetic).
  std::array<unsigned char, 32> digest{};
  for (size_t i = 0; i < digest.size(); ++i) digest[i] = static_cast<unsigned char>(i * 7 + 1);
  std::array<unsigned char, 80> signature{};
  size_t signature_len = signature.size();

  PkeyCtx sign(EVP_PKEY_CTX_new(key.get(), nullptr));
  require(sign && EVP_PKEY_sign_init(sign.get()) == 1, "ECDSA sign init");
  floor.sign_per_s = per_second(seconds, [&] {
    signature_len = signature.size();
    require(EVP_PKEY_sign(sign.get(), signature.data(), &signature_len, digest.data(),
                          digest.size()) == 1,
            "ECDSA sign");
  });

  PkeyCtx verify(EVP_PKEY_CTX_new(key.get(), nullptr));
  require(verify && EVP_PKEY_verify_init(verify.get()) == 1, "ECDSA verify init");
  floor.verify_per_s = per_second(seconds, [&] {
    require(EVP_PKEY_verify(verify.get(), signature.data(), signature_len, digest.data(),
                            digest.size()) == 1,
            "ECDSA verify");
  });

  // What a server does for ECDHE in each handshake: a fresh ephemeral key, then the shared secret
  // with the client's share (here one fixed peer key). The key generation context is set up once
  // (a server can keep it); the derive context is per key, as it must be. The peer key is not
  // validated again here (EVP_PKEY_derive_set_peer's full public-key check costs about as much
  // as the derive itself): decoding the client's share already checks that it is on the curve,
  // and P-256 has cofactor 1, so the extra check is not part of the floor.
  const Pkey peer = p256_key();
  PkeyCtx keygen(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  require(keygen && EVP_PKEY_keygen_init(keygen.get()) == 1 &&
              EVP_PKEY_CTX_set_group_name(keygen.get(), "P-256") == 1,
          "EC keygen init");
  std::array<unsigned char, 64> secret{};
  floor.ecdhe_per_s = per_second(seconds, [&] {
    EVP_PKEY* raw = nullptr;
    require(EVP_PKEY_keygen(keygen.get(), &raw) == 1, "EC keygen");
    const Pkey ephemeral(raw);
    PkeyCtx derive(EVP_PKEY_CTX_new(ephemeral.get(), nullptr));
    require(derive && EVP_PKEY_derive_init(derive.get()) == 1, "ECDH init");
    require(EVP_PKEY_derive_set_peer_ex(derive.get(), peer.get(), 0) == 1, "ECDH peer");
    size_t secret_len = secret.size();
    require(EVP_PKEY_derive(derive.get(), secret.data(), &secret_len) == 1, "ECDH derive");
  });
  return floor;
}

// What the server must compute for one provisioning, at the least, counted in the operations
// measured above (no hashing, symmetric crypto, parsing, re-validation of the peer's ECDHE share,
// I/O or database work):
//  - two mutually authenticated TLS handshakes (the device's time session and its provisioning
//    session; no resumption). Per handshake on the server:
//      1 ECDHE  its ephemeral key and the shared secret,
//      1 sign   its CertificateVerify (TLS 1.3) / ServerKeyExchange (TLS 1.2),
//      1 verify the device's CertificateVerify,
//      2 verify the device's chain: leaf by intermediate, intermediate by root (the trust anchor
//               itself is not verified);
//  - credentials: 1 verify (the CSR's self-signature) and 1 sign (the identity certificate);
//  - cloud-configuration: 1 sign (the ES256 access token).
// Total: 2 ECDHE + (2 + 1 + 1) sign + (2 * 3 + 1) verify = 2 ECDHE + 4 sign + 7 verify.
FloorCost provisioning_floor(const CryptoFloor& floor) {
  FloorCost cost;
  constexpr int kHandshakes = 2;
  cost.ecdhe = kHandshakes * 1;
  cost.sign = kHandshakes * 1 + 1 + 1;
  cost.verify = kHandshakes * (1 + 2) + 1;
  const auto us = [](int n, double per_s) { return per_s > 0 ? n * 1e6 / per_s : 0.0; };
  cost.micros = us(cost.ecdhe, floor.ecdhe_per_s) + us(cost.sign, floor.sign_per_s) +
                us(cost.verify, floor.verify_per_s);
  std::ostringstream formula;
  formula << cost.ecdhe << " ECDHE + " << cost.sign << " sign + " << cost.verify
          << " verify = " << cost.ecdhe << "/ecdhe_per_s + " << cost.sign << "/sign_per_s + "
          << cost.verify << "/verify_per_s";
  cost.formula = formula.str();
  cost.breakdown =
      "two mutually authenticated TLS handshakes, each: 1 ECDHE (ephemeral keygen + derive),\n"
      "1 sign (server CertificateVerify), 1 verify (device CertificateVerify), 2 verify (device\n"
      "chain: leaf, intermediate); plus 1 verify (CSR), 1 sign (identity certificate), 1 sign\n"
      "(access token). Hashing, AES, parsing, peer-key re-validation, I/O and the database are\n"
      "not counted.";
  return cost;
}

}  // namespace dps::bench
