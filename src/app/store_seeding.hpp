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
/// the store protects its trust from then on. A group whose trust overlaps another owner's group
/// (one that holds a trust path, or another such legacy group) is disabled instead, with a
/// warning naming it: neither owner gets the other's devices by an accident of ids, and the
/// owner re-creates it with a proof of possession.
/// @return the number of groups given a trust path.
[[nodiscard]] Result<size_t> backfill_trust_paths(store::Store& store);

}  // namespace dps::app
