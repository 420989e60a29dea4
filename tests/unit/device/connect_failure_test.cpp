// What dps-device tells a person when a session does not come up: the causes it can tell apart
// from OpenSSL's errors, the error codes DeviceSession reports them with, and the hints.
#include "device/connect_failure.hpp"

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>

#include "device/report.hpp"

namespace dps::device {
namespace {

boost::system::error_code ssl_error(int reason) {
  return {static_cast<int>(ERR_PACK(ERR_LIB_SSL, 0, reason)),
          boost::asio::error::get_ssl_category()};
}

TEST(ConnectFailure, TheDevicesOwnCheckOfTheServerChainIsServerNotTrusted) {
  EXPECT_EQ(classify_tls_error(ssl_error(SSL_R_CERTIFICATE_VERIFY_FAILED),
                               X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY),
            ConnectFailure::ServerNotTrusted);
  EXPECT_EQ(
      classify_tls_error(ssl_error(SSL_R_CERTIFICATE_VERIFY_FAILED), X509_V_ERR_CERT_HAS_EXPIRED),
      ConnectFailure::ServerNotTrusted);
  EXPECT_EQ(classify_tls_error(ssl_error(SSL_R_CERTIFICATE_VERIFY_FAILED), X509_V_OK),
            ConnectFailure::TlsFailed)
      << "no verify result: not our check of the server";
}

TEST(ConnectFailure, AnAlertFromTheServerIsHandshakeRefused) {
  for (const int alert : {SSL_R_SSLV3_ALERT_BAD_CERTIFICATE, SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE,
                          SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED, SSL_R_TLSV1_ALERT_UNKNOWN_CA}) {
    EXPECT_EQ(classify_tls_error(ssl_error(alert), X509_V_OK), ConnectFailure::HandshakeRefused)
        << alert;
  }
}

TEST(ConnectFailure, AnythingElseIsATlsFailure) {
  EXPECT_EQ(classify_tls_error(ssl_error(SSL_R_WRONG_VERSION_NUMBER), X509_V_OK),
            ConnectFailure::TlsFailed);
  EXPECT_EQ(classify_tls_error(boost::asio::error::eof, X509_V_OK), ConnectFailure::TlsFailed);
  EXPECT_EQ(classify_tls_error(boost::asio::ssl::error::stream_truncated, X509_V_OK),
            ConnectFailure::TlsFailed);
}

TEST(ConnectFailure, ConnectErrorCodesReadBackAsTheirFailure) {
  for (const auto failure : {ConnectFailure::Unreachable, ConnectFailure::ServerNotTrusted,
                             ConnectFailure::HandshakeRefused, ConnectFailure::TlsFailed}) {
    EXPECT_EQ(connect_failure_of(Error{error_code_of(failure), "x", "x"}), failure)
        << to_string(failure);
  }
}

TEST(ConnectFailure, HintsNameTheFixForEachCause) {
  const auto not_trusted = connect_hint(ConnectFailure::ServerNotTrusted, "/tmp/x.pem", "r");
  EXPECT_EQ(not_trusted,
            "the server's certificate does not chain to --ca /tmp/x.pem: use the data directory's "
            "ca.pem (DATA-DIR/ca.pem) or the CA of apis.coap.tls.certFile");
  EXPECT_EQ(connect_hint(ConnectFailure::HandshakeRefused, "ca", "r"),
            "the server refused the TLS handshake (no client certificate? a curve or suite it "
            "does not offer?)");
  const auto refused = connect_hint(ConnectFailure::Refused, "ca", "1b4e28ba-2fa1-5d1a-9f3b");
  EXPECT_NE(refused.find("`dpsctl records list --id 1b4e28ba-2fa1-5d1a-9f3b`"), std::string::npos)
      << refused;
}

ProvisionResult refused_at_admission() {
  ProvisionResult r;
  r.device_id = "d";
  r.registration_id = "reg";
  r.failed_step = Step::Time;
  r.connect_failure = ConnectFailure::Refused;
  r.error = "connect: the server refused the device: refused: enrollment group disabled";
  StepOutcome step{
      Step::Time, false, coap::Code::Empty,
      "",         5,     "the server refused the device: refused: enrollment group disabled"};
  step.connect_failure = ConnectFailure::Refused;
  r.steps.push_back(step);
  return r;
}

TEST(ConnectFailure, ReportsNameTheConnectStepNotTheStepThatNeverRan) {
  const auto r = refused_at_admission();
  const std::string text = format_text(r);
  EXPECT_EQ(text.rfind("connect ", 0), 0u) << text;
  EXPECT_NE(text.find("FAILED at step connect: connect: the server refused the device: refused: "
                      "enrollment group disabled"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("time"), std::string::npos) << text;
  const auto j = nlohmann::json::parse(format_json(r));
  EXPECT_EQ(j["failedStep"], "connect");
  EXPECT_EQ(j["connectFailure"], "refused");
  EXPECT_EQ(j["steps"][0]["step"], "connect");
  EXPECT_EQ(j["steps"][0]["connectFailure"], "refused");
  EXPECT_EQ(j["registrationId"], "reg");
}

TEST(ConnectFailure, JsonLeavesSecretsOutUnlessAsked) {
  ProvisionResult r;
  r.ok = true;
  r.credentials.private_key_pem = "-----BEGIN PRIVATE KEY-----";
  r.hub.at = "token";
  const auto hidden = nlohmann::json::parse(format_json(r));
  EXPECT_FALSE(hidden["credentials"].contains("privateKeyPem"));
  EXPECT_FALSE(hidden["hub"].contains("at"));
  EXPECT_EQ(format_json(r).find("BEGIN PRIVATE KEY"), std::string::npos);
  const auto shown = nlohmann::json::parse(format_json(r, /*include_secrets=*/true));
  EXPECT_EQ(shown["credentials"]["privateKeyPem"], "-----BEGIN PRIVATE KEY-----");
  EXPECT_EQ(shown["hub"]["at"], "token");
}

}  // namespace
}  // namespace dps::device
