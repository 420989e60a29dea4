#include "support/test_pki.hpp"

#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdlib.h>

#include <fstream>
#include <stdexcept>
#include <utility>

#include "pki/pem.hpp"
#include "pki/uuid.hpp"
#include "pki/x509_util.hpp"

namespace dps::test {

namespace {

template <class T>
T must(Result<T> r, const char* what) {
  if (!r) throw std::runtime_error(std::string(what) + ": " + r.error().internal);
  return std::move(*r);
}

void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string(what) + ": " + pki::openssl_error_string());
}

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(n));
}

pki::CertificateProfile profile(const pki::X509NamePtr& name, EVP_PKEY* key,
                                const Validity& validity) {
  const auto now = std::chrono::system_clock::now();
  return {name.get(), key, now + validity.not_before, now + validity.not_after, {}};
}

TestCa make_ca(const TestCa* parent, const std::string& name, const CaOptions& options) {
  TestCa ca;
  ca.key = make_key(options.key_type);
  const auto subject = must(pki::make_name(name), "CA name");
  auto p = profile(subject, ca.key.get(), options.validity);
  p.extensions = {{NID_basic_constraints, "critical,CA:TRUE"},
                  {NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature"},
                  {NID_subject_key_identifier, "hash"}};
  if (parent != nullptr) p.extensions.emplace_back(NID_authority_key_identifier, "keyid,issuer");
  ca.cert = must(pki::issue_certificate(p, parent ? parent->get() : nullptr,
                                        parent ? parent->key.get() : ca.key.get()),
                 "issue CA");
  if (parent != nullptr) {
    ca.issuers.push_back(pki::share(parent->get()));
    for (const auto& above : parent->issuers) ca.issuers.push_back(pki::share(above.get()));
  }
  return ca;
}

TestCert make_leaf_under(const TestCa* issuer, const LeafOptions& options) {
  TestCert leaf;
  leaf.key = make_key(options.key_type);
  const std::string cn = options.common_name.empty() ? "uuid:" + pki::random_uuid_v4().to_string()
                                                     : options.common_name;
  const auto subject = must(pki::make_name(cn), "leaf name");
  auto p = profile(subject, leaf.key.get(), options.validity);
  p.extensions = {{NID_key_usage, "critical,digitalSignature,keyAgreement"}};
  std::string eku;
  if (options.client_auth_eku) eku += "clientAuth,";
  if (options.server_auth_eku) eku += "serverAuth,";
  if (options.ocf_identity_eku) eku += "1.3.6.1.4.1.44924.1.6,";
  if (!eku.empty()) p.extensions.emplace_back(NID_ext_key_usage, eku.substr(0, eku.size() - 1));
  if (issuer != nullptr) p.extensions.emplace_back(NID_authority_key_identifier, "keyid,issuer");
  leaf.cert = must(pki::issue_certificate(p, issuer ? issuer->get() : nullptr,
                                          issuer ? issuer->key.get() : leaf.key.get()),
                   "issue leaf");
  return leaf;
}

pki::X509ReqPtr make_csr(EVP_PKEY* key, const std::string& common_name, const EVP_MD* digest,
                         const std::vector<std::pair<std::string, std::string>>& extra = {}) {
  pki::X509ReqPtr req(X509_REQ_new());
  const auto subject = must(pki::make_name(common_name), "CSR name");
  for (const auto& [field, value] : extra) {
    check(X509_NAME_add_entry_by_txt(subject.get(), field.c_str(), MBSTRING_UTF8,
                                     reinterpret_cast<const unsigned char*>(value.c_str()), -1, -1,
                                     0) == 1,
          "CSR name attribute");
  }
  check(req && X509_REQ_set_version(req.get(), X509_REQ_VERSION_1) == 1 &&
            X509_REQ_set_subject_name(req.get(), subject.get()) == 1 &&
            X509_REQ_set_pubkey(req.get(), key) == 1 && X509_REQ_sign(req.get(), key, digest) > 0,
        "make CSR");
  return req;
}

}  // namespace

pki::EvpPkeyPtr make_key(KeyType type) {
  pki::EvpPkeyPtr key;
  switch (type) {
    case KeyType::P256:
      key.reset(EVP_EC_gen("P-256"));
      break;
    case KeyType::P384:
      key.reset(EVP_EC_gen("P-384"));
      break;
    case KeyType::Secp256k1:
      key.reset(EVP_EC_gen("secp256k1"));
      break;
    case KeyType::Rsa2048:
      key.reset(EVP_RSA_gen(2048));
      break;
    case KeyType::Ed25519:
      key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
      break;
  }
  check(key != nullptr, "make_key");
  return key;
}

std::string TestCert::cert_pem() const { return must(pki::to_pem(cert.get()), "cert PEM"); }

std::string TestCert::key_pem() const {
  return must(pki::private_key_to_pem(key.get()), "key PEM");
}

