// TLS for the management API: the service certificate, TLS 1.2 minimum, no client certificate
// (callers authenticate with a bearer JWT).
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>

#include "common/result.hpp"

namespace dps::http {

Result<std::shared_ptr<boost::asio::ssl::context>> make_api_tls_context(const std::string& cert_pem,
                                                                        const std::string& key_pem);

}  // namespace dps::http
