// The checks an iotivity-lite device makes on every DPS answer (device-protocol §1, §3). Each
// takes the raw response and returns what the device would keep, or why it would reject it.
// Pure functions: unit-tested with crafted responses.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "coap/message.hpp"
#include "common/result.hpp"
#include "device/device_types.hpp"

namespace dps::device {

/// The response code is `expected`; otherwise the error names the code and the diagnostic text.
[[nodiscard]] Result<void> check_code(const coap::Message& response, coap::Code expected);

/// Content-Format is 60 or 10000 ("a response without content format 60/10000 is ignored by the
/// device").
[[nodiscard]] Result<void> check_content_format(const coap::Message& response);

/// The payload as JSON text (CBOR decoded) for reports, or the raw text when not CBOR.
std::string payload_text(const coap::Message& response);

struct TimeAnswer {
  std::string time;
  std::chrono::system_clock::time_point parsed;
};

/// 2.05, `{"time": RFC 3339}`.
[[nodiscard]] Result<TimeAnswer> check_time_response(const coap::Message& response);
/// 2.05, a map whose only key is `devowneruuid`, a UUID. Returns the owner uuid.
[[nodiscard]] Result<std::string> check_ownership_response(const coap::Message& response);
/// 2.04; apn, cis, at, sid non-empty strings; optional `x.org.iotivity.servers` [{uri, id}].
[[nodiscard]] Result<HubConfig> check_cloud_configuration_response(const coap::Message& response);

/// What the device knows when the credentials answer arrives.
struct CredentialExpectations {
  std::string device_id;       // `di` it sent (the cert cred's subjectuuid must match)
  std::string public_key_der;  // SPKI of the CSR key (the issued leaf must carry it)
  std::string private_key_pem;
  std::chrono::system_clock::time_point now = std::chrono::system_clock::now();
  std::chrono::seconds min_validity{3600};
};

/// 2.04; creds array, every cred tagged "dps", no rowneruuid; one oic.sec.cred.cert cred whose
/// leaf has the CSR key and does not expire within `min_validity`; one oic.sec.cred.trustca cred;
/// an optional credtype 1 PSK of 16 bytes.
[[nodiscard]] Result<IssuedCredentials> check_credentials_response(
    const coap::Message& response, const CredentialExpectations& expect);

/// 2.05; aclist2 array of ACEs, each tagged "dps" with subject, permission and resources; no
/// rowneruuid; each subject one of {uuid}, {role, authority?} (flat) or {conntype}, in text.
/// Returns the number of ACEs.
[[nodiscard]] Result<size_t> check_acls_response(const coap::Message& response);

/// The pre-configuration answer (dps's extension, device-protocol "Pre-configuration of device
/// resources"): 2.05, content format 60/10000, `{"updates": [{"href", "rep"}]}` within the
/// documented bounds (at most 16 updates, hrefs absolute OCF paths, each href once, `rep` a map
/// nested at most 8 levels and at most 4096 bytes as CBOR, 16384 in all) and with no "{{"
/// left in its strings (a variable dps should have substituted would reach the resource as is).
[[nodiscard]] Result<std::vector<ResourceUpdate>> check_pre_configuration_response(
    const coap::Message& response);

/// The answer to the device's report: 2.04.
[[nodiscard]] Result<void> check_pre_configuration_report_response(const coap::Message& response);

/// RFC 3339 date-time ("2026-11-27T20:13:04.362856Z", offsets allowed).
std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view text);

/// Canonical 8-4-4-4-12 hexadecimal UUID text.
bool is_uuid(std::string_view text);

}  // namespace dps::device
