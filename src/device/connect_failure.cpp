#include "device/connect_failure.hpp"

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <boost/asio/ssl/error.hpp>

namespace dps::device {

std::string_view to_string(ConnectFailure failure) {
  switch (failure) {
    case ConnectFailure::Unreachable:
      return "unreachable";
    case ConnectFailure::ServerNotTrusted:
      return "server-not-trusted";
    case ConnectFailure::HandshakeRefused:
      return "handshake-refused";
    case ConnectFailure::Refused:
      return "refused";
    case ConnectFailure::TlsFailed:
      break;
  }
  return "tls-failed";
}

ConnectFailure classify_tls_error(const boost::system::error_code& ec, long verify_result) {
  if (ec.category() != boost::asio::error::get_ssl_category()) return ConnectFailure::TlsFailed;
  const auto reason = ERR_GET_REASON(static_cast<unsigned long>(ec.value()));
  // Our own check of the server's chain failed: OpenSSL says why in the verify result.
  if (reason == SSL_R_CERTIFICATE_VERIFY_FAILED && verify_result != X509_V_OK) {
    return ConnectFailure::ServerNotTrusted;
  }
  // Reasons from SSL_AD_REASON_OFFSET on are alerts received from the peer ("sslv3 alert bad
  // certificate", "tlsv13 alert certificate required", "tlsv1 alert handshake failure").
  if (reason >= SSL_AD_REASON_OFFSET) return ConnectFailure::HandshakeRefused;
  return ConnectFailure::TlsFailed;
}

ErrorCode error_code_of(ConnectFailure failure) {
  switch (failure) {
    case ConnectFailure::Unreachable:
      return ErrorCode::Unavailable;
    case ConnectFailure::ServerNotTrusted:
      return ErrorCode::Unauthenticated;
    case ConnectFailure::HandshakeRefused:
    case ConnectFailure::Refused:
      return ErrorCode::Forbidden;
    case ConnectFailure::TlsFailed:
      break;
  }
  return ErrorCode::BadRequest;
}

ConnectFailure connect_failure_of(const Error& connect_error) {
  switch (connect_error.code) {
    case ErrorCode::Unavailable:
      return ConnectFailure::Unreachable;
    case ErrorCode::Unauthenticated:
      return ConnectFailure::ServerNotTrusted;
    case ErrorCode::Forbidden:
      return ConnectFailure::HandshakeRefused;
    default:
      return ConnectFailure::TlsFailed;
  }
}

std::string connect_hint(ConnectFailure failure, std::string_view ca_file,
                         std::string_view registration_id) {
  switch (failure) {
    case ConnectFailure::ServerNotTrusted:
      return "the server's certificate does not chain to --ca " + std::string(ca_file) +
             ": use the data directory's ca.pem (DATA-DIR/ca.pem) or the CA of "
             "apis.coap.tls.certFile";
    case ConnectFailure::HandshakeRefused:
      return "the server refused the TLS handshake (no client certificate? a curve or suite it "
             "does not offer?)";
    case ConnectFailure::Refused:
      return "the device's owner sees why in `dpsctl records list --id " +
             (registration_id.empty() ? std::string("REGISTRATION-ID")
                                      : std::string(registration_id)) +
             "` (a device no enrollment group names has no record: check the groups' chains)";
    case ConnectFailure::Unreachable:
      return "is dps running and listening on --server? (a timeout: a firewall, or the wrong "
             "port)";
    case ConnectFailure::TlsFailed:
      break;
  }
  return "is --server dps's device port (apis.coap.address)?";
}

}  // namespace dps::device
