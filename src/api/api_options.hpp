// What an operator tunes in the management API's behaviour (apis.http in the config file).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/token_names.hpp"

namespace dps::pki {
class IdentityTrust;
}

namespace dps::api {

/// Most objects one owner may keep (apis.http.quotas): a tenant cannot grow the store, the
/// catalog every device session matches against, or the work of every catalog rebuild without
/// bound. Beyond them, writes answer 409 naming the quota and its config key.
struct Quotas {
  uint32_t enrollment_groups = 1000;
  uint32_t hubs = 100;
  /// revokedCertificates entries of one group.
  uint32_t revoked_certificates_per_group = 10000;
  /// Verification codes issued and not yet used or expired.
  uint32_t verification_codes = 100;
  /// Groups sharing one lead certificate name: every group named like a device's issuer costs
  /// that device's handshake a chain verification.
  uint32_t groups_per_lead_name = 4;
  /// Individual enrollments are not in the catalog (a handshake looks its device up by key), so
  /// they may be many: Azure DPS's limit per instance.
  uint32_t individual_enrollments = 1'000'000;
  /// Enrollment templates: part of the configuration every catalog rebuild reads.
  uint32_t templates = 100;
};

/// The objects the config file defines (config::Config::source_file). dps upserts them at every
/// start, so an API write to one would be undone by the next restart without a word: the file
/// stays their one source of truth, the API refuses writes to them (409 naming the file) and
/// marks them `"managedBy": "configFile"` wherever it shows them.
struct ConfigFileObjects {
  /// Absolute path of the config file; empty when dps runs on its embedded defaults.
  std::string file;
  std::vector<std::string> enrollment_group_ids;
  /// Hub RECORD ids (enrollmentGroups[].hubs[].id), not hubIds.
  std::vector<std::string> hub_ids;
};

struct ManagementApiOptions {
  /// How the API recognises its own tokens: hub settings must not reproduce them.
  ApiTokenNames api_tokens;
  /// Groups created through the API (and updates that change what a group trusts) must prove
  /// possession of the CA they enroll (management-api.md "Proof of possession"). Off only for an
  /// operator serving a single owner who wants plgd's API as it is.
  bool require_proof_of_possession = true;
  /// How long a verification code stays usable.
  std::chrono::seconds verification_code_validity{3600};
  Quotas quotas;
  ConfigFileObjects config_file;
  /// The identity certificates dps's own CA issues (the device side admits them to identity
  /// sessions before any enrollment group is tried): explain recognises them and says so rather
  /// than matching them against groups. Null: not recognised (API unit tests without a CA).
  std::shared_ptr<const pki::IdentityTrust> identity_certificates;
};

}  // namespace dps::api
