// The server's side of TPM attestation (provisioning/tpm_attestation.hpp), one piece each, with a
// software TPM on the device side (device/software_tpm.hpp, outside the timing):
//   BM_TpmChallenge   reading and checking the EK and AK, then MakeCredential (RSA-OAEP for an
//                     RSA EK, one ECDH for an ECC EK): the challenge step's crypto;
//   BM_TpmActivation  checking an activation: proof, TPMS_ATTEST and its ECDSA signature by the AK,
//                     the key's attributes, the CSR's proof of possession and key.
#include <benchmark/benchmark.h>

#include <nlohmann/json.hpp>

#include "device/software_tpm.hpp"
#include "provisioning/tpm_attestation.hpp"

namespace dps::microbench {
namespace {

namespace attestation = provisioning::tpm_attestation;
using Kind = device::SoftwareTpm::EkKind;

constexpr const char* kDeviceId = "0b1c2d3e-4f50-4a6b-8c7d-8e9fa0b1c2d3";

Kind kind_of(const benchmark::State& state) {
  return state.range(0) == 0 ? Kind::Rsa2048 : Kind::P256;
}

void BM_TpmChallenge(benchmark::State& state) {
  auto tpm = device::SoftwareTpm::create(kind_of(state));
  if (!tpm) return state.SkipWithError("software TPM");
  const nlohmann::json body = tpm->challenge_request();
  const auto now = std::chrono::steady_clock::now();
  for (auto _ : state) {
    auto request = attestation::read_challenge_request(body);
    if (!request) return state.SkipWithError("challenge request refused");
    auto keys = attestation::check_keys(*request);
    if (!keys) return state.SkipWithError("keys refused");
    auto issued = attestation::issue_challenge(std::move(*keys), now);
    if (!issued) return state.SkipWithError("no credential");
    benchmark::DoNotOptimize(issued->response);
  }
}
BENCHMARK(BM_TpmChallenge)->ArgName("ecc_ek")->Arg(0)->Arg(1);

void BM_TpmActivation(benchmark::State& state) {
  auto tpm = device::SoftwareTpm::create(kind_of(state));
  if (!tpm) return state.SkipWithError("software TPM");
  const auto now = std::chrono::steady_clock::now();
  auto request = attestation::read_challenge_request(tpm->challenge_request());
  auto keys = request ? attestation::check_keys(*request) : tl::unexpected(request.error());
  if (!keys) return state.SkipWithError("keys refused");
  auto issued = attestation::issue_challenge(std::move(*keys), now);
  if (!issued) return state.SkipWithError("no credential");
  auto answer = tpm->answer(issued->response, kDeviceId);
  if (!answer) return state.SkipWithError("no activation");
  auto activation = attestation::read_activation_request(answer->body);
  if (!activation) return state.SkipWithError("activation unreadable");
  for (auto _ : state) {
    attestation::Challenge challenge = issued->challenge;  // each is answered once
    auto certified = attestation::check_activation(&challenge, *activation, now);
    if (!certified) return state.SkipWithError("activation refused");
    benchmark::DoNotOptimize(*certified);
  }
}
BENCHMARK(BM_TpmActivation)->ArgName("ecc_ek")->Arg(0)->Arg(1);

}  // namespace
}  // namespace dps::microbench
