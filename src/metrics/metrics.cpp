#include "metrics/metrics.hpp"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <array>
#include <atomic>
#include <sstream>

namespace dps::metrics {
namespace {

using prometheus::Counter;
using prometheus::Family;
using prometheus::Gauge;
using prometheus::Histogram;

// Buckets in seconds: a step is a few milliseconds on loopback (a CSR check and a signature at
// most), a few hundred under load or with a remote database.
const Histogram::BucketBoundaries kStepSeconds{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                               0.1,    0.25,  0.5,    1,     2.5,  5};
// One SQLite WAL fsync is ~0.1-10 ms; a PostgreSQL round trip adds the network.
const Histogram::BucketBoundaries kCommitSeconds{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                                 0.01,   0.025,   0.05,   0.1,   0.25,   1};
// RecordWriterOptions::max_batch is 256 by default.
const Histogram::BucketBoundaries kBatchSizes{1, 2, 4, 8, 16, 32, 64, 128, 256};

constexpr std::array<std::string_view, kHandshakeResultCount> kHandshakeLabels{
    "ok", "no_group", "disabled", "revoked", "expired", "failed", "timeout", "no_certificate"};
constexpr std::array<std::string_view, kLimitCount> kLimitLabels{
    "max_connections",       "source_connection_rate",
    "handshake_timeout",     "inactivity_timeout",
    "max_message_size",      "max_requests_per_session",
    "api_body_size",         "api_token_rate",
    "api_max_connections",   "api_source_connection_rate",
    "api_handshake_timeout", "api_auth_failures"};
constexpr std::array<std::string_view, kUdpDropCount> kUdpDropLabels{
    "oversized",  "not_client_hello", "bad_client_hello", "no_cookie",
    "inbox_full", "bad_record",       "stopping",         "bad_message"};
constexpr std::array<std::string_view, kStepCount> kStepLabels{
    "time",         "ownership",     "cloudConfiguration",
    "credentials",  "acls",          "preConfiguration",
    "tpmChallenge", "tpmActivation", "other"};
// Methods the API is asked with; anything else is "other" (a client's typo must not add series).
constexpr std::array<std::string_view, 8> kMethods{"GET",   "HEAD",   "POST",    "PUT",
                                                   "PATCH", "DELETE", "OPTIONS", "other"};
constexpr size_t kStatusSlots = 600;  // HTTP statuses 100..599; slot 0 = anything else

size_t method_index(std::string_view method) {
  for (size_t i = 0; i + 1 < kMethods.size(); ++i) {
    if (kMethods[i] == method) return i;
  }
  return kMethods.size() - 1;
}

// A label-resolved counter, registered on first use and cached: after that, recording is one
// atomic load plus the counter's own atomic add, with no allocation (`labels` builds the label
// set only on that first use). Family::Add is idempotent (equal labels return the series already
// registered), so two threads racing on the first use count into one series.
template <class MakeLabels>
Counter& resolve(std::atomic<Counter*>& slot, Family<Counter>& family, MakeLabels&& labels) {
  Counter* counter = slot.load(std::memory_order_acquire);
  if (counter == nullptr) {
    counter = &family.Add(labels());
    slot.store(counter, std::memory_order_release);
  }
  return *counter;
}

}  // namespace

std::string_view label_of(HandshakeResult result) {
  return kHandshakeLabels[static_cast<size_t>(result)];
}

std::string_view label_of(Step step) { return kStepLabels[static_cast<size_t>(step)]; }

std::string_view label_of(Limit limit) { return kLimitLabels[static_cast<size_t>(limit)]; }

std::string coap_code_text(uint8_t code) {
  const unsigned detail = code & 0x1fu;
  std::string text(4, '0');
  text[0] = static_cast<char>('0' + (code >> 5));
  text[1] = '.';
  text[2] = static_cast<char>('0' + detail / 10);
  text[3] = static_cast<char>('0' + detail % 10);
  return text;
}

struct Metrics::Impl {
  // Families live in the registry; the references below stay valid as long as it does.
  prometheus::Registry registry;