std::string TestCa::chain_pem() const {
  std::string out = cert_pem();
  for (const auto& issuer : issuers) out += must(pki::to_pem(issuer.get()), "issuer PEM");
  return out;
}

std::string TestCa::root_pem() const {
  return issuers.empty() ? cert_pem() : must(pki::to_pem(issuers.back().get()), "root PEM");
}

pki::X509Ptr cross_certify(const TestCa& issuer, const TestCert& subject) {
  pki::X509NamePtr name(X509_NAME_dup(X509_get_subject_name(subject.get())));
  check(name != nullptr, "copy subject name");
  auto p = profile(name, X509_get0_pubkey(subject.get()), CaOptions{}.validity);
  p.extensions = {{NID_basic_constraints, "critical,CA:TRUE"},
                  {NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature"},
                  {NID_subject_key_identifier, "hash"},
                  {NID_authority_key_identifier, "keyid,issuer"}};
  return must(pki::issue_certificate(p, issuer.get(), issuer.key.get()), "cross-certificate");
}

TestCa make_root_ca(const std::string& name, const CaOptions& options) {
  return make_ca(nullptr, name, options);
}

TestCa make_intermediate_ca(const TestCa& parent, const std::string& name,
                            const CaOptions& options) {
  return make_ca(&parent, name, options);
}

TestCert make_loopback_server_certificate(const TestCa& issuer) {
  TestCert out;
  out.key = make_key();
  const auto subject = must(pki::make_name("test server on 127.0.0.1"), "server name");
  auto p = profile(subject, out.key.get(), Validity{-1h, std::chrono::days(30)});
  p.extensions = {{NID_key_usage, "critical,digitalSignature,keyAgreement"},
                  {NID_ext_key_usage, "serverAuth"},
                  {NID_subject_alt_name, "IP:127.0.0.1"},
                  {NID_authority_key_identifier, "keyid,issuer"}};
  out.cert = must(pki::issue_certificate(p, issuer.get(), issuer.key.get()), "server cert");
  return out;
}

bool chains_to(const std::string& chain_pem, const std::string& ca_pem) {
  auto chain = pki::parse_certificates_pem(chain_pem);
  auto anchors = pki::parse_certificates_pem(ca_pem);
  if (!chain || chain->empty() || !anchors || anchors->empty()) return false;
  pki::X509StorePtr store(X509_STORE_new());
  for (auto& anchor : *anchors) X509_STORE_add_cert(store.get(), anchor.get());
  pki::StackOfX509ViewPtr untrusted(sk_X509_new_null());
  for (size_t i = 1; i < chain->size(); ++i) sk_X509_push(untrusted.get(), (*chain)[i].get());
  pki::X509StoreCtxPtr context(X509_STORE_CTX_new());
  X509_STORE_CTX_init(context.get(), store.get(), chain->front().get(), untrusted.get());
  return X509_verify_cert(context.get()) == 1;
}

TestCert make_leaf(const TestCa& issuer, const LeafOptions& options) {
  return make_leaf_under(&issuer, options);
}

TestCert make_self_signed_leaf(const LeafOptions& options) {
  return make_leaf_under(nullptr, options);
}

pki::X509Ptr make_ek_certificate(const TestCa& issuer, EVP_PKEY* endorsement_key,
                                 const EkCertificateOptions& options) {
  pki::X509Ptr cert(X509_new());
  pki::BignumPtr serial(BN_new());
  check(cert && serial && X509_set_version(cert.get(), X509_VERSION_3) &&
            BN_rand(serial.get(), 64, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) &&
            BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) &&
            X509_set_issuer_name(cert.get(), X509_get_subject_name(issuer.get())) &&
            X509_gmtime_adj(X509_getm_notBefore(cert.get()), options.validity.not_before.count()) &&
            X509_gmtime_adj(X509_getm_notAfter(cert.get()), options.validity.not_after.count()) &&
            X509_set_pubkey(cert.get(), endorsement_key),
        "EK certificate fields");
  // The subject stays empty; the TPM is named in the subjectAltName, which must then be critical.
  pki::X509NamePtr tpm(X509_NAME_new());
  check(tpm != nullptr, "X509_NAME_new");
  for (const auto& [oid, value] :
       {std::pair{"2.23.133.2.1", "id:44504D53"}, std::pair{"2.23.133.2.2", "dps test TPM"},
        std::pair{"2.23.133.2.3", "id:00010002"}}) {
    check(X509_NAME_add_entry_by_txt(tpm.get(), oid, MBSTRING_UTF8,
                                     reinterpret_cast<const unsigned char*>(value), -1, -1, 0),
          "TPM attribute");
  }
  GENERAL_NAMES* names = sk_GENERAL_NAME_new_null();
  GENERAL_NAME* name = GENERAL_NAME_new();
  check(names && name, "GENERAL_NAME_new");
  GENERAL_NAME_set0_value(name, GEN_DIRNAME, tpm.release());
  sk_GENERAL_NAME_push(names, name);
  const int added =
      X509_add1_ext_i2d(cert.get(), NID_subject_alt_name, names, 1, X509V3_ADD_DEFAULT);
  GENERAL_NAMES_free(names);
  check(added == 1, "subjectAltName");

  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer.get(), cert.get(), nullptr, nullptr, 0);
  const bool rsa = EVP_PKEY_get_base_id(endorsement_key) == EVP_PKEY_RSA;
  std::vector<std::pair<int, std::string>> extensions = {
      {NID_basic_constraints, options.ca ? "critical,CA:TRUE" : "critical,CA:FALSE"},
      {NID_key_usage, rsa ? "critical,keyEncipherment" : "critical,keyAgreement"},
      {NID_authority_key_identifier, "keyid"}};
  if (!options.extended_key_usage.empty()) {
    extensions.emplace_back(NID_ext_key_usage, options.extended_key_usage);
  }
  for (const auto& [nid, value] : extensions) {
    pki::X509ExtensionPtr extension(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
    check(extension && X509_add_ext(cert.get(), extension.get(), -1), "EK certificate extension");
  }
  check(X509_sign(cert.get(), issuer.key.get(), EVP_sha256()) > 0, "sign EK certificate");
  return cert;
}

