// The crypto floor's pieces (bench/RESULTS.md, tools/dps-bench/crypto_floor.cpp) as Google
// Benchmarks, measured the same way: one P-256 key, a prepared EVP_PKEY_CTX, a SHA-256 digest.
// Next to them, the same operations as libssl and libcrypto's X.509 code actually call them
// (a fresh context per call, the digest fetched by name, the peer key validated), so the gap
// between "the EC arithmetic" and "one OpenSSL 3.0 call" is a number, not a guess.
#include <benchmark/benchmark.h>
#include <openssl/evp.h>

#include <array>

#include "pki/x509_ptr.hpp"
#include "world.hpp"

namespace dps::microbench {
namespace {

using Digest = std::array<unsigned char, 32>;

pki::EvpPkeyPtr p256_key() { return pki::EvpPkeyPtr(EVP_EC_gen("P-256")); }

Digest some_digest() {
  Digest digest{};
  for (size_t i = 0; i < digest.size(); ++i) digest[i] = static_cast<unsigned char>(i * 7 + 1);
  return digest;
}

// ~ the TLS 1.3 CertificateVerify input: 64 spaces, a context string, the transcript hash.
std::array<unsigned char, 130> some_message() {
  std::array<unsigned char, 130> message{};
  message.fill(0x20);
  return message;
}

void BM_EcdsaP256Sign(benchmark::State& state) {
  const auto key = p256_key();
  const Digest digest = some_digest();
  std::array<unsigned char, 80> signature{};
  pki::EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new(key.get(), nullptr));
  if (!ctx || EVP_PKEY_sign_init(ctx.get()) != 1) return state.SkipWithError("sign init");
  for (auto _ : state) {
    size_t len = signature.size();
    if (EVP_PKEY_sign(ctx.get(), signature.data(), &len, digest.data(), digest.size()) != 1) {
      return state.SkipWithError("EVP_PKEY_sign");
    }
    benchmark::DoNotOptimize(signature.data());
  }
}
BENCHMARK(BM_EcdsaP256Sign);

void BM_EcdsaP256Verify(benchmark::State& state) {
  const auto key = p256_key();
  const Digest digest = some_digest();
  std::array<unsigned char, 80> signature{};
  size_t len = signature.size();
  pki::EvpPkeyCtxPtr sign(EVP_PKEY_CTX_new(key.get(), nullptr));
  pki::EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new(key.get(), nullptr));
  if (!sign || !ctx || EVP_PKEY_sign_init(sign.get()) != 1 ||
      EVP_PKEY_sign(sign.get(), signature.data(), &len, digest.data(), digest.size()) != 1 ||
      EVP_PKEY_verify_init(ctx.get()) != 1) {
    return state.SkipWithError("verify setup");
  }
  for (auto _ : state) {
    if (EVP_PKEY_verify(ctx.get(), signature.data(), len, digest.data(), digest.size()) != 1) {
      return state.SkipWithError("EVP_PKEY_verify");
    }
  }
}
BENCHMARK(BM_EcdsaP256Verify);

