// Test support for the TPM tests: fresh temp directories, running Debian's tpm2-tools, the
// credential file format of tpm2_makecredential / tpm2_activatecredential, a swtpm process, and
// OpenSSL test keys. The tools are required (CI installs them): a missing one fails the test
// with a message naming scripts/install-deps.sh instead of skipping it.
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <filesystem>
#include <map>
#include <string>

#include "support/test_pki.hpp"
#include "tpm/credential.hpp"
#include "tpm/marshal.hpp"
#include "tpm/ossl_ptr.hpp"

namespace dps::tpm::test {

/// The tests' temp directory (support/test_pki.hpp).
using dps::test::TempDir;

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

/// Runs `command` through /bin/sh with `env` added to the environment.
CommandResult run(const std::string& command, const std::map<std::string, std::string>& env = {});

/// Success when every program of `programs` is on PATH; otherwise a failure naming the missing
/// one and scripts/install-deps.sh.
testing::AssertionResult have_programs(std::initializer_list<const char*> programs);

Bytes read_file(const std::string& path);
void write_file(const std::string& path, ByteView data);

/// tpm2-tools' credential file (tools/tpm2_makecredential.c write_cred_and_secret): magic
/// 0xBADCC0DE and version 1 (both UINT32 big-endian), then the TPM2B_ID_OBJECT and the
/// TPM2B_ENCRYPTED_SECRET, each with its UINT16 size.
Bytes to_tools_credential_file(const MadeCredential& credential);
Result<MadeCredential> from_tools_credential_file(ByteView file);

enum class KeyKind { Rsa2048, P256 };
/// A new OpenSSL key pair.
PkeyPtr generate_key(KeyKind kind);
/// Test-name suffixes for tests parametrised by KeyKind ("Rsa"/"Ecc", "RsaEk"/"EccEk").
std::string key_kind_name(const testing::TestParamInfo<KeyKind>& param);
std::string ek_kind_name(const testing::TestParamInfo<KeyKind>& param);
/// One key pair per kind for the whole test program (RSA generation is slow).
EVP_PKEY* shared_key(KeyKind kind, int index = 0);

/// Debian's swtpm, a software TPM 2.0, on loopback with a fresh state directory; stopped at
/// destruction. tcti() is the TCTI string for tpm2-tools (TPM2TOOLS_TCTI).
class Swtpm {
 public:
  /// @param manufactured_state a TPM state directory `swtpm_setup --tpm2` wrote (EKs and EK
  ///        certificates in NV, as a TPM leaves its factory), copied into the fresh one; empty =
  ///        a blank TPM.
  explicit Swtpm(const std::string& manufactured_state = {});
  ~Swtpm();
  Swtpm(const Swtpm&) = delete;
  Swtpm& operator=(const Swtpm&) = delete;

  bool running() const { return pid_ > 0; }
  const std::string& error() const { return error_; }
  std::string tcti() const;
  /// run() with TPM2TOOLS_TCTI set to this TPM, in the state directory.
  CommandResult tools(const std::string& command) const;
  std::string file(const std::string& name) const { return dir_.file(name); }

 private:
  TempDir dir_;
  pid_t pid_ = -1;
  int port_ = 0;
  std::string error_;
};

}  // namespace dps::tpm::test
