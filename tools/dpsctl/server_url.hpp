// The --server URL: where the management API is served.
#pragma once

#include <string>
#include <string_view>

namespace dps::dpsctl {

struct ServerUrl {
  bool tls = true;
  std::string host;  // a name or an IP literal, without IPv6 brackets
  std::string port;
  /// A path the API is mounted under (e.g. "/device-provisioning-service"), without a trailing
  /// '/'; empty for the root.
  std::string base_path;

  /// "host:port" as the Host header and messages write it (IPv6 in brackets).
  std::string authority() const;
  /// The Host header (RFC 9110 §7.2): the authority without the scheme's default port.
  std::string host_header() const;
};

/// Parses "https://HOST[:PORT][/PATH]" or "http://..."; without a scheme, https is assumed.
/// Throws CliError(Usage) naming the problem.
ServerUrl parse_server_url(std::string_view text);

}  // namespace dps::dpsctl
