#include "server_url.hpp"

#include <charconv>

#include "exit_codes.hpp"

namespace dps::dpsctl {
namespace {

[[noreturn]] void bad_url(std::string_view text, const std::string& why) {
  throw CliError(ExitCode::Usage, "--server: \"" + std::string(text) + "\": " + why +
                                      " (expected https://HOST[:PORT][/PATH])");
}

bool valid_port(std::string_view port) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  return ec == std::errc{} && end == port.data() + port.size() && value > 0 && value <= 65535;
}

}  // namespace

std::string ServerUrl::authority() const {
  const bool ipv6 = host.find(':') != std::string::npos;
  return (ipv6 ? "[" + host + "]" : host) + ":" + port;
}

std::string ServerUrl::host_header() const {
  const bool default_port = port == (tls ? "443" : "80");
  if (!default_port) return authority();
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

ServerUrl parse_server_url(std::string_view text) {
  ServerUrl url;
  std::string_view rest = text;
  if (const size_t sep = rest.find("://"); sep != std::string_view::npos) {
    const std::string_view scheme = rest.substr(0, sep);
    if (scheme == "http") {
      url.tls = false;
    } else if (scheme != "https") {
      bad_url(text, "scheme must be https or http");
    }
    rest.remove_prefix(sep + 3);
  }
  const size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) {
    std::string_view path = rest.substr(slash);
    while (!path.empty() && path.back() == '/') path.remove_suffix(1);
    if (path.find_first_of("?#") != std::string_view::npos) {
      bad_url(text, "no query or fragment allowed");
    }
    url.base_path = std::string(path);
  }
  url.port = url.tls ? "443" : "80";
  if (authority.starts_with('[')) {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) bad_url(text, "unterminated IPv6 address");
    url.host = std::string(authority.substr(1, close - 1));
    authority.remove_prefix(close + 1);
    if (!authority.empty()) {
      if (!authority.starts_with(':')) bad_url(text, "unexpected text after the IPv6 address");
      url.port = std::string(authority.substr(1));
    }
  } else if (const size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    url.host = std::string(authority.substr(0, colon));
    url.port = std::string(authority.substr(colon + 1));
  } else {
    url.host = std::string(authority);
  }
  if (url.host.empty()) bad_url(text, "no host");
  if (!valid_port(url.port)) bad_url(text, "port must be 1-65535");
  return url;
}

}  // namespace dps::dpsctl
