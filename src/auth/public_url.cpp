#include "auth/public_url.hpp"

#include "auth/http_fetch.hpp"

namespace dps::auth {
namespace {

std::string derived(std::string_view listen_address, bool tls) {
  std::string_view host = listen_address;
  std::string_view port;
  if (const size_t colon = listen_address.rfind(':'); colon != std::string_view::npos) {
    host = listen_address.substr(0, colon);
    port = listen_address.substr(colon + 1);
  }
  const bool bracketed = host.starts_with('[') && host.ends_with(']');
  const std::string_view bare = bracketed ? host.substr(1, host.size() - 2) : host;
  std::string out = tls ? "https://" : "http://";
  if (bare.empty() || bare == "0.0.0.0" || bare == "::") {
    out += "localhost";
  } else if (bare.find(':') != std::string_view::npos) {
    out += "[" + std::string(bare) + "]";
  } else {
    out += bare;
  }
  if (!port.empty() && port != "0") out += ":" + std::string(port);
  return out;
}

}  // namespace

Result<std::string> public_base_url(std::string_view configured, std::string_view listen_address,
                                    bool tls) {
  if (configured.empty()) return derived(listen_address, tls);
  auto url = parse_http_url(configured);
  if (!url) return tl::unexpected(url.error());
  if (url->target.find('?') != std::string::npos) {
    return fail(ErrorCode::BadRequest,
                "URL \"" + std::string(configured) + "\": a query is not allowed");
  }
  while (configured.ends_with('/')) configured.remove_suffix(1);
  return std::string(configured);
}

}  // namespace dps::auth
