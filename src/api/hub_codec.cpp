// Hub <-> JSON (management-api.md "Hubs"; plgd pb/hub.go Validate and normalizeGateways, with the
// (new) built-in CA and built-in token minting when certificateAuthority / provider.authority are
// omitted).
#include <algorithm>
#include <array>
#include <charconv>
#include <nlohmann/json.hpp>

#include "api/codec_support.hpp"
#include "pki/pem.hpp"

namespace dps::api {
namespace {

using nlohmann::json;

constexpr std::string_view kDefaultScheme = "coaps+tcp://";
// The schemes a device's cloud manager accepts (plgd device schema.*Scheme).
constexpr std::array<std::string_view, 4> kCoapSchemes{"coaps+tcp", "coap+tcp", "coaps", "coap"};

std::optional<std::string> normalize_gateway(std::string gateway, std::string& why) {
  const size_t sep = gateway.find("://");
  if (gateway.empty()) {
    why = "must not be empty";
  } else if (sep == std::string::npos) {
    return std::string(kDefaultScheme) + gateway;
  } else if (std::find(kCoapSchemes.begin(), kCoapSchemes.end(), gateway.substr(0, sep)) ==
             kCoapSchemes.end()) {
    why = "\"" + gateway + "\" is not a CoAP URI (coaps+tcp://host:port)";
  } else if (sep + 3 == gateway.size()) {
    why = "\"" + gateway + "\" has no host";
  } else {
    return gateway;
  }
  return std::nullopt;
}

void read_gateways(JsonReader& root, std::vector<std::string>& out) {
  const auto given = root.strings("gateways");
  for (size_t i = 0; i < given.size(); ++i) {
    std::string why;
    auto gateway = normalize_gateway(given[i], why);
    if (!gateway) return root.fail("gateways[" + std::to_string(i) + "]", why);
    if (std::find(out.begin(), out.end(), *gateway) == out.end())
      out.push_back(std::move(*gateway));
  }
  if (out.empty()) root.fail("gateways", "at least one gateway required");
}

bool is_host_port(std::string_view address) {
  const size_t colon = address.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  const std::string_view port = address.substr(colon + 1);
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  return ec == std::errc{} && end == port.data() + port.size() && value > 0 && value <= 65535;
}

void read_ca_pool(JsonReader& tls, std::string& out) {
  const auto pool = tls.string_or_strings("caPool");
  for (size_t i = 0; i < pool.size(); ++i) {
    const std::string key = "caPool[" + std::to_string(i) + "]";
    auto pem = read_value(pool[i], ValueKind::Pem);
    if (!pem) return tls.fail(key, pem.error().internal);
    if (auto certs = pki::parse_certificates_pem(*pem); !certs) {
      return tls.fail(key, certs.error().internal);
    }
    if (!out.empty() && out.back() != '\n') out.push_back('\n');
    out += *pem;
  }
}

// plgd's tls.cert / tls.key: the certificate dps shows the certificate authority (mutual TLS).
void read_client_certificate(JsonReader& tls, store::GrpcClientConfig& out) {
  const std::string cert = tls.string("cert");
  const std::string key = tls.string("key");
  if (cert.empty() != key.empty()) {
    return tls.fail(cert.empty() ? "cert" : "key",
                    "required with tls." + std::string(cert.empty() ? "key" : "cert"));
  }
  if (cert.empty()) return;
  auto cert_pem = read_value(cert, ValueKind::Pem);
  if (!cert_pem) return tls.fail("cert", cert_pem.error().internal);
  if (auto certs = pki::parse_certificates_pem(*cert_pem); !certs) {
    return tls.fail("cert", certs.error().internal);
  }
  auto key_pem = read_value(key, ValueKind::Secret);
  if (!key_pem) return tls.fail("key", key_pem.error().internal);
  // The key's text is never quoted back: it is a secret.
  if (!pki::parse_private_key_pem(*key_pem)) return tls.fail("key", "not a PEM private key");
  if (auto pair = pki::check_key_pair(*cert_pem, *key_pem); !pair) {
    return tls.fail("key", pair.error().internal);
  }
  out.cert_pem = std::move(*cert_pem);
  out.key_pem = std::move(*key_pem);
}

void read_certificate_authority(JsonReader& root, store::GrpcClientConfig& out) {
  auto ca = root.object("certificateAuthority");
  if (!ca) return;  // (new) the built-in CA
  if (auto grpc = ca->object("grpc")) {
    out.address = grpc->string("address");
    if (auto keep_alive = grpc->object("keepAlive")) {
      // plgd's GrpcKeepAliveConfig: durations in nanoseconds.
      out.keep_alive_time_ns = keep_alive->int64("time");
      out.keep_alive_timeout_ns = keep_alive->int64("timeout");
      out.keep_alive_permit_without_stream = keep_alive->boolean("permitWithoutStream");
      if (out.keep_alive_time_ns < 0) keep_alive->fail("time", "must not be negative");
      if (out.keep_alive_timeout_ns < 0) keep_alive->fail("timeout", "must not be negative");
      keep_alive->finish();
    }
    if (auto tls = grpc->object("tls")) {
      read_ca_pool(*tls, out.ca_pool);
      read_client_certificate(*tls, out);
      out.use_system_ca_pool = tls->boolean("useSystemCaPool");
      tls->finish();
    }
    if (!out.address.empty() && !is_host_port(out.address)) {
      grpc->fail("address", "expected host:port, got \"" + out.address + "\"");
    } else if (out.address.empty() && !out.ca_pool.empty()) {
      grpc->fail("address", "required with tls.caPool");
    }
    grpc->finish();
  }
  ca->finish();
}

// plgd's HttpConfig of the OAuth client: its CA pool is used; the connection-pool settings have
// no counterpart (one connection per token fetch, tokens cached).
void read_provider_http(JsonReader& provider, store::OAuthProvider& out) {
  auto http = provider.object("http");
  if (!http) return;
  for (const char* key :
       {"maxIdleConns", "maxConnsPerHost", "maxIdleConnsPerHost", "idleConnTimeout", "timeout"}) {
    http->ignore(key);
  }
  if (auto tls = http->object("tls")) {
    read_ca_pool(*tls, out.ca_pool);
    out.use_system_ca_pool = tls->boolean("useSystemCaPool");
    for (const char* key : {"cert", "key"}) {
      if (!tls->string(key).empty()) {
        tls->fail(key, "the OAuth client authenticates with its secret, not a certificate");
      }
    }
    tls->finish();
  }
  http->finish();
}

void read_provider(JsonReader& auth, store::OAuthProvider& out) {
  auto provider = auth.object("provider");
  if (!provider) return;  // (new) tokens minted by dps itself
  out.name = provider->string("name");
  out.authority = provider->string("authority");
  out.client_id = provider->string("clientId");
  out.client_secret = codec::value_field(*provider, "clientSecret", ValueKind::Secret);
  out.scopes = provider->strings("scopes");
  out.audience = provider->string("audience");
  read_provider_http(*provider, out);
  if (!out.authority.empty()) {
    if (!out.authority.starts_with("https://") && !out.authority.starts_with("http://")) {
      provider->fail("authority", "expected an http(s) URL, got \"" + out.authority + "\"");
    }
    // With an authority the OAuth client must be complete; without one dps mints the tokens.
    for (auto [key, value] : {std::pair<const char*, const std::string*>{"name", &out.name},
                              {"clientId", &out.client_id},
                              {"clientSecret", &out.client_secret}}) {
      if (value->empty()) provider->fail(key, "required with provider.authority");
    }
  }
  provider->finish();
}

void read_authorization(JsonReader& root, store::HubAuthorization& out,
                        const ApiTokenNames& api_tokens) {
  auto auth = root.object("authorization");
  if (!auth) return root.fail("authorization.ownerClaim", "required");
  out.owner_claim = auth->string("ownerClaim");
  out.device_id_claim = auth->string("deviceIdClaim");
  read_provider(*auth, out.provider);
  if (out.owner_claim.empty()) auth->fail("ownerClaim", "required");
  if (auto problem = hub_token_names_problem(out.owner_claim, out.device_id_claim,
                                             out.provider.audience, api_tokens)) {
    auth->fail(problem->field == "audience" ? "provider.audience" : problem->field,
               problem->reason);
  }
  auth->finish();
}

json provider_json(const store::OAuthProvider& provider) {
  json out = json::object();
  codec::put_if(out, "name", provider.name);
  codec::put_if(out, "authority", provider.authority);
  codec::put_if(out, "clientId", provider.client_id);
  codec::put_if(out, "clientSecret", render_value(provider.client_secret, ValueKind::Secret));
  if (!provider.scopes.empty()) out["scopes"] = provider.scopes;
  codec::put_if(out, "audience", provider.audience);
  json tls = json::object();
  if (!provider.ca_pool.empty()) {
    tls["caPool"] = json::array({render_value(provider.ca_pool, ValueKind::Pem)});
  }
  if (provider.use_system_ca_pool) tls["useSystemCaPool"] = true;
  if (!tls.empty()) out["http"] = {{"tls", std::move(tls)}};
  return out;
}

}  // namespace

json to_json(const store::Hub& hub) {
  json out = json::object();
  codec::put_if(out, "id", hub.id);
  codec::put_if(out, "hubId", hub.hub_id);
  codec::put_if(out, "owner", hub.owner);
  codec::put_if(out, "name", hub.name);
  if (!hub.gateways.empty()) out["gateways"] = hub.gateways;
  const auto& ca = hub.certificate_authority;
  if (!ca.address.empty() || !ca.ca_pool.empty()) {
    json grpc = json::object();
    codec::put_if(grpc, "address", ca.address);
    // plgd's caPool is a repeated field: one entry holding the whole pool.
    json tls = json::object();
    if (!ca.ca_pool.empty())
      tls["caPool"] = json::array({render_value(ca.ca_pool, ValueKind::Pem)});
    // The key is the owner's secret: returned to its owner, as plgd returns it (owner-scoped).
    codec::put_if(tls, "cert", render_value(ca.cert_pem, ValueKind::Pem));
    codec::put_if(tls, "key", render_value(ca.key_pem, ValueKind::Secret));
    if (ca.use_system_ca_pool) tls["useSystemCaPool"] = true;
    if (!tls.empty()) grpc["tls"] = std::move(tls);
    if (ca.keep_alive_time_ns != 0 || ca.keep_alive_timeout_ns != 0 ||
        ca.keep_alive_permit_without_stream) {
      grpc["keepAlive"] = {{"time", std::to_string(ca.keep_alive_time_ns)},
                           {"timeout", std::to_string(ca.keep_alive_timeout_ns)},
                           {"permitWithoutStream", ca.keep_alive_permit_without_stream}};
    }
    out["certificateAuthority"] = {{"grpc", std::move(grpc)}};
  }
  json auth = json::object();
  codec::put_if(auth, "ownerClaim", hub.authorization.owner_claim);
  codec::put_if(auth, "deviceIdClaim", hub.authorization.device_id_claim);
  if (json provider = provider_json(hub.authorization.provider); !provider.empty()) {
    auth["provider"] = std::move(provider);
  }
  if (!auth.empty()) out["authorization"] = std::move(auth);
  return out;
}

Result<store::Hub> hub_from_json(std::string_view body, const BodyContext& context,
                                 const ApiTokenNames& api_tokens) {
  auto doc = codec::parse_body(body);
  if (!doc) return tl::unexpected(doc.error());
  Problem problem;
  JsonReader root(*doc, "", problem);
  codec::check_identity(root, context);

  store::Hub hub;
  hub.id = context.id;
  hub.owner = context.owner;
  hub.name = root.string("name");
  if (const std::string hub_id = root.string("hubId"); hub_id.empty()) {
    hub.hub_id = context.id;
  } else if (auto uuid = codec::canonical_uuid(hub_id)) {
    hub.hub_id = std::move(*uuid);
  } else {
    root.fail("hubId", "must be a UUID, got \"" + hub_id + "\"");
  }
  read_gateways(root, hub.gateways);
  read_certificate_authority(root, hub.certificate_authority);
  read_authorization(root, hub.authorization, api_tokens);
  root.finish();
  if (problem) return fail(ErrorCode::BadRequest, *problem);
  if (hub.name.empty()) hub.name = hub.id;
  return hub;
}

}  // namespace dps::api
