// BM_LibraryHandshake: the server's CPU for the device handshake on each TLS library dps could use
// (server_library.hpp), against the real device client context (device::ClientTls, OpenSSL), in
// this thread over an in-memory link. BM_DeviceHandshake measures dps's own server context; this
// measures the libraries doing the same cryptography and chain verification, so the two together
// tell the library's share from dps's verify callback's share.
#include <benchmark/benchmark.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "pki/pem.hpp"
#include "server_library.hpp"
#include "thread_cpu.hpp"
#include "world.hpp"

namespace dps::microbench {
namespace {

// As handshake.cpp: a full handshake takes each side two or three calls.
constexpr int kMaxLibraryRounds = 16;
// The device's TLS 1.2 suite of the measurement (iotivity-lite's first).
constexpr const char* kTls12Suite = "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256";

struct LibraryRun {
  bool ok = false;
  std::string error;
  int64_t server_cpu_ns = 0;  // accept, every handshake call, destruction
  int server_calls = 0;
  std::string version;
  std::string suite;
};

// The device: a client SSL from the device context over two memory BIOs, whose bytes step()
// carries to and from the link, outside the server's timing.
class Device {
 public:
  explicit Device(SSL_CTX* ctx) : ssl_(SSL_new(ctx)) {
    if (ssl_ == nullptr) return;
    in_ = BIO_new(BIO_s_mem());
    out_ = BIO_new(BIO_s_mem());
    if (in_ == nullptr || out_ == nullptr) {
      BIO_free(in_);
      BIO_free(out_);
      SSL_free(ssl_);
      ssl_ = nullptr;
      return;
    }
    SSL_set_bio(ssl_, in_, out_);  // the SSL owns both now
    SSL_set_connect_state(ssl_);
  }
  ~Device() { SSL_free(ssl_); }
  Device(const Device&) = delete;
  Device& operator=(const Device&) = delete;

  bool ok() const { return ssl_ != nullptr; }

  /// 1 done, 0 waiting for the server, -1 failed.
  int step(ByteLink& link) {
    char buffer[4096];
    for (size_t n; (n = link.to_device.read(buffer, sizeof buffer)) > 0;) {
      BIO_write(in_, buffer, static_cast<int>(n));
    }
    const int rc = SSL_do_handshake(ssl_);
    for (int n; (n = BIO_read(out_, buffer, sizeof buffer)) > 0;) {
      link.to_server.write(buffer, static_cast<size_t>(n));
    }
    if (rc == 1) return 1;
    const int error = SSL_get_error(ssl_, rc);
    return error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE ? 0 : -1;
  }

 private:
  SSL* ssl_ = nullptr;
  BIO* in_ = nullptr;
  BIO* out_ = nullptr;
};

// The server's work, never inlined so that `valgrind --toggle-collect='*server_side_*'` collects
// it alone, as for BM_DeviceHandshake.
[[gnu::noinline]] std::unique_ptr<ServerConnection> server_side_accept(ServerLibrary& library,
                                                                       ByteLink& link) {
  return library.accept(link);
}

[[gnu::noinline]] ServerConnection::Step server_side_step(ServerConnection& server) {
  return server.handshake();
}

[[gnu::noinline]] void server_side_release(std::unique_ptr<ServerConnection> server) {
  server.reset();
}

LibraryRun run_library_handshake(ServerLibrary& library, SSL_CTX* device_ctx) {
  LibraryRun run;
  ByteLink link;
  ERR_clear_error();
  auto server = timed(run.server_cpu_ns, [&] { return server_side_accept(library, link); });
  Device device(device_ctx);
  if (server == nullptr || !device.ok()) {
    run.error = server == nullptr ? "server session not created"
                                  : "SSL_new: " + pki::openssl_error_string();
  } else {
    bool device_done = false;
    bool server_done = false;
    for (int round = 0; round < kMaxLibraryRounds && !(device_done && server_done); ++round) {
      if (!device_done) {
        const int rc = device.step(link);
        if (rc < 0) {
          run.error = "device side: " + pki::openssl_error_string();
          break;
        }
        device_done = rc == 1;
      }
      if (!server_done) {
        ++run.server_calls;
        const auto step = timed(run.server_cpu_ns, [&] { return server_side_step(*server); });
        if (step == ServerConnection::Step::Failed) {
          run.error = "server side: " + server->error();
          break;
        }
        server_done = step == ServerConnection::Step::Done;
      }
    }
    if (run.error.empty() && !(device_done && server_done)) {
      run.error = "handshake made no progress in " + std::to_string(kMaxLibraryRounds) + " rounds";
    }
    if (run.error.empty()) {
      run.version = server->version();
      run.suite = server->suite();
      if (!server->peer_verified()) run.error = "the server did not verify the device's chain";
    }
  }
  run.ok = run.error.empty();
  timed(run.server_cpu_ns, [&] {
    server_side_release(std::move(server));
    return 0;
  });
  ERR_clear_error();
  return run;
}

TlsMaterial material_of(const World& w) {
  return {w.server_chain_pem, w.server_key_pem, w.group_root_pem, w.ca->root_pem()};
}

}  // namespace

void BM_LibraryHandshake(benchmark::State& state, ServerFactory factory) {
  static std::string why;  // outlives the SkipWithError call
  World* w = world_or_skip(state);
  if (w == nullptr) return;
  const bool tls12 = state.range(0) == 12;
  SSL_CTX* device_ctx = (tls12 ? w->device_tls12 : w->device_tls13)->context().native_handle();
  const TlsMaterial material = material_of(*w);
  std::string error;
  const auto library = factory(material, material.group_root_pem, &error);
  if (library == nullptr) {
    why = "server context: " + error;
    return state.SkipWithError(why.c_str());
  }
  // The verification is real work, not a formality: the same server trusting another CA (dps's
  // own, which issued the server certificate but not the device's) refuses this device.
  const auto foreign = factory(material, material.foreign_ca_pem, &error);
  if (foreign == nullptr) {
    why = "server context trusting another CA: " + error;
    return state.SkipWithError(why.c_str());
  }
  if (run_library_handshake(*foreign, device_ctx).ok) {
    why = "a server trusting another CA accepted the device's chain";
    return state.SkipWithError(why.c_str());
  }

  const std::string expected_version = tls12 ? "TLS1.2" : "TLS1.3";
  int64_t server_ns = 0;
  int64_t server_calls = 0;
  std::string label;
  for (auto _ : state) {
    LibraryRun run = run_library_handshake(*library, device_ctx);
    if (!run.ok) {
      why = "handshake failed: " + run.error;
      return state.SkipWithError(why.c_str());
    }
    if (run.version != expected_version || (tls12 && run.suite != kTls12Suite)) {
      why = "negotiated " + run.version + " " + run.suite + ", expected " + expected_version;
      return state.SkipWithError(why.c_str());
    }
    server_ns += run.server_cpu_ns;
    server_calls += run.server_calls;
    if (label.empty()) label = run.version + " " + run.suite;
  }
  state.SetLabel(label);
  const auto per_handshake = benchmark::Counter::kAvgIterations;
  state.counters["server_us"] =
      benchmark::Counter(static_cast<double>(server_ns) / 1e3, per_handshake);
  state.counters["server_calls"] =
      benchmark::Counter(static_cast<double>(server_calls), per_handshake);
}

}  // namespace dps::microbench
