// What dps writes into its store at start: the config file's hubs and enrollment groups, and the
// trust paths of groups stored before dps kept them (store::EnrollmentGroup::trust_path).
#pragma once

#include "common/result.hpp"
#include "config/config.hpp"
#include "store/store.hpp"

namespace dps::app {

/// Upserts the config file's hubs, then its groups with their trust paths (hubs first: groups
/// name them). Upsert, so editing the file and restarting updates them. Conflict when a group's
/// trust belongs to another owner's group: the message names both, for the operator.
[[nodiscard]] Result<void> seed_store(store::Store& store, const config::Config& config);

/// Computes and stores the trust path of every group that has none (written by an older dps), so
/// the store protects its trust from then on. A group whose trust another owner's group already
/// claims keeps none and is named in a warning: the device side refuses devices both groups
/// would admit equally (pki::TrustGroupIndex), and an operator must resolve it.
/// @return the number of groups given a trust path.
[[nodiscard]] Result<size_t> backfill_trust_paths(store::Store& store);

}  // namespace dps::app
