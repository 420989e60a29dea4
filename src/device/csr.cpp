#include "device/csr.hpp"

#include <openssl/ec.h>
#include <openssl/pem.h>

#include "device/openssl_ptr.hpp"

namespace dps::device {

namespace {

Result<std::string> spki_der(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  const int n = i2d_PUBKEY(key, &der);
  if (n <= 0) return fail(ErrorCode::Internal, "cannot encode public key");
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(n));
  OPENSSL_free(der);
  return out;
}

}  // namespace

Result<DeviceCsr> make_device_csr(std::string_view di) {
  ossl::PkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) return fail(ErrorCode::Internal, "P-256 key generation failed");
  ossl::ReqPtr req(X509_REQ_new());
  if (!req || X509_REQ_set_version(req.get(), 0) != 1) {
    return fail(ErrorCode::Internal, "cannot create CSR");
  }
  const std::string cn = "uuid:" + std::string(di);
  X509_NAME* name = X509_REQ_get_subject_name(req.get());
  if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                 reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1,
                                 0) != 1 ||
      X509_REQ_set_pubkey(req.get(), key.get()) != 1 ||
      X509_REQ_sign(req.get(), key.get(), EVP_sha256()) <= 0) {
    return fail(ErrorCode::Internal, "cannot sign CSR");
  }
  DeviceCsr out;
  ossl::BioPtr csr_bio(BIO_new(BIO_s_mem()));
  ossl::BioPtr key_bio(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_X509_REQ(csr_bio.get(), req.get()) != 1 ||
      PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) !=
          1) {
    return fail(ErrorCode::Internal, "cannot write CSR or key PEM");
  }
  out.csr_pem = ossl::bio_string(csr_bio.get());
  out.private_key_pem = ossl::bio_string(key_bio.get());
  auto spki = spki_der(key.get());
  if (!spki) return tl::unexpected(spki.error());
  out.public_key_der = std::move(*spki);
  return out;
}

Result<std::string> leaf_public_key_der(std::string_view pem) {
  auto bio = ossl::mem_bio(pem);
  ossl::X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) return fail(ErrorCode::BadRequest, "no PEM certificate");
  return spki_der(X509_get0_pubkey(cert.get()));
}

}  // namespace dps::device
