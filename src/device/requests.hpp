// The requests a device sends (device-protocol §1, §3) and its answer to the server's reverse
// `GET /oic/res` (§3.6). Pure builders: no I/O, unit-tested byte for byte.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "coap/message.hpp"
#include "device/device_types.hpp"

namespace dps::device {

/// Resource paths of device-protocol §3 (plgd uri.go).
namespace uri {
inline constexpr std::string_view kTime = "/x.plgd.dev/time";
inline constexpr std::string_view kOwnership = "/api/v1/provisioning/ownership";
inline constexpr std::string_view kCloudConfiguration = "/api/v1/provisioning/cloud-configuration";
inline constexpr std::string_view kCredentials = "/api/v1/provisioning/credentials";
inline constexpr std::string_view kAcls = "/api/v1/provisioning/acls";
/// dps's extension (device-protocol "Pre-configuration of device resources").
inline constexpr std::string_view kPreConfiguration = "/api/v1/provisioning/pre-configuration";
/// dps's extension (docs/device-protocol.md §5, TPM attestation).
inline constexpr std::string_view kTpmChallenge = "/api/v1/provisioning/tpm/challenge";
inline constexpr std::string_view kTpmActivation = "/api/v1/provisioning/tpm/activation";
inline constexpr std::string_view kOicRes = "/oic/res";
}  // namespace uri

/// OCF 1.0 content-format version sent in options 2049 and 2053.
inline constexpr uint32_t kOcfVersion = 2048;
inline constexpr std::string_view kPemEncoding = "oic.sec.encoding.pem";

/// 8 random bytes (RAND_bytes), the token length every device request uses.
std::vector<uint8_t> random_token();

/// A GET as a device sends it: 8-byte token, one Uri-Path per segment, Accept 10000, 2049=2048.
coap::Message make_get(std::string_view path);
/// A POST as a device sends it: as make_get plus Content-Format 10000, 2053=2048 and the body.
coap::Message make_post(std::string_view path, std::vector<uint8_t> cbor_body);

/// A POST of TPM attestation (docs/device-protocol.md §5): as make_post, with Content-Format and
/// Accept 60 (CBOR), as that extension specifies.
coap::Message make_tpm_post(std::string_view path, std::vector<uint8_t> cbor_body);

coap::Message make_time_request();
coap::Message make_ownership_request();
/// `{"di": di, "selectedGateway": {...}}` (selectedGateway only when given).
coap::Message make_cloud_configuration_request(std::string_view di,
                                               const std::optional<Gateway>& selected_gateway);
/// `{"di": di, "csr": {"data": csr_pem, "encoding": "oic.sec.encoding.pem"}}`.
coap::Message make_credentials_request(std::string_view di, std::string_view csr_pem);
coap::Message make_acls_request();
/// GET pre-configuration with the Uri-Query "di=<di>" (RFC 7252 §5.10.1).
coap::Message make_pre_configuration_request(std::string_view di);
/// POST pre-configuration `{"di": di, "results": [{"href", "ok", "error" (when not ok)}]}`.
coap::Message make_pre_configuration_report(std::string_view di,
                                            const std::vector<ResourceUpdateResult>& results);

/// The device's 2.05 answer to the server's `GET /oic/res`: content format 10000 and
/// `[{"href":"/oic/d","rt":["oic.wk.d"],"if":["oic.if.baseline"],"eps":[{"ep":endpoint}]}]`,
/// echoing the request's token. Anything else the server asks gets an empty 4.04.
coap::Message answer_server_request(const coap::Message& request, std::string_view endpoint);

/// "coaps+tcp://127.0.0.1:5684" ("[::1]" style for IPv6 addresses).
std::string coaps_tcp_endpoint(std::string_view address, uint16_t port);

/// Random UUIDv4 in canonical lower-case form.
std::string random_uuid();

}  // namespace dps::device
