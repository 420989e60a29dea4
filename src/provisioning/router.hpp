// Dispatches one device request to its step and wraps the shared concerns every step needs
// (plgd's toInternalHandler): path and method, critical options, the session's enrollment group,
// the response format, the record stamp and the error answer.
#pragma once

#include "coap/message.hpp"
#include "provisioning/step.hpp"

namespace dps::provisioning {

class Router {
 public:
  explicit Router(Services services) : services_(services) {}

  /// Thread-safe (no mutable state). Never throws; every failure becomes a CoAP error response.
  StepResult handle(const PeerIdentity& peer, std::shared_ptr<const Catalog> catalog,
                    const coap::Message& request, bool first_request_of_session) const;

  const Services& services() const { return services_; }

 private:
  Services services_;
};

}  // namespace dps::provisioning
