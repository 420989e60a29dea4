// The server side of the device handshake on any TLS library, so that OpenSSL, GnuTLS and wolfSSL
// can be measured doing the same work (BM_LibraryHandshake, library_handshake.cpp): the same
// server certificate chain and key, the device's chain verified against the enrollment group's
// root with the library's own verifier, TLS 1.2 and 1.3 with the device suites and groups, no
// tickets, no session cache. The device is always OpenSSL (device::ClientTls), so only the server
// differs.
//
// This header includes no TLS library: wolfSSL's headers define OpenSSL's names themselves, so
// each library's server lives in a translation unit of its own that sees only its own library.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace benchmark {
class State;
}

namespace dps::microbench {

/// Bytes in flight in one direction. The server reads and writes it through its library's I/O
/// callbacks (what a socket is to dps); the device's side moves bytes outside the server's timing.
class ByteQueue {
 public:
  void write(const void* data, size_t size) {
    const auto* bytes = static_cast<const uint8_t*>(data);
    bytes_.insert(bytes_.end(), bytes, bytes + size);
  }
  /// Up to `size` bytes; 0 when empty.
  size_t read(void* out, size_t size) {
    const size_t n = std::min(size, bytes_.size() - start_);
    if (n > 0) std::memcpy(out, bytes_.data() + start_, n);
    start_ += n;
    if (start_ == bytes_.size()) {
      bytes_.clear();
      start_ = 0;
    }
    return n;
  }
  size_t size() const { return bytes_.size() - start_; }

 private:
  std::vector<uint8_t> bytes_;
  size_t start_ = 0;
};

struct ByteLink {
  ByteQueue to_server;
  ByteQueue to_device;
};

/// One accepted connection's server side. Destroying it frees the library's session (timed).
class ServerConnection {
 public:
  virtual ~ServerConnection() = default;
  enum class Step { Done, WantIo, Failed };
  /// One call of the library's handshake function (it reads and writes the link).
  virtual Step handshake() = 0;
  /// Why the last step failed, in the library's words.
  virtual std::string error() const = 0;
  /// "TLS1.2" or "TLS1.3", once done.
  virtual std::string version() const = 0;
  /// The negotiated suite in IANA form ("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"), once done.
  virtual std::string suite() const = 0;
  /// The library's verifier accepted the device's chain (not merely: a certificate was sent).
  virtual bool peer_verified() const = 0;
};

/// One library's server context: built once, shared by every connection.
class ServerLibrary {
 public:
  virtual ~ServerLibrary() = default;
  /// A fresh server session reading and writing `link` (which outlives it).
  virtual std::unique_ptr<ServerConnection> accept(ByteLink& link) = 0;
};

/// The server's identity and the device's trust anchor, as PEM.
struct TlsMaterial {
  std::string server_chain_pem;  // leaf first
  std::string server_key_pem;
  std::string group_root_pem;  // the enrollment group's root: the only trust anchor
  std::string foreign_ca_pem;  // a CA that did not issue the device: must refuse it
};

/// Builds a library's server trusting `trusted_ca_pem` (one of `material`'s). Null and `error`
/// set when the library refuses the configuration.
using ServerFactory = std::unique_ptr<ServerLibrary> (*)(const TlsMaterial& material,
                                                         const std::string& trusted_ca_pem,
                                                         std::string* error);

/// The benchmark every library registers (BENCHMARK_CAPTURE with its factory, Arg 12 or 13 for
/// the TLS version). Counters as BM_DeviceHandshake's: server_us (the server session's whole life
/// on the thread CPU clock), server_calls. Label: the negotiated version and suite.
void BM_LibraryHandshake(benchmark::State& state, ServerFactory factory);

/// Registers BM_LibraryHandshake for the library `factory` makes, as `name`, on TLS 1.2 and 1.3.
#define DPS_LIBRARY_HANDSHAKE_BENCHMARK(name, factory)  \
  BENCHMARK_CAPTURE(BM_LibraryHandshake, name, factory) \
      ->ArgName("tls")                                  \
      ->Arg(12)                                         \
      ->Arg(13)                                         \
      ->Unit(benchmark::kMicrosecond)

}  // namespace dps::microbench