  Family<Counter>& handshakes = prometheus::BuildCounter()
                                    .Name("dps_handshakes_total")
                                    .Help("Device TLS handshakes by result.")
                                    .Register(registry);
  Family<Counter>& steps = prometheus::BuildCounter()
                               .Name("dps_provisioning_steps_total")
                               .Help("Answered device requests by provisioning step and CoAP code.")
                               .Register(registry);
  Family<Histogram>& step_seconds =
      prometheus::BuildHistogram()
          .Name("dps_provisioning_step_duration_seconds")
          .Help("Device request read to response written, record commit included, by step.")
          .Register(registry);
  Counter& provisionings =
      prometheus::BuildCounter()
          .Name("dps_provisionings_total")
          .Help("Devices fully provisioned: successful answers to the acls step.")
          .Register(registry)
          .Add({});
  Gauge& open_connections = prometheus::BuildGauge()
                                .Name("dps_open_connections")
                                .Help("Device connections (sessions) open now.")
                                .Register(registry)
                                .Add({});
  Counter& connections = prometheus::BuildCounter()
                             .Name("dps_connections_total")
                             .Help("Device connections accepted and given a session.")
                             .Register(registry)
                             .Add({});
  Family<Counter>& limits =
      prometheus::BuildCounter()
          .Name("dps_limits_triggered_total")
          .Help("Connections refused or closed and requests refused by a configured limit.")
          .Register(registry);
  Family<Counter>& udp_drops =
      prometheus::BuildCounter()
          .Name("dps_udp_datagrams_dropped_total")
          .Help("Datagrams of the CoAP-over-DTLS listener dropped, or answered with a cookie only.")
          .Register(registry);
  Histogram& commit_seconds =
      prometheus::BuildHistogram()
          .Name("dps_store_commit_duration_seconds")
          .Help("Provisioning-record group commits: duration of one transaction.")
          .Register(registry)
          .Add({}, kCommitSeconds);
  Histogram& commit_batch =
      prometheus::BuildHistogram()
          .Name("dps_store_commit_batch_size")
          .Help("Provisioning-record group commits: record updates in one transaction.")
          .Register(registry)
          .Add({}, kBatchSizes);
  Counter& commit_failures =
      prometheus::BuildCounter()
          .Name("dps_store_commit_failures_total")
          .Help("Provisioning-record transactions that failed (their devices were answered 5.03).")
          .Register(registry)
          .Add({});
  Counter& catalog_reloads =
      prometheus::BuildCounter()
          .Name("dps_catalog_reloads_total")
          .Help("Enrollment-group catalog builds from the store, the first one at start included.")
          .Register(registry)
          .Add({});
  Gauge& catalog_version =
      prometheus::BuildGauge()
          .Name("dps_catalog_version")
          .Help("Store configuration version the enrollment-group catalog was built from.")
          .Register(registry)
          .Add({});
  Counter& cache_hits =
      prometheus::BuildCounter()
          .Name("dps_enrollment_group_cache_hits_total")
          .Help(
              "Handshakes whose certificate an enrollment group of the in-memory catalog "
              "snapshot admitted, without a store read (every such handshake: groups are never "
              "read from the store per handshake).")
          .Register(registry)
          .Add({});
  Gauge& api_open_connections = prometheus::BuildGauge()
                                    .Name("dps_api_open_connections")
                                    .Help("Management API connections open now.")
                                    .Register(registry)
                                    .Add({});
  Family<Counter>& hub_token_failures =
      prometheus::BuildCounter()
          .Name("dps_hub_token_failures_total")
          .Help(
              "Hub access tokens an OAuth2 authority did not give: refused (the device got "
              "4.00) or unavailable (down, slow, 5xx or garbage: the device got 5.03).")
          .Register(registry);
  Counter& hub_tokens_refused = hub_token_failures.Add({{"reason", "refused"}});
  Counter& hub_tokens_unavailable = hub_token_failures.Add({{"reason", "unavailable"}});
  Family<Counter>& hub_ca_failures =
      prometheus::BuildCounter()
          .Name("dps_hub_ca_failures_total")
          .Help(
              "Identity certificates a hub's certificate authority (gRPC) did not sign: refused "
              "(the device got 4.xx), unavailable (down or past the deadline: 5.03) or failed "
              "(an unusable answer or an internal error: 5.00).")
          .Register(registry);
  Counter& hub_ca_refused = hub_ca_failures.Add({{"reason", "refused"}});
  Counter& hub_ca_unavailable = hub_ca_failures.Add({{"reason", "unavailable"}});
  Counter& hub_ca_failed = hub_ca_failures.Add({{"reason", "failed"}});
  Family<Counter>& api_requests = prometheus::BuildCounter()
                                      .Name("dps_api_requests_total")
                                      .Help("Management API requests by method and HTTP status.")
                                      .Register(registry);

