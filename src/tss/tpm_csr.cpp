#include "tss/tpm_csr.hpp"

#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include <memory>
#include <span>

#include "common/openssl_deleter.hpp"
#include "tpm/marshal.hpp"
#include "tpm/public_key.hpp"
#include "tss/sign.hpp"

namespace dps::tss {
namespace {

using ReqPtr = std::unique_ptr<X509_REQ, OpenSslDeleter<X509_REQ_free>>;
using AlgorPtr = std::unique_ptr<X509_ALGOR, OpenSslDeleter<X509_ALGOR_free>>;
using BitStringPtr = std::unique_ptr<ASN1_BIT_STRING, OpenSslDeleter<ASN1_BIT_STRING_free>>;
using BioPtr = std::unique_ptr<BIO, OpenSslDeleter<BIO_free>>;

tl::unexpected<Error> openssl_error(const char* what) {
  return fail(ErrorCode::Internal, std::string("TPM CSR: ") + what);
}

// The request's body, unsigned: version 1, subject, the key.
Result<ReqPtr> request_body(const TPMS_ECC_POINT& point, std::string_view device_id) {
  auto key = tpm::p256_public_key(tpm::ByteView(point.x.buffer, point.x.size),
                                  tpm::ByteView(point.y.buffer, point.y.size), "identity key");
  if (!key) return tl::unexpected(key.error());
  ReqPtr req(X509_REQ_new());
  const std::string cn = "uuid:" + std::string(device_id);
  if (!req || X509_REQ_set_version(req.get(), 0) != 1 ||
      X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req.get()), "CN", MBSTRING_ASC,
                                 reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1,
                                 0) != 1 ||
      X509_REQ_set_pubkey(req.get(), key->get()) != 1) {
    return openssl_error("cannot build the request");
  }
  return req;
}

// SHA-256 of the DER CertificationRequestInfo, which the signature covers.
Result<TPM2B_DIGEST> body_digest(X509_REQ* req) {
  unsigned char* der = nullptr;
  const int n = i2d_re_X509_REQ_tbs(req, &der);
  if (n <= 0) return openssl_error("cannot encode the request body");
  TPM2B_DIGEST digest{};
  digest.size = SHA256_DIGEST_LENGTH;
  SHA256(der, static_cast<size_t>(n), digest.buffer);
  OPENSSL_free(der);
  return digest;
}

Result<void> set_signature(X509_REQ* req, const tpm::Bytes& der) {
  AlgorPtr algorithm(X509_ALGOR_new());
  BitStringPtr bits(ASN1_BIT_STRING_new());
  if (!algorithm || !bits ||
      X509_ALGOR_set0(algorithm.get(), OBJ_nid2obj(NID_ecdsa_with_SHA256), V_ASN1_UNDEF, nullptr) !=
          1 ||
      ASN1_BIT_STRING_set(bits.get(), const_cast<unsigned char*>(der.data()),
                          static_cast<int>(der.size())) != 1 ||
      X509_REQ_set1_signature_algo(req, algorithm.get()) != 1) {
    return openssl_error("cannot set the signature");
  }
  // A whole number of bytes: no unused bits in the BIT STRING.
  bits->flags &= ~(ASN1_STRING_FLAG_BITS_LEFT | 0x07);
  bits->flags |= ASN1_STRING_FLAG_BITS_LEFT;
  X509_REQ_set0_signature(req, bits.release());
  return {};
}

}  // namespace

Result<std::string> make_tpm_csr(ESYS_CONTEXT* esys, ESYS_TR key, const TPMS_ECC_POINT& point,
                                 std::string_view device_id) {
  auto req = request_body(point, device_id);
  if (!req) return tl::unexpected(req.error());
  auto digest = body_digest(req->get());
  if (!digest) return tl::unexpected(digest.error());
  auto signature = sign_digest(esys, key, std::span(digest->buffer, digest->size));
  if (!signature) return tl::unexpected(signature.error());
  if (auto set = set_signature(req->get(), *signature); !set) return tl::unexpected(set.error());
  // The TPM signed with the key whose point we put in the request: check before sending it.
  if (X509_REQ_verify(req->get(), X509_REQ_get0_pubkey(req->get())) != 1) {
    return fail(ErrorCode::Internal, "TPM CSR: the TPM's signature does not verify with its key");
  }
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509_REQ(bio.get(), req->get()) != 1) {
    return openssl_error("cannot write the PEM");
  }
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

}  // namespace dps::tss
