// The credentials and ACEs a record keeps in the device's OCF form (oic.r.cred, oic.r.acl2: what
// was sent), rewritten as plgd's `Credential` and `AccessControl` messages
// (device-provisioning-service/pb/provisioningRecords.proto) in the JSON plgd's HTTP gateway
// prints: protobuf JSON with every field emitted, then null, "", {} and [] dropped
// (http-gateway/serverMux JsonMarshaler). So zeros stay: an int64 0 is "0", an enum at its zero
// value is its name ("NONE", "ANON_CLEAR").
#pragma once

#include <nlohmann/json.hpp>

namespace dps::api {

/// plgd's Credential from one oic.r.cred entry, as pb.CredentialToPb builds it, except
/// `privateData`: never shown (a PSK's bytes are in the record's preSharedKey only).
nlohmann::json plgd_credential(const nlohmann::json& ocf_cred);

/// plgd's AccessControl from one oic.r.acl2 ACE, as pb.DeviceAccessControlToPb builds it.
nlohmann::json plgd_access_control(const nlohmann::json& ocf_ace);

/// Standard base64 with padding: protobuf JSON's form of a `bytes` field.
std::string protobuf_bytes(std::string_view bytes);

}  // namespace dps::api
