// Log injection (issue 12): text a device or an API client chooses (certificate CNs, issuer
// names, CoAP Uri-Path, API paths) reaches dps's log lines quoted, so a newline in it cannot
// start a line of its own. dps logs in the console encoding, where nothing else escapes a
// message.
#include <chrono>
#include <sstream>
#include <thread>

#include "device/requests.hpp"
#include "support/api_fixture.hpp"
#include "support/dps_fixture.hpp"

namespace dps::itest::log_injection {
namespace {

using namespace std::chrono_literals;

// What a forged line would start with: a plausible timestamp and level. Certificate names hold at
// most 64 characters (X.509 ub-common-name), so the forgery is short.
constexpr std::string_view kForgedStart = "2030-01-01T00:00:00.000 info";
const std::string kForged = std::string(kForgedStart) + " conn=9 \"x\"";
// kForged as log::quoted shows it inside its quotes.
const std::string kForgedEscaped = std::string(kForgedStart) + R"( conn=9 \"x\")";

size_t lines_starting_with(const std::string& log, std::string_view prefix) {
  std::istringstream lines(log);
  size_t count = 0;
  for (std::string line; std::getline(lines, line);) count += line.starts_with(prefix) ? 1 : 0;
  return count;
}

/// Waits (bounded) until dps's log contains `text`; the log as it then is.
std::string log_once_it_holds(const DpsProcess& dps, const std::string& text) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  std::string log = dps.log();
  while (log.find(text) == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
    log = dps.log();
  }
  return log;
}

class LogInjection : public DpsTest {
 protected:
  void configure(DpsConfigSpec& spec) override {
    spec.log_encoding = "console";  // plain text lines: nothing else escapes a message
    spec.log_level = "info";
  }
};

TEST_F(LogInjection, DeviceCommonNameWithANewlineStaysOnItsLine) {
  test::LeafOptions leaf;
  leaf.common_name = "forger\n" + kForged;
  const auto result =
      provision(tls_for(test::make_leaf(mfg_.intermediate, leaf), &mfg_.intermediate));
  EXPECT_TRUE(result.ok) << result.error;  // an odd CN is no reason to refuse the device

  const std::string line =
      R"(cn="forger\n)" + kForgedEscaped + R"(" admitted by enrollment group )" + kGroupId;
  const std::string log = log_once_it_holds(*dps_, line);
  EXPECT_NE(log.find(line), std::string::npos) << log;
  EXPECT_EQ(lines_starting_with(log, kForgedStart), 0u) << log;
}

TEST_F(LogInjection, IssuerNameOfARefusedDeviceStaysOnItsLine) {
  // A manufacturer dps does not know, whose CA names carry the forged line: refused at the
  // handshake, and the refusal names the issuer.
  const Manufacturer stranger = make_manufacturer("stranger\n" + kForged);
  EXPECT_TRUE(handshake_refused(tls_for(stranger.device, &stranger.intermediate)));

  const std::string issuer = R"("stranger\n)" + kForgedEscaped + R"( intermediate")";
  const std::string log = log_once_it_holds(*dps_, "no enrollment group for issuer CN " + issuer);
  EXPECT_NE(log.find("handshake refused: no enrollment group for issuer CN " + issuer),
            std::string::npos)
      << log;
  EXPECT_EQ(lines_starting_with(log, kForgedStart), 0u) << log;
  expect_server_serves();
}

TEST_F(LogInjection, RequestPathWithANewlineStaysOnItsLine) {
  // The router answers 4.04 "no resource <path>": the path is in the log line twice, as the
  // request and in the diagnostic.
  const auto response = request_once(default_tls(), device::make_get("/nothing\n" + kForged));
  ASSERT_TRUE(response) << response.error().internal;
  EXPECT_EQ(response->code, coap::Code::NotFound);

  const std::string path = R"("/nothing\n)" + kForgedEscaped + R"(")";
  const std::string log = log_once_it_holds(*dps_, "GET " + path);
  EXPECT_NE(log.find("GET " + path), std::string::npos) << log;
  EXPECT_NE(log.find(R"(-> 4.04: "no resource /nothing\n)" + kForgedEscaped + R"(")"),
            std::string::npos)
      << log;
  EXPECT_EQ(lines_starting_with(log, kForgedStart), 0u) << log;
}

class ApiLogInjection : public ApiTest {
 protected:
  void configure(DpsConfigSpec& spec) override {
    ApiTest::configure(spec);
    spec.log_encoding = "console";
    spec.log_level = "info";
  }
};

TEST_F(ApiLogInjection, PercentDecodedApiPathStaysOnItsLine) {
  // %0A decodes to a newline in the path the API line logs.
  const auto answer = call(
      Verb::get, std::string(kHubsPath) + "/x%0A2030-01-01T00:00:00.000%20info", token_of(kOwnerA));
  EXPECT_NE(answer.status, 0u);

  const std::string escaped = std::string(R"(owner=")") + kOwnerA + R"(" GET ")" + kHubsPath +
                              R"(/x\n2030-01-01T00:00:00.000 info" -> )";
  const std::string log = log_once_it_holds(*dps_, escaped);
  EXPECT_NE(log.find(escaped), std::string::npos) << log;
  EXPECT_EQ(lines_starting_with(log, "2030-01-01T00:00:00.000 info"), 0u) << log;
}

}  // namespace
}  // namespace dps::itest::log_injection
