// TLS for the management API: the service certificate, TLS 1.2 minimum. Callers authenticate
// with a bearer JWT; with apis.http.tls.clientCertificateRequired they must also present a
// certificate chaining to apis.http.tls.caPool (plgd's mutual TLS), checked in the handshake.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>

#include "common/result.hpp"

namespace dps::http {

/// `client_ca_pem` empty = no client certificate asked for; else one chaining to these CAs is
/// required and the handshake fails without it.
Result<std::shared_ptr<boost::asio::ssl::context>> make_api_tls_context(
    const std::string& cert_pem, const std::string& key_pem, const std::string& client_ca_pem = {});

}  // namespace dps::http
