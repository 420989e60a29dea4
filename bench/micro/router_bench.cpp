// Whole provisioning steps in process: the device's request (device/requests.cpp builders)
// through provisioning::Router, which runs the step and returns the answer plus the record
// update; then BM_RecordCommit, what the RecordWriter's thread does with one update (a SQLite
// transaction with synchronous=FULL). Together with two handshakes and the CoAP framing this is
// the server's whole provisioning minus sockets, Asio, TLS records and logging.
#include <benchmark/benchmark.h>

#include <functional>

#include "device/requests.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "world.hpp"

namespace dps::microbench {
namespace {

// A step as a device sends it, and whether it opens its session (time opens the first session,
// ownership the second; the router adds the attestation section to the record then).
struct StepRequest {
  std::function<coap::Message(const World&)> make;
  bool first_of_session = false;
};

const StepRequest kTime{[](const World&) { return device::make_time_request(); }, true};
const StepRequest kOwnership{[](const World&) { return device::make_ownership_request(); }, true};
const StepRequest kCloudConfiguration{
    [](const World& w) { return device::make_cloud_configuration_request(w.device_id, {}); }};
const StepRequest kCredentials{
    [](const World& w) { return device::make_credentials_request(w.device_id, w.csr.csr_pem); }};
const StepRequest kAcls{[](const World&) { return device::make_acls_request(); }};

bool succeeded(coap::Code code) { return coap::code_class(code) == 2; }

void BM_RouterStep(benchmark::State& state, const StepRequest& step) {
  World* w = world_or_skip(state);
  if (w == nullptr) return;
  const coap::Message request = step.make(*w);
  static std::string why;
  for (auto _ : state) {
    // The session pins the current catalog per request (net/device_session.cpp).
    auto result = w->router->handle(w->peer, w->catalogs->get(), request, step.first_of_session);
    if (!succeeded(result.response.code) || !result.record) {
      why = "step answered " + coap::to_string(result.response.code) + ": " +
            std::string(result.response.payload_text());
      return state.SkipWithError(why.c_str());
    }
    benchmark::DoNotOptimize(result);
  }
}
BENCHMARK_CAPTURE(BM_RouterStep, time, kTime);
BENCHMARK_CAPTURE(BM_RouterStep, ownership, kOwnership);
BENCHMARK_CAPTURE(BM_RouterStep, cloud_configuration, kCloudConfiguration);
BENCHMARK_CAPTURE(BM_RouterStep, credentials, kCredentials);
BENCHMARK_CAPTURE(BM_RouterStep, acls, kAcls);

// One record update committed on its own (the RecordWriter's batch of one, an idle server; under
// load several devices share a batch). The credentials update, the largest; the same record id
// every time, so after the first iteration each commit is a merge, as the later steps of a device
// are. Google Benchmark's CPU column is this thread's; wall time includes the fsync.
void BM_RecordCommit(benchmark::State& state) {
  World* w = world_or_skip(state);
  if (w == nullptr) return;
  auto store = store::SqliteStore::open(w->dir.path() / "microbench.db");
  if (!store) return state.SkipWithError("SqliteStore::open");
  const auto step = w->router->handle(w->peer, w->catalogs->get(), kCredentials.make(*w), false);
  if (!step.record) return state.SkipWithError("credentials step recorded nothing");
  const store::ProvisioningRecord update = *step.record;
  for (auto _ : state) {
    if (!(*store)->apply_record_updates({&update, 1})) {
      return state.SkipWithError("apply_record_updates");
    }
  }
}
BENCHMARK(BM_RecordCommit)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace dps::microbench
