#include "provisioning/device_resources.hpp"

#include <nlohmann/json.hpp>

#include "provisioning/admission.hpp"
#include "provisioning/content.hpp"
#include "provisioning/uris.hpp"

namespace dps::provisioning {

coap::Message device_resources_request(std::vector<uint8_t> token) {
  coap::Message request;
  request.code = coap::Code::Get;
  request.token = std::move(token);
  request.set_uri_path(uris::kDeviceResources);
  request.add_string_option(coap::option::kUriQuery, uris::kDeviceResourcesQueryInterface);
  request.add_string_option(coap::option::kUriQuery, uris::kDeviceResourcesQueryType);
  request.add_uint_option(coap::option::kAccept, coap::content_format::kOcfCbor);
  return request;
}

std::vector<std::string> endpoints_of(const coap::Message& response) {
  std::vector<std::string> endpoints;
  // Nesting depth capped instead of recursing on the I/O thread's stack.
  auto decoded = decode_cbor(response.payload);
  if (!decoded) return endpoints;
  try {
    const nlohmann::json& body = *decoded;
    const nlohmann::json* links = &body;
    if (body.is_object() && body.contains("links")) links = &body["links"];
    if (!links->is_array() || links->empty()) return endpoints;
    const auto& eps = (*links)[0].value("eps", nlohmann::json::array());
    for (const auto& ep : eps) {
      if (ep.is_object() && ep.contains("ep") && ep["ep"].is_string()) {
        endpoints.push_back(ep["ep"].get<std::string>());
      }
    }
  } catch (const std::exception&) {
    endpoints.clear();
  }
  return endpoints;
}

std::optional<store::ProvisioningRecord> local_endpoints_update(
    const PeerIdentity& peer, const Catalog& catalog, std::vector<std::string> endpoints) {
  const store::EnrollmentGroup* enrollment = enrollment_of(peer, catalog);
  if (enrollment == nullptr) return std::nullopt;
  store::ProvisioningRecord update;
  update.id = peer.registration_id;
  update.owner = enrollment->owner;
  (peer.individual ? update.individual_enrollment_id : update.enrollment_group_id) = enrollment->id;
  update.local_endpoints = std::move(endpoints);
  return update;
}

}  // namespace dps::provisioning
