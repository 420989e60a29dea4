#include "support/tpm_tools.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>
#include <vector>

namespace dps::tpm::test {

namespace {

constexpr std::uint32_t kCredentialFileMagic = 0xBADCC0DE;
constexpr std::uint32_t kCredentialFileVersion = 1;

bool port_free(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

// A port P from the kernel's ephemeral range with P+1 also free (swtpm's control channel).
int free_port_pair() {
  for (int attempt = 0; attempt < 50; ++attempt) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    const int port = ntohs(addr.sin_port);
    if (port < 65535 && port_free(port) && port_free(port + 1)) return port;
  }
  return 0;
}

bool accepts(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

CommandResult run(const std::string& command, const std::map<std::string, std::string>& env) {
  std::string line = "( ";
  for (const auto& [key, value] : env) line += "export " + key + "='" + value + "'; ";
  line += command + " ) 2>&1";
  CommandResult result;
  FILE* pipe = ::popen(line.c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buffer{};
  std::size_t n = 0;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0)
    result.output.append(buffer.data(), n);
  const int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

testing::AssertionResult have_programs(std::initializer_list<const char*> programs) {
  for (const char* program : programs) {
    if (run(std::string("command -v ") + program).exit_code != 0) {
      return testing::AssertionFailure()
             << program
             << " is not installed: the TPM tests need swtpm, swtpm-tools and tpm2-tools; run "
                "scripts/install-deps.sh";
    }
  }
  return testing::AssertionSuccess();
}

Bytes read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_file(const std::string& path, ByteView data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
}

Bytes to_tools_credential_file(const MadeCredential& credential) {
  Writer w;
  w.u32(kCredentialFileMagic).u32(kCredentialFileVersion);
  w.bytes(credential.id_object).bytes(credential.encrypted_secret);
  return w.take();
}

Result<MadeCredential> from_tools_credential_file(ByteView file) {
  Reader r(file);
  auto magic = r.u32("credential file magic");
  auto version = r.u32("credential file version");
  if (!magic || *magic != kCredentialFileMagic || !version || *version != kCredentialFileVersion) {
    return fail(ErrorCode::BadRequest, "not a tpm2-tools credential file");
  }
  const std::size_t blob_at = r.offset();
  auto blob = r.sized(0xffff, "TPM2B_ID_OBJECT");
  if (!blob) return tl::unexpected(blob.error());
  const std::size_t secret_at = r.offset();
  auto secret = r.sized(0xffff, "TPM2B_ENCRYPTED_SECRET");
  if (!secret) return tl::unexpected(secret.error());
  if (auto end = r.expect_end("credential file"); !end) return tl::unexpected(end.error());
  return MadeCredential{Bytes(file.begin() + static_cast<std::ptrdiff_t>(blob_at),
                              file.begin() + static_cast<std::ptrdiff_t>(secret_at)),
                        Bytes(file.begin() + static_cast<std::ptrdiff_t>(secret_at), file.end())};
}

PkeyPtr generate_key(KeyKind kind) {
  return PkeyPtr(kind == KeyKind::Rsa2048 ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048})
                                          : EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
}

std::string key_kind_name(const testing::TestParamInfo<KeyKind>& param) {
  return param.param == KeyKind::Rsa2048 ? "Rsa" : "Ecc";
}

std::string ek_kind_name(const testing::TestParamInfo<KeyKind>& param) {
  return key_kind_name(param) + "Ek";
}

EVP_PKEY* shared_key(KeyKind kind, int index) {
  static std::map<std::pair<KeyKind, int>, PkeyPtr> keys;
  auto& key = keys[{kind, index}];
  if (!key) key = generate_key(kind);
  return key.get();
}

Swtpm::Swtpm(const std::string& manufactured_state) {
  if (!manufactured_state.empty()) {
    std::error_code failed;
    std::filesystem::copy(manufactured_state, dir_.path(),
                          std::filesystem::copy_options::recursive |
                              std::filesystem::copy_options::overwrite_existing,
                          failed);
    if (failed) {
      error_ = "copying the TPM state " + manufactured_state + ": " + failed.message();
      return;
    }
  }
  port_ = free_port_pair();
  if (port_ == 0) {
    error_ = "no free port pair for swtpm";
    return;
  }
  const std::string state = "dir=" + dir_.path().string();
  const std::string server = "type=tcp,port=" + std::to_string(port_) + ",bindaddr=127.0.0.1";
  const std::string ctrl = "type=tcp,port=" + std::to_string(port_ + 1) + ",bindaddr=127.0.0.1";
  const std::string log = dir_.file("swtpm.log");
  pid_ = ::fork();
  if (pid_ == 0) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    ::execlp("swtpm", "swtpm", "socket", "--tpm2", "--tpmstate", state.c_str(), "--server",
             server.c_str(), "--ctrl", ctrl.c_str(), "--flags", "not-need-init,startup-clear",
             static_cast<char*>(nullptr));
    ::_exit(127);
  }
  // Wait (bounded) until both channels accept connections.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!(accepts(port_) && accepts(port_ + 1))) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      const Bytes text = read_file(log);
      error_ = "swtpm exited: " + std::string(text.begin(), text.end());
      return;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      error_ = "swtpm did not listen within 10 s";
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

Swtpm::~Swtpm() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
}

std::string Swtpm::tcti() const { return "swtpm:host=127.0.0.1,port=" + std::to_string(port_); }

CommandResult Swtpm::tools(const std::string& command) const {
  return run("cd '" + dir_.path().string() + "' && " + command, {{"TPM2TOOLS_TCTI", tcti()}});
}

}  // namespace dps::tpm::test
