#include "pki/pem.hpp"

#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/private_file.hpp"

namespace dps::pki {

namespace {

BioPtr memory_bio(std::string_view data) {
  return BioPtr(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
}

std::string bio_contents(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return n > 0 ? std::string(data, static_cast<size_t>(n)) : std::string();
}

// True when the last error is the benign "no more PEM blocks" that ends every read loop.
bool only_end_of_pem() {
  const unsigned long err = ERR_peek_last_error();
  return ERR_GET_LIB(err) == ERR_LIB_PEM && ERR_GET_REASON(err) == PEM_R_NO_START_LINE;
}

std::string errno_text() { return std::strerror(errno); }

}  // namespace

int no_passphrase(char*, int, int, void*) { return -1; }

std::string openssl_error_string() {
  std::string out;
  char buf[256];
  while (const unsigned long err = ERR_get_error()) {
    ERR_error_string_n(err, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "no OpenSSL error detail" : out;
}

Result<std::vector<X509Ptr>> parse_certificates_pem(std::string_view pem) {
  ERR_clear_error();
  BioPtr bio = memory_bio(pem);
  if (!bio) return fail(ErrorCode::Internal, "BIO_new_mem_buf: " + openssl_error_string());
  std::vector<X509Ptr> certs;
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, no_passphrase, nullptr)) {
    certs.emplace_back(cert);
  }
  if (!only_end_of_pem()) {
    return fail(ErrorCode::BadRequest, "certificate PEM does not parse: " + openssl_error_string(),
                "certificate PEM does not parse");
  }
  ERR_clear_error();
  if (certs.empty()) return fail(ErrorCode::BadRequest, "no PEM certificate found");
  return certs;
}

size_t count_certificate_blocks(std::string_view pem) {
  // OpenSSL reads a certificate from either label (pem_lib.c check_pem); neither label contains
  // the other, so no block is counted twice.
  size_t count = 0;
  for (std::string_view label :
       {"-----BEGIN CERTIFICATE-----", "-----BEGIN X509 CERTIFICATE-----"}) {
    for (size_t at = pem.find(label); at != std::string_view::npos;
         at = pem.find(label, at + label.size())) {
      ++count;
    }
  }
  return count;
}

Result<X509Ptr> parse_first_certificate_pem(std::string_view pem) {
  ERR_clear_error();
  BioPtr bio = memory_bio(pem);
  if (!bio) return fail(ErrorCode::Internal, "BIO_new_mem_buf: " + openssl_error_string());
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, no_passphrase, nullptr));
  if (!cert) {
    if (only_end_of_pem()) {
      ERR_clear_error();
      return fail(ErrorCode::BadRequest, "no PEM certificate found");
    }
    return fail(ErrorCode::BadRequest, "certificate PEM does not parse: " + openssl_error_string(),
                "certificate PEM does not parse");
  }
  ERR_clear_error();
  return cert;
}

Result<EvpPkeyPtr> parse_private_key_pem(std::string_view pem) {
  ERR_clear_error();
  BioPtr bio = memory_bio(pem);
  if (!bio) return fail(ErrorCode::Internal, "BIO_new_mem_buf: " + openssl_error_string());
  EvpPkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr));
  if (!key) {
    // Key material never goes into the external message.
    return fail(ErrorCode::BadRequest, "private key PEM does not parse: " + openssl_error_string(),
                "private key PEM does not parse");
  }
  return key;
}

Result<std::string> to_pem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) {
    return fail(ErrorCode::Internal, "PEM_write_bio_X509: " + openssl_error_string());
  }
  return bio_contents(bio.get());
}

Result<std::string> to_pem(std::span<X509* const> certs) {
  std::string out;
  for (X509* cert : certs) {
    auto pem = to_pem(cert);
    if (!pem) return tl::unexpected(pem.error());
    out += *pem;
  }
  return out;
}

Result<std::string> private_key_to_pem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return fail(ErrorCode::Internal, "PEM_write_bio_PrivateKey: " + openssl_error_string());
  }
  return bio_contents(bio.get());
}

Result<std::string> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(ErrorCode::Internal, path.string() + ": cannot open: " + errno_text());
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) return fail(ErrorCode::Internal, path.string() + ": read failed");
  return std::move(content).str();
}

Result<void> write_file(const std::filesystem::path& path, std::string_view content,
                        FileMode mode) {
  return write_file_atomically(path, content,
                               mode == FileMode::Secret ? kSecretFileMode : kPublicFileMode);
}

Result<FileLock> FileLock::acquire(const std::filesystem::path& path) {
  // O_NOFOLLOW: a link planted at the lock path must not make dps create or open a file elsewhere.
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return fail(ErrorCode::Internal, path.string() + ": cannot open: " + errno_text());
  while (::flock(fd, LOCK_EX) != 0) {
    if (errno == EINTR) continue;
    const std::string why = errno_text();
    ::close(fd);
    return fail(ErrorCode::Internal, path.string() + ": cannot lock: " + why);
  }
  return FileLock(fd);
}

FileLock::~FileLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

Result<std::string> system_ca_bundle() {
  const char* path = X509_get_default_cert_file();
  auto bundle = read_file(path);
  if (!bundle) {
    return fail(ErrorCode::Internal, std::string("cannot read the system CAs from ") + path,
                "this server cannot read its trusted CAs");
  }
  return bundle;
}

Result<void> check_key_pair(std::string_view certificate_pem, std::string_view key_pem) {
  auto certs = parse_certificates_pem(certificate_pem);
  if (!certs || certs->empty()) {
    return fail(ErrorCode::BadRequest, "the certificate is not PEM");
  }
  auto key = parse_private_key_pem(key_pem);
  if (!key) return fail(ErrorCode::BadRequest, "the key is not a PEM private key");
  if (X509_check_private_key(certs->front().get(), key->get()) != 1) {
    ERR_clear_error();
    return fail(ErrorCode::BadRequest, "the key is not the certificate's");
  }
  return {};
}

}  // namespace dps::pki