std::vector<unsigned char> to_der(X509* cert) {
  unsigned char* der = nullptr;
  const int size = i2d_X509(cert, &der);
  check(size > 0, "i2d_X509");
  std::vector<unsigned char> out(der, der + size);
  OPENSSL_free(der);
  return out;
}

std::string make_crl_pem(const TestCa& issuer, std::span<X509* const> revoked,
                         EVP_PKEY* signing_key) {
  pki::X509CrlPtr crl(X509_CRL_new());
  pki::Asn1TimePtr last_update(ASN1_TIME_set(nullptr, time(nullptr) - 3600));
  pki::Asn1TimePtr next_update(ASN1_TIME_set(nullptr, time(nullptr) + 7 * 86400));
  check(crl && last_update && next_update && X509_CRL_set_version(crl.get(), X509_CRL_VERSION_2) &&
            X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(issuer.get())) &&
            X509_CRL_set1_lastUpdate(crl.get(), last_update.get()) &&
            X509_CRL_set1_nextUpdate(crl.get(), next_update.get()),
        "CRL fields");
  for (X509* cert : revoked) {
    pki::X509RevokedPtr entry(X509_REVOKED_new());
    check(entry && X509_REVOKED_set_serialNumber(entry.get(), X509_get_serialNumber(cert)) &&
              X509_REVOKED_set_revocationDate(entry.get(), last_update.get()) &&
              X509_CRL_add0_revoked(crl.get(), entry.get()),
          "CRL entry");
    (void)entry.release();  // owned by the CRL now
  }
  check(X509_CRL_sort(crl.get()) &&
            X509_CRL_sign(crl.get(), signing_key ? signing_key : issuer.key.get(), EVP_sha256()),
        "CRL sign");
  pki::BioPtr bio(BIO_new(BIO_s_mem()));
  check(bio && PEM_write_bio_X509_CRL(bio.get(), crl.get()), "CRL PEM");
  return bio_text(bio.get());
}

std::string make_csr_pem(EVP_PKEY* key, const std::string& common_name, const CsrOptions& options) {
  const auto req = make_csr(key, common_name, options.digest, options.extra_subject);
  pki::BioPtr bio(BIO_new(BIO_s_mem()));
  check(bio && PEM_write_bio_X509_REQ(bio.get(), req.get()), "CSR PEM");
  return bio_text(bio.get());
}

std::string make_csr_pem_with_bad_signature(EVP_PKEY* key, const std::string& common_name) {
  const auto req = make_csr(key, common_name, EVP_sha256());
  unsigned char* der = nullptr;
  const int len = i2d_X509_REQ(req.get(), &der);
  check(len > 0, "CSR DER");
  pki::OpenSslBytesPtr owned(der);
  // The DER ends with the signature BIT STRING, so the last byte is inside the ECDSA "s" value:
  // the request still parses, the signature no longer verifies.
  der[len - 1] ^= 0x01;
  pki::BioPtr bio(BIO_new(BIO_s_mem()));
  check(bio && PEM_write_bio(bio.get(), "CERTIFICATE REQUEST", "", der, len), "CSR PEM");
  return bio_text(bio.get());
}

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "dps-test-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::filesystem::path TempDir::write(const std::string& name, const std::string& content) const {
  const auto file = path_ / name;
  std::ofstream out(file, std::ios::binary);
  out << content;
  if (!out) throw std::runtime_error("cannot write " + file.string());
  return file;
}

}  // namespace dps::test
