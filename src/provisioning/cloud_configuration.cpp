// POST /api/v1/provisioning/cloud-configuration (device-protocol §3.3): which hub, and a token.
#include "common/untrusted_text.hpp"
#include "pki/uuid.hpp"
#include "provisioning/catalog.hpp"
#include "provisioning/content.hpp"
#include "provisioning/payloads.hpp"
#include "provisioning/steps.hpp"

namespace dps::provisioning {

Result<std::string> device_id_of(const StepInput& in, const nlohmann::json& body) {
  auto it = body.find("di");
  if (it == body.end()) return fail(ErrorCode::BadRequest, "missing \"di\"");
  if (!it->is_string()) return fail(ErrorCode::BadRequest, "\"di\" is not a text string");
  return device_id_of(in, std::string_view(it->get_ref<const std::string&>()));
}

Result<std::string> device_id_of(const StepInput& in, std::string_view di) {
  auto uuid = pki::Uuid::parse(di);
  if (!uuid || uuid->is_nil()) {
    return fail(ErrorCode::BadRequest, "\"di\" is not a UUID: " + quote_untrusted(di));
  }
  std::string id = uuid->to_string();
  const std::string& own = in.context.peer.identity_device_id;
  if (!own.empty() && id != own) {
    return fail(ErrorCode::Forbidden,
                "identity session of device " + own + " asked for device " + id + ": refused",
                "an identity session serves only its own device");
  }
  const char* taken_by = in.context.catalog->is_hub_id(id)     ? "a hub"
                         : id == in.context.services.server_id ? "this server's certificate"
                                                               : nullptr;
  if (taken_by) {
    return fail(ErrorCode::Forbidden, "device id " + id + " is the id of " + taken_by + ": refused",
                "device id not accepted");
  }
  return id;
}

Result<StepBody> run_cloud_configuration(const StepInput& in, store::ProvisioningRecord& record) {
  auto body = decode_body(in.request);
  if (!body) return tl::unexpected(body.error());
  auto device_id = device_id_of(in, *body);
  if (!device_id) return tl::unexpected(device_id.error());
  record.device_id = *device_id;

  auto choice = hub_for_device(in, *body);
  if (!choice) return tl::unexpected(choice.error());
  const store::Hub& hub = *choice->hub;

  auth::TokenRequest token_request;
  token_request.owner = in.group.owner;
  token_request.owner_claim = hub.authorization.owner_claim;
  token_request.device_id = *device_id;
  token_request.device_id_claim = hub.authorization.device_id_claim;
  token_request.hub_id = hub.hub_id;
  token_request.audience = hub.authorization.provider.audience;
  if (const auto* t = template_of(in)) {
    token_request.lifetime = std::chrono::seconds(t->token_lifetime_seconds);
  }
  auto token = hub_token(in, hub, token_request);
  if (!token) return tl::unexpected(token.error());

  CloudConfiguration config;
  config.provider_name =
      hub.authorization.provider.name.empty() ? "plgd" : hub.authorization.provider.name;
  config.gateway_uri = choice->gateway;
  config.access_token = std::move(*token);
  config.hub_id = hub.hub_id;
  config.servers = choice->servers;

  record.cloud.emplace();
  record.cloud->provider_name = config.provider_name;
  record.cloud->gateways = config.servers;
  record.cloud->selected_gateway = store::Gateway{config.gateway_uri, config.hub_id};
  return cloud_configuration_payload(config);
}

}  // namespace dps::provisioning
