// check_credentials_response: the device's checks on the credentials answer (device-protocol §3.4).
#include <openssl/pem.h>

#include <ctime>

#include "device/cbor_payload.hpp"
#include "device/checks.hpp"
#include "device/csr.hpp"
#include "device/openssl_ptr.hpp"

namespace dps::device {

using detail::json;
using detail::string_at;
using std::chrono::system_clock;

namespace {

constexpr std::string_view kCertUsage = "oic.sec.cred.cert";
constexpr std::string_view kTrustCaUsage = "oic.sec.cred.trustca";
constexpr int kCredTypePsk = 1;
constexpr int kCredTypeCert = 8;

Result<system_clock::time_point> asn1_time(const ASN1_TIME* t) {
  std::tm tm{};
  if (ASN1_TIME_to_tm(t, &tm) != 1) return fail(ErrorCode::BadRequest, "bad certificate time");
  return system_clock::from_time_t(timegm(&tm));
}

/// publicdata {data: PEM, encoding: oic.sec.encoding.pem} → the PEM text.
Result<std::string> public_pem(const json& cred) {
  auto it = cred.find("publicdata");
  if (it == cred.end() || !it->is_object()) return fail(ErrorCode::BadRequest, "no publicdata");
  const std::string* data = string_at(*it, "data");
  const std::string* encoding = string_at(*it, "encoding");
  if (!data || !encoding || *encoding != "oic.sec.encoding.pem") {
    return fail(ErrorCode::BadRequest, "publicdata is not {data, encoding: oic.sec.encoding.pem}");
  }
  return *data;
}

Result<PreSharedKey> check_psk(const json& cred) {
  PreSharedKey psk;
  const std::string* subject = string_at(cred, "subjectuuid");
  if (!subject || !is_uuid(*subject)) {
    return fail(ErrorCode::BadRequest, "PSK cred: subjectuuid not a UUID");
  }
  psk.subject_uuid = *subject;
  auto it = cred.find("privatedata");
  if (it == cred.end() || !it->is_object() || !it->contains("data")) {
    return fail(ErrorCode::BadRequest, "PSK cred: no privatedata.data");
  }
  const json& data = (*it)["data"];
  if (data.is_binary()) {
    psk.key.assign(data.get_binary().begin(), data.get_binary().end());
  } else if (data.is_string()) {
    const auto& s = data.get_ref<const std::string&>();
    psk.key.assign(s.begin(), s.end());
  } else {
    return fail(ErrorCode::BadRequest, "PSK cred: privatedata.data not bytes");
  }
  if (psk.key.size() != 16) {
    return fail(ErrorCode::BadRequest,
                "PSK cred: key of " + std::to_string(psk.key.size()) + " bytes, expected 16");
  }
  return psk;
}

Result<void> check_identity(const json& cred, const CredentialExpectations& expect,
                            IssuedCredentials& out) {
  const std::string* subject = string_at(cred, "subjectuuid");
  if (!subject || *subject != expect.device_id) {
    return fail(ErrorCode::BadRequest, "identity cred: subjectuuid is not the device id");
  }
  auto pem = public_pem(cred);
  if (!pem) return tl::unexpected(pem.error());
  auto bio = ossl::mem_bio(*pem);
  ossl::X509Ptr leaf(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!leaf) return fail(ErrorCode::BadRequest, "identity cred: publicdata holds no certificate");
  auto key = leaf_public_key_der(*pem);
  if (!key || *key != expect.public_key_der) {
    return fail(ErrorCode::BadRequest, "identity cred: leaf public key is not the CSR's key");
  }
  auto not_before = asn1_time(X509_get0_notBefore(leaf.get()));
  auto not_after = asn1_time(X509_get0_notAfter(leaf.get()));
  if (!not_before || !not_after) return fail(ErrorCode::BadRequest, "identity cred: bad dates");
  if (*not_before > expect.now + std::chrono::minutes(1)) {
    return fail(ErrorCode::BadRequest, "identity cred: certificate not yet valid");
  }
  if (*not_after < expect.now + expect.min_validity) {
    return fail(ErrorCode::BadRequest, "identity cred: certificate expires within " +
                                           std::to_string(expect.min_validity.count()) + " s");
  }
  out.subject_uuid = *subject;
  out.cert_chain_pem = *pem;
  out.private_key_pem = expect.private_key_pem;
  out.not_after = *not_after;
  return {};
}

Result<void> check_trust_ca(const json& cred, IssuedCredentials& out) {
  auto pem = public_pem(cred);
  if (!pem) return tl::unexpected(pem.error());
  auto bio = ossl::mem_bio(*pem);
  ossl::X509Ptr ca(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!ca) return fail(ErrorCode::BadRequest, "trustca cred: publicdata holds no certificate");
  const std::string* subject = string_at(cred, "subjectuuid");
  out.trust_ca_pem = *pem;
  out.trust_ca_subject = subject ? *subject : std::string();
  return {};
}

}  // namespace

Result<IssuedCredentials> check_credentials_response(const coap::Message& response,
                                                     const CredentialExpectations& expect) {
  if (auto ok = check_code(response, coap::Code::Changed); !ok) return tl::unexpected(ok.error());
  if (auto ok = check_content_format(response); !ok) return tl::unexpected(ok.error());
  auto j = detail::decode_cbor(response);
  if (!j) return tl::unexpected(j.error());
  if (!j->is_object()) return fail(ErrorCode::BadRequest, "payload is not a CBOR map");
  if (detail::contains_key_deep(*j, "rowneruuid")) {
    return fail(ErrorCode::BadRequest, "creds: rowneruuid present (the device rejects it)");
  }
  auto creds = j->find("creds");
  if (creds == j->end() || !creds->is_array() || creds->empty()) {
    return fail(ErrorCode::BadRequest, "creds: missing, empty or not an array");
  }
  IssuedCredentials out;
  bool identity = false;
  bool trust_ca = false;
  for (const auto& cred : *creds) {
    const std::string* tag = string_at(cred, "tag");
    if (!tag || *tag != "dps") return fail(ErrorCode::BadRequest, "cred without tag \"dps\"");
    if (!cred.contains("credtype") || !cred["credtype"].is_number_integer()) {
      return fail(ErrorCode::BadRequest, "cred without integer credtype");
    }
    const int type = cred["credtype"].get<int>();
    out.credtypes.push_back(type);
    const std::string* usage = string_at(cred, "credusage");
    if (type == kCredTypePsk) {
      auto psk = check_psk(cred);
      if (!psk) return tl::unexpected(psk.error());
      out.psk = std::move(*psk);
    } else if (type == kCredTypeCert && usage && *usage == kCertUsage) {
      if (auto ok = check_identity(cred, expect, out); !ok) return tl::unexpected(ok.error());
      identity = true;
    } else if (type == kCredTypeCert && usage && *usage == kTrustCaUsage) {
      if (auto ok = check_trust_ca(cred, out); !ok) return tl::unexpected(ok.error());
      trust_ca = true;
    }
  }
  if (!identity) return fail(ErrorCode::BadRequest, "creds: no oic.sec.cred.cert credential");
  if (!trust_ca) return fail(ErrorCode::BadRequest, "creds: no oic.sec.cred.trustca credential");
  return out;
}

}  // namespace dps::device
