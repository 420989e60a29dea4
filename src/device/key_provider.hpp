// Device private keys that never enter the process: a manufacturer key (an IDevID) held in the
// device's TPM and used through Debian's tpm2-openssl provider.
#pragma once

#include <openssl/evp.h>

#include <memory>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace dps::device {

/// The first line of the key files tpm2-openssl writes (the TPM-wrapped key blob, not the key).
inline constexpr std::string_view kTss2KeyPemHeader = "-----BEGIN TSS2 PRIVATE KEY-----";
/// The environment variable that names the TPM for tpm2-openssl (a TCTI string).
inline constexpr const char* kTpm2OpensslTcti = "TPM2OPENSSL_TCTI";

/// Loads the EC key `key` (a TSS2 PEM file or "handle:0x…") from the TPM that TPM2OPENSSL_TCTI
/// names. The result holds the key's public half only and signs in the TPM; it is usable with
/// SSL_CTX_use_PrivateKey like any key. Fails naming the cause: tpm2-openssl not installed, the
/// TPM not reachable, a file that is not a TSS2 key, a key the TPM refuses, a non-EC key.
[[nodiscard]] Result<std::shared_ptr<EVP_PKEY>> load_tpm2_key(const std::string& key);

}  // namespace dps::device
