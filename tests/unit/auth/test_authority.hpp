// A real HTTP(S) server on 127.0.0.1:0 playing an OpenID Connect authority: it serves the
// discovery document and a JWKS, counts requests and can fail or fall silent on demand. The
// key providers are tested against it over real sockets (style.md: fakes speak the protocol).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace dps::test {

class TestAuthority {
 public:
  struct Tls {
    std::string cert_pem;  // server certificate (chain)
    std::string key_pem;
    std::string host = "localhost";  // host name used in the URLs it hands out
  };
  enum class Mode {
    Serve,    // 200 with the document
    Fail500,  // 500 to everything
    Silent,   // accept, then never answer
  };

  explicit TestAuthority(std::optional<Tls> tls = std::nullopt);
  ~TestAuthority();
  TestAuthority(const TestAuthority&) = delete;
  TestAuthority& operator=(const TestAuthority&) = delete;

  /// "http://127.0.0.1:<port>" or "https://<tls host>:<port>": the authority (issuer) URL.
  std::string url() const;
  uint16_t port() const;

  void set_jwks(std::string jwks_json);
  void set_mode(Mode mode);
  /// Replaces the discovery document (default: {"issuer": url(), "jwks_uri": url()+"/keys"}).
  void set_discovery(std::string json);

  int discovery_requests() const;
  int jwks_requests() const;
  /// When each JWKS request arrived.
  std::vector<std::chrono::steady_clock::time_point> jwks_request_times() const;
  /// Waits until at least `count` JWKS requests have been served.
  bool wait_for_jwks_requests(int count, std::chrono::milliseconds timeout) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// A loopback port nothing listens on (bound, then closed).
uint16_t unused_port();

}  // namespace dps::test
