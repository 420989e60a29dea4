// Dispatches one device request to its step and wraps the shared concerns every step needs
// (plgd's toInternalHandler): path and method, critical options, the session's enrollment group,
// the response format, the record stamp and the error answer.
#pragma once

#include "coap/message.hpp"
#include "common/result.hpp"
#include "provisioning/step.hpp"

namespace dps::provisioning {

/// An error answer to `request`: `code` with the diagnostic `why`, closing the session after it
/// unless it is 5.03 (retry the same step on this connection).
StepResult error_result(const coap::Message& request, coap::Code code, std::string_view why);

class Router {
 public:
  explicit Router(Services services) : services_(services) {}

  /// Thread-safe (no mutable state). Never throws; every failure becomes a CoAP error response.
  StepResult handle(const PeerIdentity& peer, std::shared_ptr<const Catalog> catalog,
                    const coap::Message& request, bool first_request_of_session) const;

  /// What to record and answer instead of `intended` when the store refused its record (Conflict:
  /// the device id differs from the one the record is pinned to, or another record holds it):
  /// 4.03 with the refusal's external text, closing, and a record update that keeps the
  /// intended one's attestation but replaces the step's section by its failed status (no device
  /// id, no certificate or token: nothing the refused answer would have carried).
  StepResult refused_by_store(const coap::Message& request, const StepResult& intended,
                              const Error& refusal) const;

  /// Whether handle() may wait on the network for `request` from `peer`: cloud configuration
  /// when a hub of its group takes tokens from an OAuth2 authority, credentials when one names a
  /// gRPC certificate authority. The caller runs such requests off its I/O threads.
  static bool may_block(const PeerIdentity& peer, const Catalog& catalog,
                        const coap::Message& request);

  const Services& services() const { return services_; }

 private:
  Services services_;
};

}  // namespace dps::provisioning
