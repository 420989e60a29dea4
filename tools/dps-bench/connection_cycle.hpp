// Connections mode's unit of work: one device-like connection, the shortest one a device makes
// (mutual TLS handshake with its manufacturer chain, one small request and its answer, close),
// either to dps (CoAP over TCP: GET /x.plgd.dev/time, the device's first step) or to a web server
// on the same certificates (HTTP/1.1 GET), so that one client binary measures both
// (bench/nginx-side-by-side.sh).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "device/fleet.hpp"
#include "device/tls_client.hpp"

namespace dps::bench {

struct ConnectionCycleOptions {
  size_t count = 0;
  size_t concurrency = 16;  // connections in flight at once
  unsigned threads = 1;
  std::vector<device::ServerAddress> servers;  // connection i goes to servers[i % size]
  std::chrono::milliseconds timeout{10'000};   // connect + handshake, then the answer
  /// Empty: CoAP GET /x.plgd.dev/time. Otherwise HTTP/1.1 GET of this path; the answer must
  /// be 200.
  std::string http_path;
  std::function<void(size_t done, size_t failed)> on_progress;
};

struct ConnectionCycleResult {
  size_t served = 0;  // handshake, request and a good answer
  size_t failed = 0;
  std::vector<std::string> first_errors;  // "connection 12: connect: ..."
  std::string tls_version;                // of the first served connection ("TLSv1.3")
  std::string cipher;
};

/// Runs `options.count` connections with `tls` (one identity for all: the server's cost per
/// connection, not per device record), `options.concurrency` at a time. Each closes its socket
/// after the answer without a TLS close_notify, whatever the server, so both servers see the
/// same end of a connection.
ConnectionCycleResult run_connection_cycles(const ConnectionCycleOptions& options,
                                            const std::shared_ptr<device::ClientTls>& tls);

}  // namespace dps::bench