  std::array<Counter*, kHandshakeResultCount> handshake_by_result{};
  std::array<Counter*, kLimitCount> limit_counters{};
  std::array<Counter*, kUdpDropCount> udp_drop_counters{};
  std::array<Histogram*, kStepCount> step_histograms{};
  std::array<std::array<std::atomic<Counter*>, 256>, kStepCount> step_by_code{};
  std::array<std::array<std::atomic<Counter*>, kStatusSlots>, kMethods.size()> api_by_status{};

  Impl() {
    // Every result and step exists from the start (at 0), so rates work from the first scrape.
    for (size_t i = 0; i < kHandshakeResultCount; ++i) {
      handshake_by_result[i] = &handshakes.Add({{"result", std::string(kHandshakeLabels[i])}});
    }
    for (size_t i = 0; i < kLimitCount; ++i) {
      limit_counters[i] = &limits.Add({{"limit", std::string(kLimitLabels[i])}});
    }
    for (size_t i = 0; i < kUdpDropCount; ++i) {
      udp_drop_counters[i] = &udp_drops.Add({{"reason", std::string(kUdpDropLabels[i])}});
    }
    for (size_t i = 0; i < kStepCount; ++i) {
      step_histograms[i] = &step_seconds.Add({{"step", std::string(kStepLabels[i])}}, kStepSeconds);
    }
  }
};

Metrics::Metrics() : impl_(std::make_unique<Impl>()) {}
Metrics::~Metrics() = default;

void Metrics::on_connection_opened() {
  impl_->connections.Increment();
  impl_->open_connections.Increment();
}

void Metrics::on_connection_closed() { impl_->open_connections.Decrement(); }

void Metrics::on_limit(Limit limit) {
  impl_->limit_counters[static_cast<size_t>(limit)]->Increment();
}

void Metrics::on_udp_dropped(UdpDrop reason, uint64_t count) {
  impl_->udp_drop_counters[static_cast<size_t>(reason)]->Increment(static_cast<double>(count));
}

void Metrics::on_handshake(HandshakeResult result) {
  impl_->handshake_by_result[static_cast<size_t>(result)]->Increment();
}

void Metrics::on_enrollment_group_cache_hit() { impl_->cache_hits.Increment(); }

void Metrics::on_step(Step step, uint8_t coap_code, double seconds) {
  const auto index = static_cast<size_t>(step);
  resolve(impl_->step_by_code[index][coap_code], impl_->steps, [&] {
    return prometheus::Labels{{"step", std::string(kStepLabels[index])},
                              {"code", coap_code_text(coap_code)}};
  }).Increment();
  impl_->step_histograms[index]->Observe(seconds);
  if (step == Step::Acls && (coap_code >> 5) == 2) impl_->provisionings.Increment();
}

void Metrics::on_store_commit(size_t batch_size, double seconds, bool committed) {
  impl_->commit_seconds.Observe(seconds);
  impl_->commit_batch.Observe(static_cast<double>(batch_size));
  if (!committed) impl_->commit_failures.Increment();
}

void Metrics::on_catalog_loaded(int64_t configuration_version) {
  impl_->catalog_reloads.Increment();
  impl_->catalog_version.Set(static_cast<double>(configuration_version));
}

void Metrics::on_api_request(std::string_view method, unsigned status) {
  const size_t m = method_index(method);
  const size_t slot = status >= 100 && status < kStatusSlots ? status : 0;
  resolve(impl_->api_by_status[m][slot], impl_->api_requests, [&] {
    return prometheus::Labels{{"method", std::string(kMethods[m])},
                              {"status", slot == 0 ? std::string("other") : std::to_string(slot)}};
  }).Increment();
}

void Metrics::on_api_connection_opened() { impl_->api_open_connections.Increment(); }

void Metrics::on_hub_token_failure(bool refused) {
  (refused ? impl_->hub_tokens_refused : impl_->hub_tokens_unavailable).Increment();
}

void Metrics::on_hub_ca_failure(HubCaFailure kind) {
  switch (kind) {
    case HubCaFailure::Refused:
      return impl_->hub_ca_refused.Increment();
    case HubCaFailure::Unavailable:
      return impl_->hub_ca_unavailable.Increment();
    case HubCaFailure::Failed:
      return impl_->hub_ca_failed.Increment();
  }
}

void Metrics::on_api_connection_closed() { impl_->api_open_connections.Decrement(); }

std::string Metrics::render() const {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, impl_->registry.Collect());
  return out.str();
}

}  // namespace dps::metrics
