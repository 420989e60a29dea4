#include "pki/csr.hpp"

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>

#include "common/untrusted_text.hpp"
#include "log/quoted.hpp"
#include "pki/pem.hpp"
#include "pki/uuid.hpp"
#include "pki/x509_util.hpp"

namespace dps::pki {

namespace {

Result<X509ReqPtr> parse_request(std::string_view pem) {
  ERR_clear_error();
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return fail(ErrorCode::Internal, "BIO_new_mem_buf: " + openssl_error_string());
  X509ReqPtr req(PEM_read_bio_X509_REQ(bio.get(), nullptr, no_passphrase, nullptr));
  if (!req) {
    const std::string detail = openssl_error_string();
    return fail(ErrorCode::BadRequest, "CSR is not a PEM certificate request: " + detail,
                "CSR is not a PEM certificate request");
  }
  return req;
}

// Refuse weak digests: the signature is the device's proof that it holds the key, and the
// device protocol says SHA-256 (device-protocol §3.4).
Result<void> check_signature_digest(X509_REQ* req) {
  int digest_nid = NID_undef;
  int key_nid = NID_undef;
  const int sig_nid = X509_REQ_get_signature_nid(req);
  if (OBJ_find_sigid_algs(sig_nid, &digest_nid, &key_nid) != 1) {
    return fail(ErrorCode::BadRequest, std::string("CSR signature algorithm ") +
                                           OBJ_nid2sn(sig_nid) + " is not supported");
  }
  if (digest_nid != NID_sha256 && digest_nid != NID_sha384 && digest_nid != NID_sha512) {
    return fail(ErrorCode::BadRequest, std::string("CSR signature algorithm ") +
                                           OBJ_nid2sn(sig_nid) + " is too weak: use SHA-256");
  }
  return {};
}

Result<Uuid> device_uuid_from_subject(X509_REQ* req) {
  const X509_NAME* subject = X509_REQ_get_subject_name(req);
  const int first = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (first < 0) return fail(ErrorCode::BadRequest, "CSR subject has no common name");
  if (X509_NAME_get_index_by_NID(subject, NID_commonName, first) >= 0) {
    return fail(ErrorCode::BadRequest, "CSR subject has more than one common name");
  }
  const std::string cn = common_name(subject);
  auto id = Uuid::from_ocf_common_name(cn);
  if (!id) {
    return fail(ErrorCode::BadRequest,
                "CSR common name " + log::quoted(cn) + " is not uuid:<UUID>");
  }
  return *id;
}

}  // namespace

Result<ValidatedCsr> validate_csr(std::string_view pem,
                                  std::optional<std::string_view> expected_device_id) {
  auto req = parse_request(pem);
  if (!req) return tl::unexpected(req.error());

  EVP_PKEY* key = X509_REQ_get0_pubkey(req->get());
  if (key == nullptr) {
    ERR_clear_error();
    return fail(ErrorCode::BadRequest, "CSR public key does not parse");
  }
  if (X509_REQ_verify(req->get(), key) != 1) {
    ERR_clear_error();
    return fail(ErrorCode::BadRequest, "CSR signature does not verify");
  }
  if (!device_curve(key)) {
    return fail(ErrorCode::BadRequest,
                "CSR key must be EC P-256 or P-384, got " + describe_key(key));
  }
  if (auto r = check_signature_digest(req->get()); !r) return tl::unexpected(r.error());

  auto id = device_uuid_from_subject(req->get());
  if (!id) return tl::unexpected(id.error());
  if (expected_device_id) {
    const auto expected = Uuid::parse(*expected_device_id);
    if (!expected || *expected != *id) {
      return fail(ErrorCode::BadRequest, "CSR common name uuid:" + id->to_string() +
                                             " does not match di " +
                                             quote_untrusted(*expected_device_id));
    }
  }
  return ValidatedCsr{std::move(*req), id->to_string()};
}

}  // namespace dps::pki
