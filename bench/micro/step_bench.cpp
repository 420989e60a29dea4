// The server's per-step work through the functions the provisioning steps and the verify callback
// call, one piece each, so that each piece of a provisioning has its own number:
//   BM_TrustGroupMatch   enrollment-group matching (net/tls_context.cpp's verify callback);
//   BM_CsrCheck          pki::validate_csr (parse + proof of possession + policy);
//   BM_CsrCheckAndIssue  that plus EmbeddedCa::sign (the credentials step's crypto);
//   BM_AccessTokenMint   EmbeddedTokenMinter::token_for (the cloud-configuration step's token);
//   BM_CoapRoundTrip     RFC 8323 decode of a request frame + encode of its answer.
#include <benchmark/benchmark.h>
#include <openssl/x509.h>

#include <chrono>

#include "auth/token_source.hpp"
#include "coap/tcp_framing.hpp"
#include "device/requests.hpp"
#include "pki/chain_verifier.hpp"
#include "pki/csr.hpp"
#include "world.hpp"

namespace dps::microbench {
namespace {

std::string der_of(X509* cert) {
  unsigned char* der = nullptr;
  const int len = i2d_X509(cert, &der);
  std::string out(reinterpret_cast<const char*>(der), static_cast<size_t>(len > 0 ? len : 0));
  OPENSSL_free(der);
  return out;
}

// Arg 0: match() on the same parsed X509 objects every time (what match itself costs; OpenSSL
// caches extensions and decoded keys on an X509 object). Arg 1: the device chain decoded from
// DER first, as libssl hands the verify callback a freshly parsed chain in every handshake.
void BM_TrustGroupMatch(benchmark::State& state) {
  World* w = world_or_skip(state);
  if (w == nullptr) return;
  const bool parse = state.range(0) != 0;
  const auto catalog = w->catalogs->get();
  std::vector<std::string> ders;
  for (const auto& cert : w->device_chain) ders.push_back(der_of(cert.get()));
  std::vector<X509*> chain;
  for (const auto& cert : w->device_chain) chain.push_back(cert.get());
  for (auto _ : state) {
    std::vector<pki::X509Ptr> parsed;
    if (parse) {
      chain.clear();
      for (const auto& der : ders) {
        const auto* p = reinterpret_cast<const unsigned char*>(der.data());
        parsed.emplace_back(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
        chain.push_back(parsed.back().get());
      }
    }
    auto match = catalog->trust().match(chain, std::chrono::system_clock::now());
    if (!match || match->group_id != w->group_id) return state.SkipWithError("device not admitted");
  }
}
BENCHMARK(BM_TrustGroupMatch)->ArgName("parse_chain")->Arg(0)->Arg(1);

void BM_CsrCheck(benchmark::State& state) {
  World* w = world_or_skip(state);
  if (w == nullptr) return;
  for (auto _ : state) {
    auto csr = pki::validate_csr(w->csr.csr_pem, w->device_id);
    if (!csr) return state.SkipWithError("validate_csr");
  }
}
BENCHMARK(BM_CsrCheck);

void BM_CsrCheckAndIssue(benchmark::State& state) {
  World* w = world_or_skip(state);
  if (w == nullptr) return;
  for (auto _ : state) {
    auto csr = pki::validate_csr(w->csr.csr_pem, w->device_id);
    if (!csr) return state.SkipWithError("validate_csr");
    auto issued = w->ca->sign(*csr);
    if (!issued) return state.SkipWithError("EmbeddedCa::sign");
  }
}
BENCHMARK(BM_CsrCheckAndIssue);

void BM_AccessTokenMint(benchmark::State& state) {
  World* w = world_or_skip(state);
  if (w == nullptr) return;
  // What cloud_configuration.cpp asks for with dps-bench's hub.
  auth::TokenRequest request;
  request.owner = "1";
  request.owner_claim = "https://plgd.dev/owner";
  request.device_id = w->device_id;
  request.hub_id = w->catalogs->get()->find_group(w->group_id)->hub_ids.front();
  for (auto _ : state) {
    auto token = w->tokens->token_for(request);
    if (!token) return state.SkipWithError("token_for");
  }
}
BENCHMARK(BM_AccessTokenMint);

// The credentials exchange, the largest of a provisioning: the device's POST with its CSR, and
// the router's real answer (identity certificate chain, trust CA, CBOR).
void BM_CoapRoundTrip(benchmark::State& state) {
  World* w = world_or_skip(state);
  if (w == nullptr) return;
  constexpr size_t kMaxMessageSize = 16 * 1024;
  const coap::Message request = device::make_credentials_request(w->device_id, w->csr.csr_pem);
  const std::vector<uint8_t> request_frame = coap::encode_frame(request);
  const auto answer = w->router->handle(w->peer, w->catalogs->get(), request, false);
  if (answer.response.code != coap::Code::Changed) return state.SkipWithError("no 2.04 answer");
  size_t bytes_out = 0;
  for (auto _ : state) {
    auto decoded = coap::decode_frame(request_frame, kMaxMessageSize);
    if (!std::holds_alternative<coap::Frame>(decoded)) return state.SkipWithError("decode");
    // A fresh buffer per answer, as net/device_session.cpp writes one.
    const std::vector<uint8_t> out = coap::encode_frame(answer.response);
    bytes_out = out.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["bytes_in"] = static_cast<double>(request_frame.size());
  state.counters["bytes_out"] = static_cast<double>(bytes_out);
}
BENCHMARK(BM_CoapRoundTrip);

}  // namespace
}  // namespace dps::microbench
