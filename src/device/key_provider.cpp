// A TPM-resident device key for libssl. The key is loaded by tpm2-openssl in a library context of
// its own, and libssl gets a stand-in EC key (held_key.hpp: the TPM key's public half) whose
// signing asks the TPM. Why not hand the provider's key to libssl directly (OpenSSL 3.0.x,
// checked with openssl s_client against swtpm):
//  - with tpm2 and default loaded side by side, EVP_DigestSignInit fetches the default provider's
//    ECDSA first and exports the TPM key to it; the export carries the public half only, and the
//    handshake fails with "ossl_ecdsa_simple_sign_sig: missing private key";
//  - preferring tpm2 (propquery ?provider=tpm2, as tpm2-openssl suggests for s_server) also moves
//    the handshake digests into the TPM, whose hash-sequence copies exhaust the TPM's object slots
//    ("out of memory for object contexts") and would cost a TPM command per handshake record.
// The stand-in keeps every other operation in the default provider and sends the TPM exactly one
// command per handshake: the signature (device keys are EC: OCF devices sign with ECDSA,
// docs/manufacturer-pki.md).
#include "device/key_provider.hpp"

#include <openssl/err.h>
#include <openssl/provider.h>
#include <openssl/store.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <mutex>
#include <span>
#include <vector>

#include "device/held_key.hpp"
#include "device/openssl_ptr.hpp"

namespace dps::device {

namespace {

constexpr const char* kPrefix = "--key-provider tpm2: ";
// Asks tpm2 first for the key; the TPM library context holds no other key implementation.
constexpr const char* kPropQuery = "?provider=tpm2";

// The queued OpenSSL errors, oldest first, with their detail text (the TSS return code).
std::string drain_errors(bool* saw_dso = nullptr) {
  std::string text;
  const char* data = nullptr;
  int flags = 0;
  while (const unsigned long e = ERR_get_error_all(nullptr, nullptr, nullptr, &data, &flags)) {
    if (saw_dso != nullptr && ERR_GET_LIB(e) == ERR_LIB_DSO) *saw_dso = true;
    const char* reason = ERR_reason_error_string(e);
    std::string item = (flags & ERR_TXT_STRING) != 0 && data != nullptr ? data : "";
    if (reason != nullptr) item = item.empty() ? reason : std::string(reason) + " (" + item + ")";
    if (item.empty()) continue;
    text += (text.empty() ? "" : "; ") + item;
  }
  return text.empty() ? "no detail from OpenSSL" : text;
}

std::string tcti_description() {
  const char* tcti = std::getenv(kTpm2OpensslTcti);
  return tcti != nullptr ? std::string("TCTI '") + tcti + "' (" + kTpm2OpensslTcti + ")"
                         : std::string(kTpm2OpensslTcti) + " unset: the TSS default TCTI";
}

// tpm2-openssl connects to the TPM when it loads, so a failed load is either a missing module
// (the DSO layer failed) or an unreachable TPM.
Result<OSSL_LIB_CTX*> tpm_library() {
  static std::mutex mutex;
  static OSSL_LIB_CTX* library = nullptr;
  std::lock_guard lock(mutex);
  if (library != nullptr) return library;
  OSSL_LIB_CTX* candidate = OSSL_LIB_CTX_new();
  if (candidate == nullptr) return fail(ErrorCode::Internal, "OSSL_LIB_CTX_new failed");
  ERR_clear_error();
  if (OSSL_PROVIDER_load(candidate, "tpm2") == nullptr) {
    bool missing = false;
    const std::string why = drain_errors(&missing);
    OSSL_LIB_CTX_free(candidate);
    if (missing) {
      return fail(ErrorCode::Unavailable,
                  std::string(kPrefix) +
                      "the tpm2 OpenSSL provider is not installed (scripts/install-deps.sh "
                      "installs tpm2-openssl): " +
                      why);
    }
    return fail(ErrorCode::Unavailable, std::string(kPrefix) + "cannot reach the TPM through " +
                                            tcti_description() + ": " + why);
  }
  // base: the file store and PEM decoding that bring the TSS2 PEM to tpm2's decoder.
  if (OSSL_PROVIDER_load(candidate, "base") == nullptr) {
    const std::string why = drain_errors();
    OSSL_LIB_CTX_free(candidate);
    return fail(ErrorCode::Internal, std::string(kPrefix) + "OpenSSL base provider: " + why);
  }
  library = candidate;
  return library;
}

Result<void> check_tss2_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(ErrorCode::BadRequest, "--key " + path + ": cannot read the file");
  std::string head(kTss2KeyPemHeader.size(), '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  if (head != kTss2KeyPemHeader) {
    return fail(ErrorCode::BadRequest,
                "--key " + path + ": not a TSS2 private key (expected " +
                    std::string(kTss2KeyPemHeader) +
                    ", as tpm2-openssl writes it); a PEM private key needs no --key-provider");
  }
  return {};
}

Result<ossl::PkeyPtr> load_from_store(OSSL_LIB_CTX* library, const std::string& key) {
  ERR_clear_error();
  OSSL_STORE_CTX* store = OSSL_STORE_open_ex(key.c_str(), library, kPropQuery, nullptr, nullptr,
                                             nullptr, nullptr, nullptr);
  ossl::PkeyPtr pkey;
  if (store != nullptr) {
    OSSL_STORE_expect(store, OSSL_STORE_INFO_PKEY);
    while (!pkey && OSSL_STORE_eof(store) == 0) {
      OSSL_STORE_INFO* info = OSSL_STORE_load(store);
      if (info == nullptr) break;
      if (OSSL_STORE_INFO_get_type(info) == OSSL_STORE_INFO_PKEY)
        pkey.reset(OSSL_STORE_INFO_get1_PKEY(info));
      OSSL_STORE_INFO_free(info);
    }
    OSSL_STORE_close(store);
  }
  if (!pkey) {
    return fail(ErrorCode::BadRequest, "--key " + key + ": the TPM (" + tcti_description() +
                                           ") did not load it: " + drain_errors());
  }
  return pkey;
}

std::mutex sign_mutex;  // one TPM connection: tpm2-openssl's ESYS context is not thread-safe

// The stand-in's signer: the digest goes to the TPM key, through tpm2-openssl.
Result<std::vector<uint8_t>> sign_in_tpm(EVP_PKEY* tpm_key, std::span<const uint8_t> digest) {
  auto library = tpm_library();  // loaded before the key was
  if (!library) return tl::unexpected(library.error());
  std::lock_guard lock(sign_mutex);
  ossl::PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(*library, tpm_key, kPropQuery));
  size_t length = 0;
  if (!ctx || EVP_PKEY_sign_init(ctx.get()) != 1 ||
      EVP_PKEY_sign(ctx.get(), nullptr, &length, digest.data(), digest.size()) != 1) {
    return fail(ErrorCode::Unavailable, std::string(kPrefix) + "sign: " + drain_errors());
  }
  std::vector<uint8_t> signature(length);
  if (EVP_PKEY_sign(ctx.get(), signature.data(), &length, digest.data(), digest.size()) != 1) {
    return fail(ErrorCode::Unavailable, std::string(kPrefix) + "sign: " + drain_errors());
  }
  signature.resize(length);
  return signature;
}

