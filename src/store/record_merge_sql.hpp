// The provisioning-record merge (ProvisioningRecord's rules) as ONE SQL statement that both
// adapters run: PostgreSQL and SQLite (3.24+ upsert syntax) read it alike, so the rules cannot
// drift apart. Parameters $1..$21, in order of first appearance: id, owner, device_id,
// enrollment_group_id, individual_enrollment_id, creation_date, local_endpoints, then each
// section's JSON and date (attestation, plgd_time, ownership, cloud, credential, acl,
// pre_configuration).
// In SET, `r.` columns are the stored row's values *before* the update, so each section's JSON
// and its date column are decided by the same comparison.
// - A record is one owner's: the key is (owner, id), so a device admitted under another owner
//   starts a record of that owner and the first one stays as it was (owner never changes).
// - The device id is pinned: once stored it is never replaced, and an update naming another one
//   changes nothing. A device id held by another record is not taken either (the NOT EXISTS; the
//   partial unique index provisioning_records_device_id_unique backs it against two writers
//   racing). Either way the statement changes no row, which the adapters report as Conflict
//   (record_conflict_sql below says which).
// - A section is absent in the update when its JSON parameter is NULL; present sections replace
//   the stored one unless the stored one is strictly newer (equal dates apply: a retried step).
// - Scalars and local endpoints replace only when the update carries a value ('' / '[]' = keep).
//   The admitting enrollment is one value in two columns: an update naming a group or an
//   individual enrollment replaces both (a device moved from a group to an individual enrollment
//   then shows only the latter); one naming neither keeps both.
// - creation_date is only written by the INSERT branch.
#pragma once

#include <string_view>

namespace dps::store {

inline constexpr std::string_view kRecordMergeSql = R"sql(
INSERT INTO provisioning_records AS r (id, owner, device_id, enrollment_group_id,
  individual_enrollment_id, creation_date, local_endpoints, attestation, attestation_date,
  plgd_time, plgd_time_date, ownership, ownership_date, cloud, cloud_date, credential,
  credential_date, acl, acl_date, pre_configuration, pre_configuration_date)
SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20,
  $21
WHERE NOT EXISTS (SELECT 1 FROM provisioning_records AS other
                  WHERE $3 <> '' AND other.device_id = $3 AND other.device_id <> ''
                    AND NOT (other.owner = $2 AND other.id = $1))
ON CONFLICT (owner, id) DO UPDATE SET
  device_id = CASE WHEN r.device_id = '' THEN excluded.device_id ELSE r.device_id END,
  enrollment_group_id = CASE
      WHEN excluded.enrollment_group_id <> '' OR excluded.individual_enrollment_id <> ''
    THEN excluded.enrollment_group_id ELSE r.enrollment_group_id END,
  individual_enrollment_id = CASE
      WHEN excluded.enrollment_group_id <> '' OR excluded.individual_enrollment_id <> ''
    THEN excluded.individual_enrollment_id ELSE r.individual_enrollment_id END,
  local_endpoints = CASE WHEN excluded.local_endpoints <> '[]'
    THEN excluded.local_endpoints ELSE r.local_endpoints END,
  attestation = CASE WHEN excluded.attestation IS NOT NULL
      AND (r.attestation_date IS NULL OR excluded.attestation_date >= r.attestation_date)
    THEN excluded.attestation ELSE r.attestation END,
  attestation_date = CASE WHEN excluded.attestation IS NOT NULL
      AND (r.attestation_date IS NULL OR excluded.attestation_date >= r.attestation_date)
    THEN excluded.attestation_date ELSE r.attestation_date END,
  plgd_time = CASE WHEN excluded.plgd_time IS NOT NULL
      AND (r.plgd_time_date IS NULL OR excluded.plgd_time_date >= r.plgd_time_date)
    THEN excluded.plgd_time ELSE r.plgd_time END,
  plgd_time_date = CASE WHEN excluded.plgd_time IS NOT NULL
      AND (r.plgd_time_date IS NULL OR excluded.plgd_time_date >= r.plgd_time_date)
    THEN excluded.plgd_time_date ELSE r.plgd_time_date END,
  ownership = CASE WHEN excluded.ownership IS NOT NULL
      AND (r.ownership_date IS NULL OR excluded.ownership_date >= r.ownership_date)
    THEN excluded.ownership ELSE r.ownership END,
  ownership_date = CASE WHEN excluded.ownership IS NOT NULL
      AND (r.ownership_date IS NULL OR excluded.ownership_date >= r.ownership_date)
    THEN excluded.ownership_date ELSE r.ownership_date END,
  cloud = CASE WHEN excluded.cloud IS NOT NULL
      AND (r.cloud_date IS NULL OR excluded.cloud_date >= r.cloud_date)
    THEN excluded.cloud ELSE r.cloud END,
  cloud_date = CASE WHEN excluded.cloud IS NOT NULL
      AND (r.cloud_date IS NULL OR excluded.cloud_date >= r.cloud_date)
    THEN excluded.cloud_date ELSE r.cloud_date END,
  credential = CASE WHEN excluded.credential IS NOT NULL
      AND (r.credential_date IS NULL OR excluded.credential_date >= r.credential_date)
    THEN excluded.credential ELSE r.credential END,
  credential_date = CASE WHEN excluded.credential IS NOT NULL
      AND (r.credential_date IS NULL OR excluded.credential_date >= r.credential_date)
    THEN excluded.credential_date ELSE r.credential_date END,
  acl = CASE WHEN excluded.acl IS NOT NULL
      AND (r.acl_date IS NULL OR excluded.acl_date >= r.acl_date)
    THEN excluded.acl ELSE r.acl END,
  acl_date = CASE WHEN excluded.acl IS NOT NULL
      AND (r.acl_date IS NULL OR excluded.acl_date >= r.acl_date)
    THEN excluded.acl_date ELSE r.acl_date END,
  pre_configuration = CASE WHEN excluded.pre_configuration IS NOT NULL
      AND (r.pre_configuration_date IS NULL
        OR excluded.pre_configuration_date >= r.pre_configuration_date)
    THEN excluded.pre_configuration ELSE r.pre_configuration END,
  pre_configuration_date = CASE WHEN excluded.pre_configuration IS NOT NULL
      AND (r.pre_configuration_date IS NULL
        OR excluded.pre_configuration_date >= r.pre_configuration_date)
    THEN excluded.pre_configuration_date ELSE r.pre_configuration_date END
WHERE excluded.device_id = '' OR r.device_id = '' OR r.device_id = excluded.device_id
)sql";

/// Why kRecordMergeSql changed no row, asked only then: $1 id, $2 owner, $3 device id (in order of
/// first appearance, which is how SQLite numbers them). One row:
/// the device id this record is pinned to ('' if none, or no such record) and whether another
/// record holds $3.
// `device_id <> ''` in both lookups repeats the partial unique index's predicate: SQLite uses
// provisioning_records_device_id_unique only when the query states it (it does not infer it from
// `$3 <> ''`), and without it every record update scanned the table (bench/RESULTS.md).
inline constexpr std::string_view kRecordConflictSql = R"sql(
SELECT
  coalesce((SELECT device_id FROM provisioning_records WHERE id = $1 AND owner = $2), ''),
  EXISTS (SELECT 1 FROM provisioning_records
          WHERE device_id = $3 AND device_id <> '' AND NOT (owner = $2 AND id = $1))
)sql";

}  // namespace dps::store
