// RAII aliases for the OpenSSL objects the device client touches (internal to src/device).
#pragma once

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <string>
#include <string_view>

#include "pki/x509_ptr.hpp"

namespace dps::device::ossl {

// The project's RAII owners (pki/x509_ptr.hpp) under the short names the device code uses.
using BioPtr = pki::BioPtr;
using PkeyPtr = pki::EvpPkeyPtr;
using PkeyCtxPtr = pki::EvpPkeyCtxPtr;
using X509Ptr = pki::X509Ptr;
using ReqPtr = pki::X509ReqPtr;
using NamePtr = pki::X509NamePtr;

inline BioPtr mem_bio(std::string_view data) {
  return BioPtr(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
}

/// Everything written to a memory BIO, as a string.
inline std::string bio_string(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return n > 0 ? std::string(data, static_cast<size_t>(n)) : std::string();
}

}  // namespace dps::device::ossl
