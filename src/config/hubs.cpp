// One hub object of the config -> store::Hub, with plgd's defaults (pb/hub.go): id and hubID
// default to each other, name to id, gateways get coaps+tcp:// when they have no scheme.
#include <algorithm>
#include <array>

#include "config/convert.hpp"
#include "config/values.hpp"

namespace dps::config {
namespace {

constexpr std::string_view kDefaultScheme = "coaps+tcp://";
// The schemes a device's cloud manager accepts (plgd device schema.*Scheme).
constexpr std::array<std::string_view, 4> kCoapSchemes{"coaps+tcp", "coap+tcp", "coaps", "coap"};

Result<std::string> normalize_gateway(const std::string& path, std::string gateway) {
  if (gateway.empty()) return invalid(path, "must not be empty");
  size_t sep = gateway.find("://");
  if (sep == std::string::npos) {
    gateway.insert(0, kDefaultScheme);
  } else if (std::find(kCoapSchemes.begin(), kCoapSchemes.end(), gateway.substr(0, sep)) ==
             kCoapSchemes.end()) {
    return invalid(path, "\"" + gateway + "\" is not a CoAP URI (coaps+tcp://host:port)");
  } else if (sep + 3 == gateway.size()) {
    return invalid(path, "\"" + gateway + "\" has no host");
  }
  return gateway;
}

// coapGateway (older single form) first, then gateways; duplicates dropped, first one kept.
Result<std::vector<std::string>> gateways_of(const Node& hub) {
  std::vector<std::pair<std::string, std::string>> given;  // (path, value)
  if (auto single = hub.get<std::string>("coapGateway"); !single.empty()) {
    given.emplace_back(hub.child_path("coapGateway"), std::move(single));
  }
  auto list = hub.get<std::vector<std::string>>("gateways");
  for (size_t i = 0; i < list.size(); ++i) {
    given.emplace_back(hub.child_path("gateways") + "[" + std::to_string(i) + "]", list[i]);
  }
  if (given.empty()) return invalid(hub.child_path("gateways"), "at least one gateway required");
  std::vector<std::string> out;
  for (auto& [path, value] : given) {
    auto gateway = normalize_gateway(path, std::move(value));
    if (!gateway) return tl::unexpected(gateway.error());
    if (std::find(out.begin(), out.end(), *gateway) == out.end()) out.push_back(*gateway);
  }
  return out;
}

Result<void> check_uuid(const Node& hub, std::string_view key, const std::string& value) {
  if (is_uuid(value)) return {};
  return invalid(hub.child_path(key), "must be a UUID, got \"" + value + "\"");
}

Result<store::HubAuthorization> authorization_of(const Node& hub, const ApiTokenNames& api_tokens) {
  const std::string base = "authorization.";
  store::HubAuthorization auth;
  auth.owner_claim = hub.get<std::string>(base + "ownerClaim");
  auth.device_id_claim = hub.get<std::string>(base + "deviceIDClaim");
  if (auth.owner_claim.empty()) return invalid(hub.child_path(base + "ownerClaim"), "required");

  const std::string p = base + "provider.";
  store::OAuthProvider& provider = auth.provider;
  provider.name = hub.get<std::string>(p + "name");
  provider.authority = hub.get<std::string>(p + "authority");
  provider.client_id = hub.get<std::string>(p + "clientID");
  provider.client_secret = hub.get<std::string>(p + "clientSecretFile");
  if (const Node* secret = hub.at(p + "clientSecretFile")) {
    provider.client_secret_file = secret->source_file;  // read again when it changes
  }
  provider.ca_pool = hub.get<std::string>(p + "http.tls.caPool");
  provider.use_system_ca_pool = hub.get<bool>(p + "http.tls.useSystemCAPool");
  provider.scopes = hub.get<std::vector<std::string>>(p + "scopes");
  provider.audience = hub.get<std::string>(p + "audience");
  // Without an authority dps mints the tokens itself; with one, the OAuth client must be complete.
  if (!provider.authority.empty()) {
    for (auto [key, value] :
         {std::pair<std::string_view, const std::string*>{"name", &provider.name},
          {"clientID", &provider.client_id},
          {"clientSecretFile", &provider.client_secret}}) {
      if (value->empty()) {
        return invalid(hub.child_path(p + std::string(key)), "required with provider.authority");
      }
    }
  }
  if (auto problem = hub_token_names_problem(auth.owner_claim, auth.device_id_claim,
                                             provider.audience, api_tokens)) {
    const std::string key = problem->field == "audience"        ? p + "audience"
                            : problem->field == "deviceIdClaim" ? base + "deviceIDClaim"
                                                                : base + problem->field;
    return invalid(hub.child_path(key), problem->reason);
  }
  return auth;
}

}  // namespace

Result<store::Hub> convert_hub(const Node& hub, const std::string& owner,
                               const ApiTokenNames& api_tokens) {
  store::Hub out;
  out.id = hub.get<std::string>("id");
  out.hub_id = hub.get<std::string>("hubID");
  if (out.id.empty() && out.hub_id.empty()) return invalid(hub.child_path("hubID"), "required");
  if (out.id.empty()) out.id = out.hub_id;
  if (out.hub_id.empty()) out.hub_id = out.id;
  if (auto ok = check_uuid(hub, hub.at("id") ? "id" : "hubID", out.id); !ok) {
    return tl::unexpected(ok.error());
  }
  if (auto ok = check_uuid(hub, hub.at("hubID") ? "hubID" : "id", out.hub_id); !ok) {
    return tl::unexpected(ok.error());
  }
  out.owner = owner;
  out.name = hub.get<std::string>("name");
  if (out.name.empty()) out.name = out.id;

  auto gateways = gateways_of(hub);
  if (!gateways) return tl::unexpected(gateways.error());
  out.gateways = std::move(*gateways);

  const std::string grpc = "certificateAuthority.grpc.";
  out.certificate_authority.address = hub.get<std::string>(grpc + "address");
  out.certificate_authority.ca_pool = hub.get<std::string>(grpc + "tls.caPool");
  out.certificate_authority.cert_pem = hub.get<std::string>(grpc + "tls.certFile");
  out.certificate_authority.key_pem = hub.get<std::string>(grpc + "tls.keyFile");
  if (out.certificate_authority.cert_pem.empty() != out.certificate_authority.key_pem.empty()) {
    return invalid(hub.child_path(grpc + "tls.certFile"), "certFile and keyFile go together");
  }
  out.certificate_authority.use_system_ca_pool = hub.get<bool>(grpc + "tls.useSystemCAPool");
  out.certificate_authority.keep_alive_time_ns =
      hub.get<std::chrono::nanoseconds>(grpc + "keepAlive.time").count();
  out.certificate_authority.keep_alive_timeout_ns =
      hub.get<std::chrono::nanoseconds>(grpc + "keepAlive.timeout").count();
  out.certificate_authority.keep_alive_permit_without_stream =
      hub.get<bool>(grpc + "keepAlive.permitWithoutStream");

  auto auth = authorization_of(hub, api_tokens);
  if (!auth) return tl::unexpected(auth.error());
  out.authorization = std::move(*auth);
  return out;
}

}  // namespace dps::config
