// Provisioning records in the management API's JSON forms (management-api.md, device-protocol §4).
// Both are protobuf-JSON style: lowerCamelCase, 64-bit numbers as strings.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include "store/entities.hpp"

namespace dps::api {

enum class RecordView {
  /// plgd's `ProvisioningRecord` message exactly as plgd's HTTP gateway prints it, so plgd's
  /// dashboard and scripts read it: `plgdTime` a ProvisionStatus, `cloud.selectedGateway` an
  /// index into `gateways` (-1: none), credentials and ACEs as plgd's Credential/AccessControl
  /// messages (plgd_record_messages.hpp), `attestation` as {date, x509}. The default.
  Plgd,
  /// dps's own shape (`?view=ocf`): every step as {status, ...} (attestation's too),
  /// `selectedGateway` as {uri, id}, credentials and ACEs as sent to the device (OCF oic.r.cred
  /// without private data, oic.r.acl2).
  Ocf,
};

nlohmann::json to_json(const store::ProvisioningRecord& record, RecordView view = RecordView::Plgd);

}  // namespace dps::api
