// The device resource dps asks every device session for (device-protocol §3.6): GET /oic/res on
// the device, whose answer lists the endpoints the device serves on its local network, kept in its
// record. OCF knowledge the transport only carries: net/ sends the request on a session's first
// request and hands the answer back here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "coap/message.hpp"
#include "provisioning/step.hpp"
#include "store/entities.hpp"

namespace dps::provisioning {

/// GET /oic/res?if=oic.if.ll&rt=oic.wk.d with Accept 10000 (OCF CBOR), on `token`.
coap::Message device_resources_request(std::vector<uint8_t> token);

/// `links[0].eps[].ep` of the device's answer (or `[0].eps[].ep` for a plain array answer), with
/// the same bounded decoder as request bodies: the answer is as untrusted as a request. Empty when
/// anything is unexpected.
std::vector<std::string> endpoints_of(const coap::Message& response);

/// The record update that keeps `endpoints` in the record of `peer`, under its enrollment as
/// `catalog` holds it now; none when that enrollment is gone (deleted since the handshake).
std::optional<store::ProvisioningRecord> local_endpoints_update(const PeerIdentity& peer,
                                                                const Catalog& catalog,
                                                                std::vector<std::string> endpoints);

}  // namespace dps::provisioning
