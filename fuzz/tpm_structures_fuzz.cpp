// libFuzzer target for the TPM structures a device sends (src/tpm): TPM2B_PUBLIC (EK and AK),
// TPMS_ATTEST, TPMT_SIGNATURE, a credential (TPM2B_ID_OBJECT + TPM2B_ENCRYPTED_SECRET, as
// activate_credential takes it) and an EK as PEM.
//
// Input: byte 0 % 5 selects the mode, (byte 0 / 5) % 2 the EK kind in mode 3 (0 RSA, 1 ECC);
// the rest is the structure:
//   0  TPM2B_PUBLIC: parsed; an accepted one re-encodes byte for byte, parses again the same,
//      and goes through Name, OpenSSL key, key hash, the AK check and make_credential
//   1  TPMS_ATTEST: parsed; an accepted one re-encodes byte for byte
//   2  TPMT_SIGNATURE: parsed; an accepted one re-encodes byte for byte and is verified over
//      the input with a fixed RSA and EC key (it must not verify)
//   3  TPM2B_ID_OBJECT || TPM2B_ENCRYPTED_SECRET: activate_credential with a fixed software EK
//      (random input never passes the integrity HMAC)
//   4  PEM: key_hash_of_pem
// Seeds: structures from swtpm and tpm2-tools (fuzz/seeds/tpm_structures_fuzz).
#include <openssl/evp.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_support.hpp"
#include "tpm/attest.hpp"
#include "tpm/credential.hpp"
#include "tpm/hash_alg.hpp"
#include "tpm/public_key.hpp"
#include "tpm/signature.hpp"
#include "tpm/software_keys.hpp"

namespace {

namespace tpm = dps::tpm;
using dps::ErrorCode;

struct Keys {
  tpm::PkeyPtr rsa{EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048})};
  tpm::PkeyPtr ec{EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")};
  tpm::PublicArea rsa_ek = *tpm::make_ek_public(rsa.get());
  tpm::PublicArea ec_ek = *tpm::make_ek_public(ec.get());
  tpm::Bytes object_name = rsa_ek.name();
};

// Generated once: RSA key generation would dominate every execution.
const Keys& keys() {
  static const Keys k;
  return k;
}

bool refusal(const dps::Error& e) {
  return (e.code == ErrorCode::BadRequest || e.code == ErrorCode::Forbidden) && !e.internal.empty();
}

void fuzz_public(tpm::ByteView data) {
  const auto area = tpm::parse_tpm2b_public(data);
  if (!area) {
    FUZZ_REQUIRE(area.error().code == ErrorCode::BadRequest && !area.error().internal.empty());
    dps::fuzz::note(area.error().internal);
    return;
  }
  FUZZ_REQUIRE(tpm::wrap_tpm2b_public(tpm::encode_tpmt_public(*area)) ==
               tpm::Bytes(data.begin(), data.end()));
  const auto again = tpm::parse_tpmt_public(area->bytes);
  FUZZ_REQUIRE(again && again->bytes == area->bytes && again->name() == area->name());
  FUZZ_REQUIRE(area->name().size() == 2 + tpm::digest_size(area->name_alg));
  if (const auto hash = tpm::key_hash(*area)) FUZZ_REQUIRE(hash->size() == 64);
  (void)tpm::check_attestation_key(*area);
  const tpm::Bytes credential(16, 0x42);
  const auto made = tpm::make_credential(*area, keys().object_name, credential);
  if (!made) FUZZ_REQUIRE(!made.error().internal.empty());
  dps::fuzz::note("accepted public area");
}

void fuzz_attest(tpm::ByteView data) {
  const auto attest = tpm::parse_attest(data);
  if (!attest) {
    FUZZ_REQUIRE(refusal(attest.error()));
    dps::fuzz::note(attest.error().internal);
    return;
  }
  FUZZ_REQUIRE(tpm::encode_attest(*attest) == tpm::Bytes(data.begin(), data.end()));
  dps::fuzz::note("accepted attest");
}

void fuzz_signature(tpm::ByteView data) {
  const auto signature = tpm::parse_signature(data);
  if (!signature) {
    FUZZ_REQUIRE(refusal(signature.error()));
    dps::fuzz::note(signature.error().internal);
    return;
  }
  FUZZ_REQUIRE(tpm::encode_signature(*signature) == tpm::Bytes(data.begin(), data.end()));
  FUZZ_REQUIRE(!tpm::verify_signature(keys().rsa.get(), data, *signature));
  FUZZ_REQUIRE(!tpm::verify_signature(keys().ec.get(), data, *signature));
  dps::fuzz::note("accepted signature");
}

void fuzz_credential(tpm::ByteView data, bool ecc) {
  // Split after the TPM2B_ID_OBJECT its own size delimits (whatever the size says).
  std::size_t split = data.size();
  if (data.size() >= 2) split = std::min(data.size(), 2 + ((std::size_t{data[0]} << 8) | data[1]));
  const auto& k = keys();
  const auto out =
      tpm::activate_credential(ecc ? k.ec.get() : k.rsa.get(), ecc ? k.ec_ek : k.rsa_ek,
                               k.object_name, data.first(split), data.subspan(split));
  FUZZ_REQUIRE(!out && refusal(out.error()));
  dps::fuzz::note(out.error().internal);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const tpm::ByteView input(data + 1, size - 1);
  switch (data[0] % 5) {
    case 0:
      fuzz_public(input);
      break;
    case 1:
      fuzz_attest(input);
      break;
    case 2:
      fuzz_signature(input);
      break;
    case 3:
      fuzz_credential(input, (data[0] / 5) % 2 == 1);
      break;
    default: {
      const auto hash = tpm::key_hash_of_pem(
          std::string_view(reinterpret_cast<const char*>(input.data()), input.size()));
      if (!hash) FUZZ_REQUIRE(refusal(hash.error()));
      break;
    }
  }
  return 0;
}