Result<std::shared_ptr<EVP_PKEY>> stand_in_for(ossl::PkeyPtr tpm_key, const std::string& key) {
  if (EVP_PKEY_is_a(tpm_key.get(), "EC") != 1) {
    return fail(ErrorCode::BadRequest,
                "--key " + key + ": the TPM key is " +
                    std::string(EVP_PKEY_get0_type_name(tpm_key.get())) +
                    "; device keys are EC P-256 or P-384 (docs/manufacturer-pki.md)");
  }
  std::shared_ptr<EVP_PKEY> held(tpm_key.release(), EVP_PKEY_free);
  auto stand_in = make_held_ec_key(held.get(), [held](std::span<const uint8_t> digest) {
    return sign_in_tpm(held.get(), digest);
  });
  if (!stand_in) {
    return fail(ErrorCode::Internal,
                "--key " + key + ": " + stand_in.error().internal + ": " + drain_errors());
  }
  return stand_in;
}

}  // namespace

Result<std::shared_ptr<EVP_PKEY>> load_tpm2_key(const std::string& key) {
  const bool uri = key.rfind("handle:", 0) == 0;
  if (!uri) {
    if (auto tss2 = check_tss2_file(key); !tss2) return tl::unexpected(tss2.error());
  }
  auto library = tpm_library();
  if (!library) return tl::unexpected(library.error());
  auto tpm_key = load_from_store(*library, key);
  if (!tpm_key) return tl::unexpected(tpm_key.error());
  return stand_in_for(std::move(*tpm_key), key);
}

}  // namespace dps::device
