// PEM encoding and decoding of certificates and keys, plus the small file helpers the CA and the
// server identity use. Everything returns Result: PEM comes from config files, API bodies and
// devices, all untrusted.
#pragma once

#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.hpp"
#include "pki/x509_ptr.hpp"

namespace dps::pki {

/// The pass-phrase callback for every PEM read: never asks. OpenSSL's default one prompts on the
/// controlling terminal, which would hang a server started with an encrypted key.
int no_passphrase(char*, int, int, void*);

/// Drains OpenSSL's thread-local error queue into one line ("a; b; c"), so a later failure never
/// reports a stale reason. Returns "no OpenSSL error detail" when the queue is empty.
std::string openssl_error_string();

/// Every certificate in `pem`, in order. Text around the PEM blocks is ignored.
/// @return BadRequest if a block does not parse or there is no certificate at all.
[[nodiscard]] Result<std::vector<X509Ptr>> parse_certificates_pem(std::string_view pem);

/// How many certificate PEM blocks `pem` holds (the BEGIN lines parse_certificates_pem reads:
/// "CERTIFICATE" and the older "X509 CERTIFICATE"), counted without decoding any: a caller that
/// accepts at most N certificates refuses more before paying for their parsing. Counts every
/// such BEGIN line, so it never counts fewer than parse_certificates_pem would read.
size_t count_certificate_blocks(std::string_view pem);

/// The first certificate in `pem`, reading no further (text before it is ignored).
/// @return BadRequest if it does not parse or there is none.
[[nodiscard]] Result<X509Ptr> parse_first_certificate_pem(std::string_view pem);

/// The first private key in `pem` (PKCS#8, or traditional EC/RSA). Encrypted keys are refused
/// rather than prompting on the terminal.
[[nodiscard]] Result<EvpPkeyPtr> parse_private_key_pem(std::string_view pem);

/// "-----BEGIN CERTIFICATE-----..." for one certificate.
[[nodiscard]] Result<std::string> to_pem(X509* cert);
/// The concatenation of to_pem() of each certificate, in order.
[[nodiscard]] Result<std::string> to_pem(std::span<X509* const> certs);
/// PKCS#8 "-----BEGIN PRIVATE KEY-----", unencrypted.
[[nodiscard]] Result<std::string> private_key_to_pem(EVP_PKEY* key);

/// Who may read a written file: secrets (private keys) are created 0600.
enum class FileMode { Public, Secret };

/// The whole file. Internal error naming the path when it cannot be read.
[[nodiscard]] Result<std::string> read_file(const std::filesystem::path& path);

/// The system's CA bundle as OpenSSL names it (Debian: /etc/ssl/certs/ca-certificates.crt), for
/// settings that trust "the system's CAs too" besides a pool of their own.
[[nodiscard]] Result<std::string> system_ca_bundle();

/// Whether `key_pem` is the private key of the first certificate of `certificate_pem` (a client
/// certificate setting). BadRequest naming which part is wrong, never quoting the key.
[[nodiscard]] Result<void> check_key_pair(std::string_view certificate_pem,
                                          std::string_view key_pem);

/// Writes `content` atomically through dps::write_file_atomically (common/private_file.hpp): a
/// fresh O_EXCL|O_NOFOLLOW temporary file, fsync, then rename, so a crash never leaves a truncated
/// key or certificate behind. A Secret file is 0600 from creation on (never briefly
/// world-readable). A symbolic link at `path` is refused, never written through.
[[nodiscard]] Result<void> write_file(const std::filesystem::path& path, std::string_view content,
                                      FileMode mode);

/// An exclusive advisory lock (flock) on a lock file, held until destruction. Serialises
/// "create on first start" between processes sharing a data directory, so two replicas starting
/// together cannot publish a CA key from one and a certificate from the other.
class FileLock {
 public:
  [[nodiscard]] static Result<FileLock> acquire(const std::filesystem::path& path);
  FileLock(FileLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  FileLock& operator=(FileLock&&) = delete;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock();

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace dps::pki
