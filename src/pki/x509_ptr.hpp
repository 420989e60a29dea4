// RAII owners for OpenSSL objects. Every OpenSSL object this project holds goes into one of these,
// so error paths cannot leak and ownership is visible in the type (style.md: RAII members).
#pragma once

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <memory>

#include "common/openssl_deleter.hpp"

namespace dps::pki {

namespace detail {

/// Adapts an OpenSSL free function to a stateless unique_ptr deleter (common/openssl_deleter.hpp).
template <auto FreeFn>
using OpenSslDeleter = ::dps::OpenSslDeleter<FreeFn>;

inline void free_x509_stack(STACK_OF(X509) * s) noexcept { sk_X509_pop_free(s, X509_free); }
// A stack that only borrows its certificates (e.g. the per-call "untrusted" set of a
// verification): frees the stack, not the certificates.
inline void free_x509_stack_view(STACK_OF(X509) * s) noexcept { sk_X509_free(s); }
inline void free_crl_stack(STACK_OF(X509_CRL) * s) noexcept {
  sk_X509_CRL_pop_free(s, X509_CRL_free);
}
inline void free_openssl_bytes(unsigned char* p) noexcept { OPENSSL_free(p); }

}  // namespace detail

using X509Ptr = std::unique_ptr<X509, detail::OpenSslDeleter<X509_free>>;
using X509ReqPtr = std::unique_ptr<X509_REQ, detail::OpenSslDeleter<X509_REQ_free>>;
using X509CrlPtr = std::unique_ptr<X509_CRL, detail::OpenSslDeleter<X509_CRL_free>>;
using X509NamePtr = std::unique_ptr<X509_NAME, detail::OpenSslDeleter<X509_NAME_free>>;
using X509ExtensionPtr =
    std::unique_ptr<X509_EXTENSION, detail::OpenSslDeleter<X509_EXTENSION_free>>;
using X509RevokedPtr = std::unique_ptr<X509_REVOKED, detail::OpenSslDeleter<X509_REVOKED_free>>;
using X509StorePtr = std::unique_ptr<X509_STORE, detail::OpenSslDeleter<X509_STORE_free>>;
using X509StoreCtxPtr =
    std::unique_ptr<X509_STORE_CTX, detail::OpenSslDeleter<X509_STORE_CTX_free>>;
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, detail::OpenSslDeleter<EVP_PKEY_free>>;
using EvpPkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, detail::OpenSslDeleter<EVP_PKEY_CTX_free>>;
using EvpMdCtxPtr = std::unique_ptr<EVP_MD_CTX, detail::OpenSslDeleter<EVP_MD_CTX_free>>;
using BioPtr = std::unique_ptr<BIO, detail::OpenSslDeleter<BIO_free_all>>;
using BignumPtr = std::unique_ptr<BIGNUM, detail::OpenSslDeleter<BN_free>>;
using Asn1IntegerPtr = std::unique_ptr<ASN1_INTEGER, detail::OpenSslDeleter<ASN1_INTEGER_free>>;
using Asn1TimePtr = std::unique_ptr<ASN1_TIME, detail::OpenSslDeleter<ASN1_TIME_free>>;
using SslCtxPtr = std::unique_ptr<SSL_CTX, detail::OpenSslDeleter<SSL_CTX_free>>;
using OpenSslBytesPtr =
    std::unique_ptr<unsigned char, detail::OpenSslDeleter<detail::free_openssl_bytes>>;
/// Owns the stack and one reference to each certificate in it.
using StackOfX509Ptr =
    std::unique_ptr<STACK_OF(X509), detail::OpenSslDeleter<detail::free_x509_stack>>;
/// Owns the stack only; the certificates are borrowed.
using StackOfX509ViewPtr =
    std::unique_ptr<STACK_OF(X509), detail::OpenSslDeleter<detail::free_x509_stack_view>>;
using StackOfX509CrlPtr =
    std::unique_ptr<STACK_OF(X509_CRL), detail::OpenSslDeleter<detail::free_crl_stack>>;

/// A new owning handle on a certificate that someone else also holds (X509_up_ref).
inline X509Ptr share(X509* cert) noexcept {
  if (cert != nullptr) X509_up_ref(cert);
  return X509Ptr(cert);
}

/// A new owning handle on a key that someone else also holds (EVP_PKEY_up_ref).
inline EvpPkeyPtr share(EVP_PKEY* key) noexcept {
  if (key != nullptr) EVP_PKEY_up_ref(key);
  return EvpPkeyPtr(key);
}

}  // namespace dps::pki
