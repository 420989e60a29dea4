// This machine's crypto floor, measured with OpenSSL in the same run as the fleet, and the floor
// cost of ONE provisioning on the server side derived from it: the figure the server's measured
// CPU per provisioning is divided by, so results compare across machines.
#pragma once

#include <string>

namespace dps::bench {

/// Operations per second on one thread, each measured for about `seconds`.
struct CryptoFloor {
  double seconds = 0;       // measuring time of each operation
  double sign_per_s = 0;    // ECDSA P-256 sign of a SHA-256 digest
  double verify_per_s = 0;  // ECDSA P-256 verify of a SHA-256 digest
  double ecdhe_per_s = 0;   // ephemeral P-256 key generation + ECDH derive with a peer key
  std::string openssl;      // OpenSSL version string
};

/// Measures the three operations one after the other on the calling thread.
/// Throws std::runtime_error when OpenSSL fails (no P-256 support: nothing to measure).
CryptoFloor measure_crypto_floor(double seconds);

/// The server-side crypto of one provisioning, counted in floor operations. See
/// provisioning_floor() in crypto_floor.cpp for what each count stands for.
struct FloorCost {
  int ecdhe = 0;
  int sign = 0;
  int verify = 0;
  double micros = 0;      // ecdhe/ecdhe_per_s + sign/sign_per_s + verify/verify_per_s, in µs
  std::string formula;    // one line naming every term
  std::string breakdown;  // multi-line explanation of what is counted
};

FloorCost provisioning_floor(const CryptoFloor& floor);

}  // namespace dps::bench
