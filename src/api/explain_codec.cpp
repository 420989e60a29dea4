#include "api/explain_codec.hpp"

#include <openssl/bio.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "api/codec_support.hpp"
#include "common/clock.hpp"
#include "pki/pem.hpp"
#include "pki/x509_util.hpp"

namespace dps::api {
namespace {

constexpr std::string_view kChainField = "certificateChain";

// RFC 2253 as UTF-8: the flags' default escapes every non-ASCII byte, which would show a
// manufacturer's "Müller" as "M\C3\BCller".
std::string name_text(const X509_NAME* name) {
  pki::BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0) {
    return {};
  }
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return data != nullptr && size > 0 ? std::string(data, static_cast<size_t>(size)) : std::string();
}

std::string time_text(const ASN1_TIME* time) {
  const auto point = pki::to_time_point(time);
  return point ? rfc3339_utc(*point) : std::string{};
}

std::vector<std::string> extended_key_usages(X509* cert) {
  std::vector<std::string> out;
  auto* usages =
      static_cast<EXTENDED_KEY_USAGE*>(X509_get_ext_d2i(cert, NID_ext_key_usage, nullptr, nullptr));
  if (usages == nullptr) return out;
  for (int i = 0; i < sk_ASN1_OBJECT_num(usages); ++i) {
    const ASN1_OBJECT* usage = sk_ASN1_OBJECT_value(usages, i);
    const int nid = OBJ_obj2nid(usage);
    // OpenSSL's short names are RFC 5280's: clientAuth, serverAuth, codeSigning, ...
    if (const char* name = nid == NID_undef ? nullptr : OBJ_nid2sn(nid); name != nullptr) {
      out.emplace_back(name);
      continue;
    }
    char dotted[128];
    const int length = OBJ_obj2txt(dotted, sizeof dotted, usage, /*no_name=*/1);
    if (length > 0 && static_cast<size_t>(length) < sizeof dotted) out.emplace_back(dotted);
  }
  EXTENDED_KEY_USAGE_free(usages);
  return out;
}

}  // namespace

Result<std::vector<pki::X509Ptr>> explained_chain_from_json(std::string_view body) {
  auto doc = codec::parse_body(body);
  if (!doc) return tl::unexpected(doc.error());
  Problem problem;
  JsonReader root(*doc, "", problem);
  const bool given = root.has(kChainField);
  const std::string pem = codec::value_field(root, kChainField, ValueKind::Pem);
  root.finish();
  if (problem) return fail(ErrorCode::BadRequest, *problem);
  const std::string field(kChainField);
  if (!given || pem.empty()) {
    return fail(ErrorCode::BadRequest,
                field +
                    ": required: the device's certificate (PEM), then the intermediates it "
                    "sends");
  }
  const auto too_many = [&](size_t count) {
    return fail(ErrorCode::BadRequest, field + ": " + std::to_string(count) +
                                           " certificates; at most " +
                                           std::to_string(kMaxExplainedCertificates) +
                                           " (the device's leaf and the intermediates it sends)");
  };
  // Counted before any is decoded: a body of a thousand certificates costs a scan, not a
  // thousand parses.
  if (const size_t blocks = pki::count_certificate_blocks(pem);
      blocks > kMaxExplainedCertificates) {
    return too_many(blocks);
  }
  auto certs = pki::parse_certificates_pem(pem);
  if (!certs) return fail(ErrorCode::BadRequest, field + ": " + certs.error().peer_message());
  // Not reached while the count above sees every block OpenSSL reads; kept as the bound itself.
  if (certs->size() > kMaxExplainedCertificates) return too_many(certs->size());
  return std::move(*certs);
}

nlohmann::json certificate_json(X509* cert) {
  return {{"subject", name_text(X509_get_subject_name(cert))},
          {"issuer", name_text(X509_get_issuer_name(cert))},
          {"serialNumber", pki::serial_hex(cert)},
          {"notBefore", time_text(X509_get0_notBefore(cert))},
          {"notAfter", time_text(X509_get0_notAfter(cert))},
          {"publicKeySha256", pki::spki_sha256_hex(cert)},
          {"commonName", pki::common_name(X509_get_subject_name(cert))},
          {"extendedKeyUsage", extended_key_usages(cert)}};
}

}  // namespace dps::api
