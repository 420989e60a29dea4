// dps-device over CoAP over UDP+DTLS 1.2 (issue 17) against the real dps: the whole flow with the
// device's own message layer (CON/ACK, retransmission of a lost request, Block2 reassembly of the
// credentials answer, Block1 for a large request, the server's reverse GET /oic/res answered on
// its ACK), with and without a TCP listener beside it, and a device dps does not trust.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/x509.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "device/block_transfer.hpp"
#include "device/checks.hpp"
#include "device/requests.hpp"
#include "support/dps_fixture.hpp"

namespace dps::itest {
namespace {

using device::Step;

std::string udp_spki_der(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  const int length = i2d_PUBKEY(key, &der);
  std::string out(reinterpret_cast<const char*>(der), static_cast<size_t>(std::max(length, 0)));
  OPENSSL_free(der);
  return out;
}

std::string read_udp_text(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void expect_udp_section_ok(const nlohmann::json& record, const char* section) {
  ASSERT_TRUE(record.contains(section)) << section << " missing in " << record.dump();
  if (std::string_view(section) == "attestation") return;  // {date, x509}: no status
  const auto& status =
      record[section].contains("status") ? record[section]["status"] : record[section];
  EXPECT_GE(status.value("coapCode", 0), 65) << section << ": " << status.dump();
  EXPECT_LE(status.value("coapCode", 0), 69) << section << ": " << status.dump();
}

class DpsDeviceUdp : public DpsTest {
 protected:
  void configure(DpsConfigSpec& spec) override { spec.protocols = "[tcp, udp]"; }

  std::string ca_file() const { return (spec_.data_dir / "ca.pem").string(); }

  /// provision_args() over UDP to dps's DTLS port.
  std::vector<std::string> udp_args() const {
    auto args = provision_args(ca_file());
    args[3] = "127.0.0.1:" + std::to_string(dps_->udp_port());
    args.push_back("--udp");
    return args;
  }

  device::DeviceConfig udp_config() const {
    auto config = device_config();
    config.port = dps_->udp_port();
    config.udp = true;
    return config;
  }
};

TEST_F(DpsDeviceUdp, ProvisionsEveryStepAndTheRecordShowsThem) {
  ASSERT_NE(dps_->udp_port(), 0);
  auto args = udp_args();
  args.push_back("--json");
  const auto out = run_process(args);
  ASSERT_EQ(out.exit_code, 0) << out.out << out.err;
  const auto report = nlohmann::json::parse(out.out, nullptr, false);
  ASSERT_FALSE(report.is_discarded()) << out.out;
  EXPECT_TRUE(report["ok"].get<bool>());
  std::vector<std::string> steps;
  for (const auto& step : report["steps"]) {
    EXPECT_TRUE(step["ok"].get<bool>()) << step.dump();
    steps.push_back(step["step"].get<std::string>());
  }
  EXPECT_EQ(steps, (std::vector<std::string>{"time", "ownership", "cloud-configuration",
                                             "credentials", "acls"}));
  // The credentials answer needs Block2 blocks over UDP; it came back whole and verifies.
  const auto chain = report["credentials"]["certificateChainPem"].get<std::string>();
  EXPECT_TRUE(test::chains_to(chain, read_udp_text(ca_file()))) << chain;
  EXPECT_EQ(report["hub"]["sid"], kHubA);

  const auto record = record_of(report["deviceId"].get<std::string>());
  ASSERT_TRUE(record) << "no record for " << report["deviceId"];
  for (const char* section :
       {"attestation", "plgdTime", "ownership", "cloud", "credential", "acl"}) {
    expect_udp_section_ok(*record, section);
  }
  // dps's reverse GET /oic/res went over UDP and the device answered it with its coaps://
  // endpoint.
  ASSERT_TRUE(record->contains("localEndpoints")) << record->dump();
  const auto& endpoints = (*record)["localEndpoints"];
  ASSERT_FALSE(endpoints.empty()) << record->dump();
  EXPECT_EQ(endpoints[0].get<std::string>().rfind("coaps://127.0.0.1:", 0), 0u) << endpoints.dump();
}

TEST_F(DpsDeviceUdp, SessionIsDtls12WithTheDeviceCipherSuite) {
  auto tls = device::ClientTls::create(default_tls());
  ASSERT_TRUE(tls) << tls.error().internal;
  device::Provisioner device(udp_config(), *tls);
  struct Seen {
    std::string error, version, cipher, endpoint;
    size_t answered = 0;
  };
  const auto seen = run_coro<Seen>([&]() -> awaitable<Seen> {
    auto session = co_await device.connect(Step::Time);
    Seen failed;
    failed.error = session ? "" : session.error().internal;
    if (!session) co_return failed;
    auto outcome = co_await device.time(**session);
    Seen s{outcome.ok ? "" : outcome.error, (*session)->tls_version(), (*session)->cipher(),
           (*session)->local_endpoint(), (*session)->server_requests_answered()};
    co_await (*session)->close();
    co_return s;
  });
  ASSERT_EQ(seen.error, "");
  EXPECT_EQ(seen.version, "DTLSv1.2");
  EXPECT_EQ(seen.cipher, "ECDHE-ECDSA-AES128-GCM-SHA256") << "the device's first suite";
  EXPECT_EQ(seen.endpoint.rfind("coaps://127.0.0.1:", 0), 0u) << seen.endpoint;
  EXPECT_EQ(seen.answered, 1u) << "dps asks GET /oic/res once before its first answer";
}

TEST_F(DpsDeviceUdp, AnUntrustedDeviceIsRefusedWithAClearError) {
  const test::TestCa stranger = test::make_root_ca("Stranger Root");
  const test::TestCert leaf = test::make_leaf(stranger);
  auto args = udp_args();
  args[5] = write("stranger.pem", leaf.cert_pem()).string();
  args[7] = write("stranger.key", leaf.key_pem()).string();
  // The DTLS handshake completes (dps judges the chain at admission, as over TCP 1.3); the
  // first answer is the refusal, told to the device as over TCP, with the owner's way to see why.
  const auto out = run_process(args);
  EXPECT_EQ(out.exit_code, 1) << out.out << out.err;
  EXPECT_NE(out.out.find("FAILED at step connect: connect: the server refused the device: "
                         "refused: "),
            std::string::npos)
      << out.out << out.err;
  EXPECT_NE(out.out.find("no enrollment group for the certificate issuer"), std::string::npos)
      << out.out;
  EXPECT_NE(out.out.find("likely cause: the device's owner sees why in `dpsctl records list"),
            std::string::npos)
      << out.out;
  expect_server_serves();  // over TCP, right after
}

// The credentials answer comes in Block2 blocks (Size2 on the first): a device whose buffer is
// smaller refuses it up front instead of collecting blocks it cannot hold.
TEST_F(DpsDeviceUdp, AnAnswerOverTheDeviceBufferFailsItsStep) {
  auto config = udp_config();
  config.max_inbound_message = 1200;
  const auto result = provision(default_tls(), config);
  ASSERT_FALSE(result.ok);
  ASSERT_EQ(result.failed_step, Step::Credentials) << result.error;
  EXPECT_NE(result.error.find("(Size2): over the device's 1200-byte buffer"), std::string::npos)
      << result.error;
}

// A request larger than a datagram (a CSR with a long subject) goes up in Block1 blocks; dps
// reassembles it and certifies that very key.
TEST_F(DpsDeviceUdp, ARequestLargerThanADatagramGoesInBlocks) {
  auto tls = device::ClientTls::create(default_tls());
  ASSERT_TRUE(tls) << tls.error().internal;
  device::Provisioner device(udp_config(), *tls);
  const auto key = test::make_key(test::KeyType::P384);
  const std::string di = device.config().device_id;
  // Long OUs take the CSR over a datagram; dps issues its own subject whatever a CSR asks.
  test::CsrOptions padded;
  for (char c : std::string("stuvwxyz"))
    padded.extra_subject.emplace_back("OU", std::string(60, c));
  auto request =
      device::make_credentials_request(di, test::make_csr_pem(key.get(), "uuid:" + di, padded));
  ASSERT_GT(request.payload.size(), device::kMaxRequestDatagram) << "fits one datagram";
  const auto response = run_coro<Result<coap::Message>>([&]() -> awaitable<Result<coap::Message>> {
    auto session = co_await device.connect(Step::Credentials);
    if (!session) co_return tl::unexpected(session.error());
    auto answer = co_await (*session)->request(request);
    co_await (*session)->close();
    co_return answer;
  });
  ASSERT_TRUE(response) << response.error().internal;
  ASSERT_EQ(response->code, coap::Code::Changed) << response->payload_text();
  const auto issued = device::check_credentials_response(
      *response, {di, udp_spki_der(key.get()), "", std::chrono::system_clock::now(),
                  std::chrono::seconds(3600)});
  EXPECT_TRUE(issued) << issued.error().internal;
}

/// A UDP relay between a device and dps that loses the first datagram of application data (DTLS
/// record type 23) in each direction: the device's first request and dps's first message to it.
class LossyRelay {
 public:
  explicit LossyRelay(uint16_t server_port) {
    device_side_ = bound_socket();
    server_side_ = bound_socket();
    sockaddr_in server = loopback(server_port);
    ::connect(server_side_, reinterpret_cast<const sockaddr*>(&server), sizeof server);
    thread_ = std::thread([this] { run(); });
  }
  ~LossyRelay() {
    stop_ = true;
    thread_.join();
    ::close(device_side_);
    ::close(server_side_);
  }
  uint16_t port() const {
    sockaddr_in address{};
    socklen_t length = sizeof address;
    ::getsockname(device_side_, reinterpret_cast<sockaddr*>(&address), &length);
    return ntohs(address.sin_port);
  }
  int dropped() const { return dropped_; }

 private:
  static sockaddr_in loopback(uint16_t port) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return address;
  }
  static int bound_socket() {
    const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in any = loopback(0);
    ::bind(fd, reinterpret_cast<const sockaddr*>(&any), sizeof any);
    return fd;
  }
  void run() {
    constexpr uint8_t kApplicationData = 23;
    bool dropped_up = false;
    bool dropped_down = false;
    sockaddr_in device{};
    socklen_t device_length = 0;
    std::array<uint8_t, 2048> buffer{};
    while (!stop_) {
      pollfd fds[2] = {{device_side_, POLLIN, 0}, {server_side_, POLLIN, 0}};
      if (::poll(fds, 2, 50) <= 0) continue;
      if (fds[0].revents & POLLIN) {
        device_length = sizeof device;
        const ssize_t n = ::recvfrom(device_side_, buffer.data(), buffer.size(), 0,
                                     reinterpret_cast<sockaddr*>(&device), &device_length);
        if (n > 0 && buffer[0] == kApplicationData && !dropped_up) {
          dropped_up = true;
          ++dropped_;
        } else if (n > 0) {
          ::send(server_side_, buffer.data(), static_cast<size_t>(n), 0);
        }
      }
      if ((fds[1].revents & POLLIN) && device_length > 0) {
        const ssize_t n = ::recv(server_side_, buffer.data(), buffer.size(), 0);
        if (n > 0 && buffer[0] == kApplicationData && !dropped_down) {
          dropped_down = true;
          ++dropped_;
        } else if (n > 0) {
          ::sendto(device_side_, buffer.data(), static_cast<size_t>(n), 0,
                   reinterpret_cast<const sockaddr*>(&device), device_length);
        }
      }
    }
  }

  int device_side_ = -1;
  int server_side_ = -1;
  std::atomic<bool> stop_{false};
  std::atomic<int> dropped_{0};
  std::thread thread_;
};

class DpsDeviceUdpLossy : public DpsDeviceUdp {
 protected:
  void configure(DpsConfigSpec& spec) override {
    DpsDeviceUdp::configure(spec);
    spec.inactivity_timeout = "10s";  // the tests' 2 s would end the session at ACK_TIMEOUT
  }
};

// RFC 7252 §4.2: the device retransmits its lost request after ACK_TIMEOUT; dps's lost reverse
// request (it answers the device without waiting for that ACK) costs the device nothing.
TEST_F(DpsDeviceUdpLossy, LostDatagramsAreRetransmitted) {
  LossyRelay relay(dps_->udp_port());
  auto config = udp_config();
  config.port = relay.port();
  const auto result = provision(default_tls(), config);
  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_EQ(relay.dropped(), 2);
  ASSERT_FALSE(result.steps.empty());
  EXPECT_GE(result.steps.front().latency_us, 2'000'000) << "the time request went twice";
}

class DpsDeviceUdpOnly : public DpsDeviceUdp {
 protected:
  void configure(DpsConfigSpec& spec) override { spec.protocols = "[udp]"; }
};

TEST_F(DpsDeviceUdpOnly, ProvisionsAndComesBackWithItsIdentityWithoutATcpListener) {
  ASSERT_EQ(dps_->port(), 0) << "dps listens on TCP too";
  ASSERT_NE(dps_->udp_port(), 0);
  const auto result = device::provision_blocking(udp_config(), default_tls(),
                                                 device::IdentitySessionSteps{true, true, true});
  ASSERT_TRUE(result.ok) << result.error;
  // Five manufacturer steps, then the identity session's three (renewal included).
  EXPECT_EQ(result.steps.size(), 8u);
  EXPECT_EQ(result.steps.back().step, Step::Credentials);
  EXPECT_EQ(result.steps.back().session, device::Session::Identity);
  EXPECT_TRUE(test::chains_to(result.credentials.cert_chain_pem, read_udp_text(ca_file())));

  // Without --udp the device finds nothing on TCP and says so.
  auto tcp = provision_args(ca_file());
  tcp[3] = "127.0.0.1:" + std::to_string(dps_->udp_port());
  const auto out = run_process(tcp);
  EXPECT_EQ(out.exit_code, 1) << out.out << out.err;
  EXPECT_NE(out.out.find("likely cause: is dps running and listening on --server?"),
            std::string::npos)
      << out.out;
}

}  // namespace
}  // namespace dps::itest
