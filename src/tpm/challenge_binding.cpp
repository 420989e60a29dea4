#include "tpm/challenge_binding.hpp"

#include "tpm/constants.hpp"
#include "tpm/hash_alg.hpp"

namespace dps::tpm {
namespace {

constexpr std::string_view kCertifyLabel = "dps tpm certify";
constexpr std::string_view kProofLabel = "dps tpm activation";

Bytes labelled(std::string_view label, ByteView data) {
  Bytes input(label.begin(), label.end());
  input.insert(input.end(), data.begin(), data.end());
  return input;
}

}  // namespace

Bytes certify_nonce(ByteView secret) { return hash(kAlgSha256, labelled(kCertifyLabel, secret)); }

Bytes activation_proof(ByteView secret, std::string_view csr_pem) {
  return hmac(kAlgSha256, secret, labelled(kProofLabel, as_bytes(csr_pem)));
}

}  // namespace dps::tpm
