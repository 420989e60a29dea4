// A TPM-resident device key for libssl. The key is loaded by tpm2-openssl in a library context of
// its own, and libssl gets a stand-in EC key (the TPM key's public half) whose signing method
// asks the TPM. Why not hand the provider's key to libssl directly (OpenSSL 3.0.x, checked with
// openssl s_client against swtpm):
//  - with tpm2 and default loaded side by side, EVP_DigestSignInit fetches the default provider's
//    ECDSA first and exports the TPM key to it; the export carries the public half only, and the
//    handshake fails with "ossl_ecdsa_simple_sign_sig: missing private key";
//  - preferring tpm2 (propquery ?provider=tpm2, as tpm2-openssl suggests for s_server) also moves
//    the handshake digests into the TPM, whose hash-sequence copies exhaust the TPM's object slots
//    ("out of memory for object contexts") and would cost a TPM command per handshake record.
// The stand-in keeps every other operation in the default provider and sends the TPM exactly one
// command per handshake: the signature. EC_KEY_METHOD is deprecated in OpenSSL 3 but is libssl
// 3.0's only hook for a key whose private half lives elsewhere (device keys are EC: OCF devices
// sign with ECDSA, docs/manufacturer-pki.md). The file is compiled in a unity build, so the
// deprecation warnings are silenced by pragma around this file's code, not by a macro.
#include "device/key_provider.hpp"

#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/provider.h>
#include <openssl/store.h>
#include <openssl/x509.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <mutex>

#include "device/openssl_ptr.hpp"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

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

// The stand-in's signing method: the digest goes to the TPM key kept in the EC_KEY's ex_data.
int tpm_key_index();
std::mutex sign_mutex;  // one TPM connection: tpm2-openssl's ESYS context is not thread-safe

int sign_in_tpm(int /*type*/, const unsigned char* digest, int digest_length,
                unsigned char* signature, unsigned int* signature_length, const BIGNUM* /*kinv*/,
                const BIGNUM* /*r*/, EC_KEY* stand_in) {
  auto* tpm_key = static_cast<EVP_PKEY*>(EC_KEY_get_ex_data(stand_in, tpm_key_index()));
  if (tpm_key == nullptr) return 0;
  auto library = tpm_library();  // loaded before the key was
  if (!library) return 0;
  std::lock_guard lock(sign_mutex);
  ossl::PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(*library, tpm_key, kPropQuery));
  size_t length = static_cast<size_t>(ECDSA_size(stand_in));
  const bool ok =
      ctx && EVP_PKEY_sign_init(ctx.get()) == 1 &&
      EVP_PKEY_sign(ctx.get(), signature, &length, digest, static_cast<size_t>(digest_length)) == 1;
  *signature_length = ok ? static_cast<unsigned int>(length) : 0;
  return ok ? 1 : 0;
}

void free_tpm_key(void* /*parent*/, void* ptr, CRYPTO_EX_DATA* /*ad*/, int /*index*/, long /*argl*/,
                  void* /*argp*/) {
  EVP_PKEY_free(static_cast<EVP_PKEY*>(ptr));
}

int tpm_key_index() {
  static const int index = EC_KEY_get_ex_new_index(0, nullptr, nullptr, nullptr, free_tpm_key);
  return index;
}

const EC_KEY_METHOD* tpm_method() {
  static EC_KEY_METHOD* method = [] {
    EC_KEY_METHOD* m = EC_KEY_METHOD_new(EC_KEY_OpenSSL());
    if (m != nullptr) EC_KEY_METHOD_set_sign(m, sign_in_tpm, nullptr, nullptr);
    return m;
  }();
  return method;
}

Result<std::shared_ptr<EVP_PKEY>> stand_in_for(ossl::PkeyPtr tpm_key, const std::string& key) {
  if (EVP_PKEY_is_a(tpm_key.get(), "EC") != 1) {
    return fail(ErrorCode::BadRequest,
                "--key " + key + ": the TPM key is " +
                    std::string(EVP_PKEY_get0_type_name(tpm_key.get())) +
                    "; device keys are EC P-256 or P-384 (docs/manufacturer-pki.md)");
  }
  unsigned char* der = nullptr;
  const int length = i2d_PUBKEY(tpm_key.get(), &der);
  if (length <= 0) {
    return fail(ErrorCode::Internal, "--key " + key + ": no public key: " + drain_errors());
  }
  const unsigned char* cursor = der;
  EC_KEY* ec = d2i_EC_PUBKEY(nullptr, &cursor, length);
  OPENSSL_free(der);
  ossl::PkeyPtr stand_in(EVP_PKEY_new());
  if (ec == nullptr || !stand_in || tpm_method() == nullptr ||
      EC_KEY_set_method(ec, tpm_method()) != 1 ||
      EC_KEY_set_ex_data(ec, tpm_key_index(), tpm_key.get()) != 1) {
    EC_KEY_free(ec);
    return fail(ErrorCode::Internal, "--key " + key + ": stand-in key: " + drain_errors());
  }
  tpm_key.release();  // now owned by the EC_KEY's ex_data (free_tpm_key)
  if (EVP_PKEY_assign_EC_KEY(stand_in.get(), ec) != 1) {
    EC_KEY_free(ec);
    return fail(ErrorCode::Internal, "--key " + key + ": stand-in key: " + drain_errors());
  }
  return std::shared_ptr<EVP_PKEY>(stand_in.release(), EVP_PKEY_free);
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

#pragma GCC diagnostic pop