// Arg 0: the floor's ECDHE (the client's share taken as already checked); arg 1: as libssl's
// ssl_derive does it, EVP_PKEY_derive_set_peer with its full public-key validation.
void BM_EcdhP256(benchmark::State& state) {
  const int validate_peer = static_cast<int>(state.range(0));
  const auto peer = p256_key();
  pki::EvpPkeyCtxPtr keygen(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  if (!peer || !keygen || EVP_PKEY_keygen_init(keygen.get()) != 1 ||
      EVP_PKEY_CTX_set_group_name(keygen.get(), "P-256") != 1) {
    return state.SkipWithError("keygen setup");
  }
  std::array<unsigned char, 64> secret{};
  for (auto _ : state) {
    EVP_PKEY* raw = nullptr;
    if (EVP_PKEY_keygen(keygen.get(), &raw) != 1) return state.SkipWithError("EVP_PKEY_keygen");
    const pki::EvpPkeyPtr ephemeral(raw);
    pki::EvpPkeyCtxPtr derive(EVP_PKEY_CTX_new(ephemeral.get(), nullptr));
    size_t len = secret.size();
    if (!derive || EVP_PKEY_derive_init(derive.get()) != 1 ||
        EVP_PKEY_derive_set_peer_ex(derive.get(), peer.get(), validate_peer) != 1 ||
        EVP_PKEY_derive(derive.get(), secret.data(), &len) != 1) {
      return state.SkipWithError("ECDH derive");
    }
  }
}
BENCHMARK(BM_EcdhP256)->ArgName("validate_peer")->Arg(0)->Arg(1);

// How libssl signs its CertificateVerify / ServerKeyExchange: a fresh EVP_MD_CTX, the digest
// fetched by name, a new EVP_PKEY_CTX inside EVP_DigestSignInit_ex, then hash + sign.
void BM_EcdsaP256DigestSignPerCall(benchmark::State& state) {
  const auto key = p256_key();
  const auto message = some_message();
  std::array<unsigned char, 80> signature{};
  for (auto _ : state) {
    pki::EvpMdCtxPtr ctx(EVP_MD_CTX_new());
    size_t len = signature.size();
    if (!ctx ||
        EVP_DigestSignInit_ex(ctx.get(), nullptr, "SHA256", nullptr, nullptr, key.get(), nullptr) !=
            1 ||
        EVP_DigestSign(ctx.get(), signature.data(), &len, message.data(), message.size()) != 1) {
      return state.SkipWithError("EVP_DigestSign");
    }
  }
}
BENCHMARK(BM_EcdsaP256DigestSignPerCall);

// The same for verification (the device's CertificateVerify, CSR and certificate signatures).
void BM_EcdsaP256DigestVerifyPerCall(benchmark::State& state) {
  const auto key = p256_key();
  const auto message = some_message();
  std::array<unsigned char, 80> signature{};
  size_t len = signature.size();
  {
    pki::EvpMdCtxPtr ctx(EVP_MD_CTX_new());
    if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1 ||
        EVP_DigestSign(ctx.get(), signature.data(), &len, message.data(), message.size()) != 1) {
      return state.SkipWithError("sign for verify");
    }
  }
  for (auto _ : state) {
    pki::EvpMdCtxPtr ctx(EVP_MD_CTX_new());
    if (!ctx ||
        EVP_DigestVerifyInit_ex(ctx.get(), nullptr, "SHA256", nullptr, nullptr, key.get(),
                                nullptr) != 1 ||
        EVP_DigestVerify(ctx.get(), signature.data(), len, message.data(), message.size()) != 1) {
      return state.SkipWithError("EVP_DigestVerify");
    }
  }
}
BENCHMARK(BM_EcdsaP256DigestVerifyPerCall);

// One certificate signature check as X509_verify_cert makes it: the device leaf against the
// manufacturer intermediate's key (X509_verify: the cached TBS encoding, digest, ECDSA verify).
void BM_X509VerifyLeaf(benchmark::State& state) {
  World* w = world_or_skip(state);
  if (w == nullptr) return;
  X509* leaf = w->device_chain.at(0).get();
  EVP_PKEY* issuer_key = X509_get0_pubkey(w->device_chain.at(1).get());
  for (auto _ : state) {
    if (X509_verify(leaf, issuer_key) != 1) return state.SkipWithError("X509_verify");
  }
}
BENCHMARK(BM_X509VerifyLeaf);

// Decoding one certificate from DER, as libssl does for each certificate a device sends in every
// handshake. OpenSSL 3.0 decodes the SubjectPublicKeyInfo through a freshly built OSSL_DECODER
// chain each time (openssl/openssl#17950, #19119): no EC arithmetic, yet not cheap.
void BM_X509ParseLeaf(benchmark::State& state) {
  World* w = world_or_skip(state);
  if (w == nullptr) return;
  unsigned char* der = nullptr;
  const int len = i2d_X509(w->device_chain.at(0).get(), &der);
  const pki::OpenSslBytesPtr owned(der);
  if (len <= 0) return state.SkipWithError("i2d_X509");
  for (auto _ : state) {
    const unsigned char* p = der;
    const pki::X509Ptr cert(d2i_X509(nullptr, &p, len));
    if (!cert) return state.SkipWithError("d2i_X509");
  }
}
BENCHMARK(BM_X509ParseLeaf);

}  // namespace
}  // namespace dps::microbench
