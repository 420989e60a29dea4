// What the cloud-configuration and credentials steps share about the device's hub: which one, and
// its token (plgd's DPS resolves both per request from its linked hubs, linkedHub.go).
#include "provisioning/catalog.hpp"
#include "provisioning/hub_token_sources.hpp"
#include "provisioning/steps.hpp"

namespace dps::provisioning {
namespace {

// A fresh device sends a nil id; anything unusable simply means "no preference".
std::optional<store::Gateway> selected_gateway_of(const nlohmann::json& body) {
  auto it = body.find("selectedGateway");
  if (it == body.end() || !it->is_object()) return std::nullopt;
  auto uri = it->find("uri");
  auto id = it->find("id");
  if (uri == it->end() || id == it->end() || !uri->is_string() || !id->is_string()) {
    return std::nullopt;
  }
  return store::Gateway{uri->get<std::string>(), id->get<std::string>()};
}

}  // namespace

Result<HubChoice> hub_for_device(const StepInput& in, const nlohmann::json& body) {
  std::vector<std::string> missing;
  auto linked = in.context.catalog->linked_hubs(in.group, &missing);
  if (!missing.empty()) {
    std::string ids;
    for (const auto& id : missing) ids += (ids.empty() ? "" : ", ") + id;
    return fail(
        ErrorCode::BadRequest,
        std::string(in.context.peer.individual ? "individual enrollment " : "enrollment group ") +
            in.group.id + " links hubs that do not exist: " + ids);
  }
  return choose_hub(linked, selected_gateway_of(body));
}

const store::EnrollmentTemplate* template_of(const StepInput& in) {
  return in.context.catalog->find_template(in.group.owner, in.group.template_id);
}

Result<std::string> hub_token(const StepInput& in, const store::Hub& hub,
                              const auth::TokenRequest& request) {
  if (hub.authorization.provider.authority.empty()) {
    return in.context.services.tokens->token_for(request);
  }
  HubTokenSources* sources = in.context.services.hub_tokens;
  if (sources == nullptr) {
    return fail(ErrorCode::Internal,
                "hub " + hub.hub_id + " names an OAuth2 authority; this server has no client");
  }
  return sources->token(hub, request);
}

}  // namespace dps::provisioning
