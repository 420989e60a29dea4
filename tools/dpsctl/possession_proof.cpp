#include "possession_proof.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>
#include <vector>

#include "api_resource.hpp"
#include "exit_codes.hpp"
#include "local_file.hpp"

namespace dps::dpsctl {
// Named, not anonymous: dpsctl is a unity build (cmake/build_speed.cmake).
namespace proof_internals {

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct KeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct CertFree {
  void operator()(X509* cert) const { X509_free(cert); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using KeyPtr = std::unique_ptr<EVP_PKEY, KeyFree>;
using CertPtr = std::unique_ptr<X509, CertFree>;

BioPtr memory_bio(const std::string& text) {
  return BioPtr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

[[noreturn]] void usage(const std::string& message) {
  ERR_clear_error();
  throw CliError(ExitCode::Usage, message);
}

KeyPtr read_key(const std::string& pem) {
  BioPtr bio = memory_bio(pem);
  KeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) usage("--proof-key: not a PEM private key (an encrypted key must be decrypted first)");
  return key;
}

std::vector<CertPtr> read_certificates(const std::string& pem) {
  BioPtr bio = memory_bio(pem);
  std::vector<CertPtr> certs;
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    certs.emplace_back(cert);
  }
  ERR_clear_error();  // the end of the input reads as an error
  return certs;
}

void check(bool ok, const char* what) {
  if (!ok) usage(std::string("cannot make the verification certificate: ") + what);
}

}  // namespace proof_internals

using nlohmann::json;

void add_proof_options(CLI::App& verb, ProofOptions& options) {
  auto* key = verb.add_option("--proof-key", options.key_file,
                              "PEM private key of the chain's lead certificate: dpsctl gets a "
                              "verification code and signs it, proving the CA is yours. The key "
                              "never leaves this machine");
  auto* code = verb.add_option("--verification-code", options.code,
                               "Code from `groups verification-code`, when the certificate was "
                               "signed elsewhere (--proof-certificate)");
  auto* cert = verb.add_option("--proof-certificate", options.certificate_file,
                               "PEM certificate with subject CN = the verification code, signed "
                               "by the CA's key");
  key->excludes(code)->excludes(cert);
  code->needs(cert);
  cert->needs(code);
}

json request_verification_code(Session& session) {
  ApiResource codes(session.client, "/api/v1/enrollment-groups/verification-codes",
                    "verification code");
  return codes.create(json::object());
}

std::optional<json> possession_proof(Session& session, const ProofOptions& options,
                                     const std::string& chain_pem) {
  using namespace proof_internals;
  if (!options.code.empty()) {
    return json{{"code", options.code},
                {"certificate", read_local_file(options.certificate_file, "--proof-certificate")}};
  }
  if (options.key_file.empty()) return std::nullopt;
  if (chain_pem.empty())
    usage("--proof-key needs --chain or --tpm-ca: the key proves that chain is yours");
  const std::string key_pem = read_local_file(options.key_file, "--proof-key");
  read_key(key_pem);  // a bad key file is a usage error before any request
  const std::string code = request_verification_code(session).value("code", "");
  if (code.empty())
    throw CliError(ExitCode::ApiRefused, "the server returned no verification code");
  return json{{"code", code},
              {"certificate", make_verification_certificate(key_pem, code, chain_pem)}};
}

std::string make_verification_certificate(const std::string& key_pem, const std::string& code,
                                          const std::string& issuer_pem) {
  using namespace proof_internals;
  KeyPtr key = read_key(key_pem);
  X509* issuer = nullptr;
  const std::vector<CertPtr> chain = read_certificates(issuer_pem);
  for (const CertPtr& cert : chain) {
    if (EVP_PKEY_eq(X509_get0_pubkey(cert.get()), key.get()) == 1) {
      issuer = cert.get();
      break;
    }
  }
  if (!issuer) {
    usage(
        "--proof-key is not the key of any certificate in --chain (or --tpm-ca): sign with the "
        "key of the lead certificate");
  }
  CertPtr cert(X509_new());
  check(cert != nullptr, "out of memory");
  check(X509_set_version(cert.get(), 2) == 1, "version");
  check(ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1) == 1, "serial");
  check(X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60) != nullptr, "notBefore");
  check(X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600) != nullptr, "notAfter");
  X509_NAME* subject = X509_get_subject_name(cert.get());
  check(X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(code.c_str()), -1, -1,
                                   0) == 1,
        "subject");
  check(X509_set_issuer_name(cert.get(), X509_get_subject_name(issuer)) == 1, "issuer");
  // The certificate's own key does not matter to the proof; the CA's public key keeps it simple.
  check(X509_set_pubkey(cert.get(), key.get()) == 1, "public key");
  // Ed25519/Ed448 sign without a separate digest.
  const int type = EVP_PKEY_base_id(key.get());
  const EVP_MD* digest =
      type == EVP_PKEY_ED25519 || type == EVP_PKEY_ED448 ? nullptr : EVP_sha256();
  check(X509_sign(cert.get(), key.get(), digest) > 0, "signature");
  BioPtr out(BIO_new(BIO_s_mem()));
  check(out && PEM_write_bio_X509(out.get(), cert.get()) == 1, "PEM");
  char* data = nullptr;
  const long size = BIO_get_mem_data(out.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

}  // namespace dps::dpsctl
