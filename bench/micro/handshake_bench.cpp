// BM_DeviceHandshake: the server's CPU for one mutually authenticated device handshake, through
// the real server context (net::make_device_tls_context: enrollment-group matching in the verify
// callback) against the real device client context (device::ClientTls). Google Benchmark's own
// time covers both sides plus SSL setup; the counters split out the server's share:
//   server_us  thread CPU of the server SSL's life (new, every SSL_do_handshake, free), per
//              handshake: what a dps I/O thread spends, minus sockets and Asio;
//   total_us   thread CPU of the whole iteration (device + server), per handshake;
//   device_us  the difference: the simulated device's half.
#include <benchmark/benchmark.h>

#include "handshake.hpp"
#include "thread_cpu.hpp"
#include "world.hpp"

namespace dps::microbench {
namespace {

void BM_DeviceHandshake(benchmark::State& state) {
  World* w = world_or_skip(state);
  if (w == nullptr) return;
  const bool tls12 = state.range(0) == 12;
  const int expected_version = tls12 ? TLS1_2_VERSION : TLS1_3_VERSION;
  SSL_CTX* server_ctx = w->server_tls->native_handle();
  SSL_CTX* client_ctx = (tls12 ? w->device_tls12 : w->device_tls13)->context().native_handle();

  int64_t server_ns = 0;
  int64_t total_ns = 0;
  int64_t server_calls = 0;
  static std::string why;  // outlives the SkipWithError call
  for (auto _ : state) {
    const int64_t start = thread_cpu_ns();
    HandshakeRun run = run_handshake(server_ctx, client_ctx);
    total_ns += thread_cpu_ns() - start;
    if (!run.ok) {
      why = "handshake failed: " + run.error;
      return state.SkipWithError(why.c_str());
    }
    if (run.version != expected_version || run.outcome.group.group_id != w->group_id ||
        run.outcome.peer.registration_id != w->peer.registration_id) {
      why = "wrong version or verdict: " + run.outcome.group.group_id;
      return state.SkipWithError(why.c_str());
    }
    server_ns += run.server_cpu_ns;
    server_calls += run.server_calls;
  }
  const auto per_handshake = benchmark::Counter::kAvgIterations;
  state.counters["server_us"] =
      benchmark::Counter(static_cast<double>(server_ns) / 1e3, per_handshake);
  state.counters["total_us"] =
      benchmark::Counter(static_cast<double>(total_ns) / 1e3, per_handshake);
  state.counters["device_us"] =
      benchmark::Counter(static_cast<double>(total_ns - server_ns) / 1e3, per_handshake);
  state.counters["server_calls"] =
      benchmark::Counter(static_cast<double>(server_calls), per_handshake);
}
BENCHMARK(BM_DeviceHandshake)->ArgName("tls")->Arg(12)->Arg(13)->Unit(benchmark::kMicrosecond);

// The cost of the clock itself: run_handshake reads it 2 x (server_calls + 2) times per
// handshake, which server_us includes. A syscall on most VMs (no vDSO for the thread clock).
void BM_ThreadCpuClock(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(thread_cpu_ns());
}
BENCHMARK(BM_ThreadCpuClock);

}  // namespace
}  // namespace dps::microbench
