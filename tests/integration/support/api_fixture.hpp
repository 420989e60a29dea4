// Fixture of the management API integration tests: dps with apis.http enabled, an ApiClient on
// its port, admin tokens per owner, request bodies for hubs and groups, and a manufacturer that
// only the API enrols (api_mfg_). Subclasses overriding configure() call ApiTest::configure().
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "api_client.hpp"
#include "dps_fixture.hpp"

namespace dps::itest {

inline constexpr const char* kOwnerA = "5a5a5a5a-0000-4000-8000-00000000000a";
inline constexpr const char* kOwnerB = "5b5b5b5b-0000-4000-8000-00000000000b";
inline constexpr const char* kApiHub = "d4d4d4d4-0000-4000-8000-000000000004";
inline constexpr const char* kApiHub2 = "d5d5d5d5-0000-4000-8000-000000000005";
inline constexpr const char* kLocalGateway = "coaps+tcp://127.0.0.1:5684";
inline constexpr const char* kGroupsPath = "/api/v1/enrollment-groups";
inline constexpr const char* kHubsPath = "/api/v1/hubs";
inline constexpr const char* kRecordsPath = "/api/v1/provisioning-records";
/// The owner claim plgd's hubs use (hubs that take tokens from an OAuth2 authority).
inline constexpr const char* kPlgdOwnerClaim = "https://plgd.dev/owner";
inline constexpr const char* kPlgdPrefix = "/device-provisioning-service";
/// The API's request body limit (http::HttpServerOptions::max_body_size).
inline constexpr size_t kBodyLimit = 1 << 20;

/// `text` in upper case (ASCII): ids are matched case-insensitively.
std::string upper(std::string text);

/// `{"code": <code>, "message": "...<message_part>...", "details": []}` with `status`, and
/// nothing else in the object.
::testing::AssertionResult is_api_error(const HttpAnswer& answer, unsigned status, int code,
                                        std::string_view message_part);

class ApiTest : public DpsTest {
 protected:
  void configure(DpsConfigSpec& spec) override;

  ApiClient api() const;
  /// An admin token for `owner`, minted with the signing key dps keeps in its data directory.
  std::string token_of(const std::string& owner) const;
  HttpAnswer call(Verb method, const std::string& target, const std::string& token,
                  const std::string& body = "") const {
    return api().call(method, target, token, body);
  }
  /// The `result` objects of a GET stream; expects 200 and well-formed lines.
  std::vector<nlohmann::json> list(const std::string& target, const std::string& token) const;

  /// A hub with the built-in CA and tokens: hubId, one gateway, the plgd owner claim.
  static nlohmann::json hub_body(const std::string& hub_id,
                                 const std::string& gateway = kLocalGateway);
  /// A group trusting `mfg`'s intermediate and root, served by `hub_ids`.
  static nlohmann::json group_body(const Manufacturer& mfg,
                                   const std::vector<std::string>& hub_ids);
  nlohmann::json group_body(const std::string& hub_id) const {
    return group_body(api_mfg_, {hub_id});
  }
  /// POSTs `body` to `path` as `owner`; expects 200 and returns the created object.
  nlohmann::json create(const std::string& path, const nlohmann::json& body,
                        const std::string& owner);
  /// Creates kApiHub and a group of api_mfg_ for `owner`; returns the created group.
  nlohmann::json enroll_api_mfg(const std::string& owner);
  /// PUT of kOwnerA's api_mfg_ group `group_id` (group_body(kApiHub)) with `fields` added;
  /// expects 200 and returns the answer.
  nlohmann::json put_group(const std::string& group_id, const nlohmann::json& fields);

  device::ClientTlsOptions api_mfg_tls() const {
    return tls_for(api_mfg_.device, &api_mfg_.intermediate);
  }
  /// A leaf of api_mfg_'s intermediate named `cn`.
  test::TestCert api_mfg_leaf(const std::string& cn) const;

  Manufacturer api_mfg_;
};

}  // namespace dps::itest
