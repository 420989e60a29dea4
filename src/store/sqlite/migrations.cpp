#include "store/sqlite/migrations.hpp"

#include <array>
#include <string>

namespace dps::store::sqlite {

namespace {

// Columns that filters address (ids, owner, lead certificate name, hub id, device id, enrollment
// group id) are real, indexed columns; nested lists and objects are JSON text (column_codec.hpp).
// Provisioning-record sections keep their status date in a separate INTEGER column so the
// date-guarded merge runs in SQL (provisioning_record_table.cpp) without parsing JSON.
// configuration_version is a single counter row bumped by every group/hub write transaction.
constexpr std::string_view kMigration1Initial = R"sql(
CREATE TABLE enrollment_groups (
  id TEXT PRIMARY KEY NOT NULL,
  owner TEXT NOT NULL,
  name TEXT NOT NULL,
  certificate_chain TEXT NOT NULL,
  lead_certificate_name TEXT NOT NULL,
  expired_certificate_enabled INTEGER NOT NULL,
  hub_ids TEXT NOT NULL,
  pre_shared_key BLOB NOT NULL,
  disabled INTEGER NOT NULL,
  revoked_certificates TEXT NOT NULL,
  crl TEXT NOT NULL
);
CREATE INDEX enrollment_groups_owner ON enrollment_groups (owner);
CREATE INDEX enrollment_groups_lead_certificate_name ON enrollment_groups (lead_certificate_name);

CREATE TABLE hubs (
  id TEXT PRIMARY KEY NOT NULL,
  hub_id TEXT NOT NULL,
  owner TEXT NOT NULL,
  name TEXT NOT NULL,
  gateways TEXT NOT NULL,
  certificate_authority TEXT NOT NULL,
  authorization_config TEXT NOT NULL
);
CREATE INDEX hubs_owner ON hubs (owner);
CREATE INDEX hubs_hub_id ON hubs (hub_id);

CREATE TABLE provisioning_records (
  id TEXT PRIMARY KEY NOT NULL,
  owner TEXT NOT NULL,
  device_id TEXT NOT NULL,
  enrollment_group_id TEXT NOT NULL,
  creation_date INTEGER NOT NULL,
  local_endpoints TEXT NOT NULL,
  attestation TEXT,
  attestation_date INTEGER,
  plgd_time TEXT,
  plgd_time_date INTEGER,
  ownership TEXT,
  ownership_date INTEGER,
  cloud TEXT,
  cloud_date INTEGER,
  credential TEXT,
  credential_date INTEGER,
  acl TEXT,
  acl_date INTEGER
);
CREATE INDEX provisioning_records_owner ON provisioning_records (owner);
CREATE INDEX provisioning_records_device_id ON provisioning_records (device_id);
CREATE INDEX provisioning_records_enrollment_group_id
  ON provisioning_records (enrollment_group_id);

CREATE TABLE configuration_version (
  singleton INTEGER PRIMARY KEY NOT NULL CHECK (singleton = 1),
  version INTEGER NOT NULL
);
INSERT INTO configuration_version (singleton, version) VALUES (1, 0);
)sql";

// Tenancy in the schema (issue 12): a record is one owner's, keyed by (owner, id), so a device
// admitted under another owner starts a record of its own; a device id is held by one record
// only; a hub id is unique per owner; enrollment_group_trust holds each group's trust path, which
// the store keeps from overlapping another owner's (groups written before have none until dps
// computes it at start: app/service.cpp). SQLite cannot change a primary key in place, hence the
// copy. A database in which two records share a device id, or two hubs of one owner a hub id,
// fails here naming the index (docs/deployment.md, "Upgrading": how to find and fix them).
constexpr std::string_view kMigration2Tenancy = R"sql(
CREATE TABLE provisioning_records_by_owner (
  id TEXT NOT NULL,
  owner TEXT NOT NULL,
  device_id TEXT NOT NULL,
  enrollment_group_id TEXT NOT NULL,
  creation_date INTEGER NOT NULL,
  local_endpoints TEXT NOT NULL,
  attestation TEXT,
  attestation_date INTEGER,
  plgd_time TEXT,
  plgd_time_date INTEGER,
  ownership TEXT,
  ownership_date INTEGER,
  cloud TEXT,
  cloud_date INTEGER,
  credential TEXT,
  credential_date INTEGER,
  acl TEXT,
  acl_date INTEGER,
  PRIMARY KEY (owner, id)
);
INSERT INTO provisioning_records_by_owner SELECT id, owner, device_id, enrollment_group_id,
  creation_date, local_endpoints, attestation, attestation_date, plgd_time, plgd_time_date,
  ownership, ownership_date, cloud, cloud_date, credential, credential_date, acl, acl_date
FROM provisioning_records;
DROP TABLE provisioning_records;
ALTER TABLE provisioning_records_by_owner RENAME TO provisioning_records;
CREATE INDEX provisioning_records_id ON provisioning_records (id);
CREATE UNIQUE INDEX provisioning_records_device_id_unique ON provisioning_records (device_id)
  WHERE device_id <> '';
CREATE INDEX provisioning_records_enrollment_group_id
  ON provisioning_records (enrollment_group_id);

CREATE UNIQUE INDEX hubs_owner_hub_id ON hubs (owner, hub_id);

ALTER TABLE enrollment_groups ADD COLUMN trust_path TEXT NOT NULL DEFAULT '[]';
CREATE TABLE enrollment_group_trust (
  group_id TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  depth INTEGER NOT NULL,
  PRIMARY KEY (group_id, depth)
);
CREATE INDEX enrollment_group_trust_fingerprint ON enrollment_group_trust (fingerprint);

CREATE TABLE verification_codes (
  owner TEXT NOT NULL,
  code TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (owner, code)
);
CREATE TABLE revoked_tokens (
  jti TEXT PRIMARY KEY NOT NULL,
  expires_at INTEGER NOT NULL
);
)sql";

// Each group's revision: the configuration_version its last write created (0 = last written
// before this migration), so the device-side catalog reads only the groups that changed
// (provisioning/catalog.cpp) instead of every group of every owner on each write. The index
// makes listing the (id, revision) of the groups written since a version a search of it alone.
constexpr std::string_view kMigration3GroupRevisions = R"sql(
ALTER TABLE enrollment_groups ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;
CREATE INDEX enrollment_groups_revision_id ON enrollment_groups (revision, id);
)sql";

// Individual enrollments: devices enrolled one by one, found at each handshake by the SHA-256 of
// their key. The unique index on it is that lookup (one search, at a million rows as at one) and
// the rule that one key is held by one enrollment of one owner. (owner, id) serves listing an
// owner's enrollments page by page in id order (counting them: migration 5). A record names the
// individual enrollment that admitted its device; records written before have none ('').
constexpr std::string_view kMigration4IndividualEnrollments = R"sql(
CREATE TABLE individual_enrollments (
  id TEXT PRIMARY KEY NOT NULL,
  owner TEXT NOT NULL,
  name TEXT NOT NULL,
  certificate_pem TEXT NOT NULL,
  public_key_sha256 TEXT NOT NULL,
  hub_ids TEXT NOT NULL,
  template_id TEXT NOT NULL,
  disabled INTEGER NOT NULL
);
CREATE UNIQUE INDEX individual_enrollments_public_key_sha256
  ON individual_enrollments (public_key_sha256);
CREATE INDEX individual_enrollments_owner_id ON individual_enrollments (owner, id);

ALTER TABLE provisioning_records ADD COLUMN individual_enrollment_id TEXT NOT NULL DEFAULT '';
)sql";

// Enrollment templates and pre-configuration: a template is one owner's (listed by owner), its
// ACEs and resource updates JSON text (column_codec.hpp). Groups name the template they use, as
// individual enrollments already do ('' = none, also for groups written before). Records gain the
// pre-configuration step, a section like the others: JSON plus its status date for the merge.
//
// Each owner's number of individual enrollments, which the API's quota check reads before every
// create: counting the rows on (owner, id) took 50 ms at a million (bench/RESULTS.md), one row
// here takes what it takes at one. The triggers keep it in the statement's own transaction, so
// no writer (nor a hand-written DELETE) can leave it behind the table, and a rolled-back batch
// rolls its counts back with it. No trigger on UPDATE: individual_enrollment_table.cpp's update
// never sets owner (the row is found by id AND owner), so no update moves a row between owners.
// Owners whose count fell to 0 keep their row: one small row each, and no churn on re-create.
// The backfill counts what a schema-4 database already holds.
constexpr std::string_view kMigration5TemplatesAndCounts = R"sql(
CREATE TABLE enrollment_templates (
  id TEXT PRIMARY KEY NOT NULL,
  owner TEXT NOT NULL,
  name TEXT NOT NULL,
  access_control_list TEXT NOT NULL,
  identity_certificate_validity_seconds INTEGER NOT NULL,
  token_lifetime_seconds INTEGER NOT NULL,
  pre_configuration TEXT NOT NULL
);
CREATE INDEX enrollment_templates_owner ON enrollment_templates (owner);

ALTER TABLE enrollment_groups ADD COLUMN template_id TEXT NOT NULL DEFAULT '';

ALTER TABLE provisioning_records ADD COLUMN pre_configuration TEXT;
ALTER TABLE provisioning_records ADD COLUMN pre_configuration_date INTEGER;

CREATE TABLE individual_enrollment_counts (
  owner TEXT PRIMARY KEY NOT NULL,
  count INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO individual_enrollment_counts (owner, count)
  SELECT owner, count(*) FROM individual_enrollments GROUP BY owner;
CREATE TRIGGER individual_enrollments_count_insert AFTER INSERT ON individual_enrollments
BEGIN
  INSERT INTO individual_enrollment_counts (owner, count) VALUES (NEW.owner, 1)
    ON CONFLICT (owner) DO UPDATE SET count = count + 1;
END;
CREATE TRIGGER individual_enrollments_count_delete AFTER DELETE ON individual_enrollments
BEGIN
  UPDATE individual_enrollment_counts SET count = count - 1 WHERE owner = OLD.owner;
END;
)sql";

// TPM individual enrollments: the endorsement key as enrolled ('' = a certificate device, as every
// enrollment written before). public_key_sha256 holds the EK's SPKI hash, so the unique key index
// also keeps one EK to one enrollment across owners.
constexpr std::string_view kMigration6TpmEnrollments = R"sql(
ALTER TABLE individual_enrollments ADD COLUMN tpm_endorsement_key TEXT NOT NULL DEFAULT '';
)sql";

// TPM enrollment groups: a group attests by x509 (every group written before) or by tpm, a TPM
// vendor's CA that EK certificates chain to. The vendor chain, its lead name and expired flag go
// in the columns an x509 group uses (store/group_attestation.hpp), so a row is one kind only,
// the lead-name filter and quota count both kinds, and the trust rows keep two owners off one
// CA whichever kind claims it.
constexpr std::string_view kMigration7TpmGroups = R"sql(
ALTER TABLE enrollment_groups ADD COLUMN attestation_mechanism TEXT NOT NULL DEFAULT 'x509';
)sql";

// An owner's records newest first (the console's pages, the API's `newestFirst`): the SELECT
// walks this index from the owner's newest entry and stops at the limit, instead of sorting every
// record of the owner (100k of them for a page of 10). Ties by id, as the query orders them, so
// the index alone gives the order.
constexpr std::string_view kMigration8RecordsNewestFirst = R"sql(
CREATE INDEX provisioning_records_owner_creation_date
  ON provisioning_records (owner, creation_date DESC, id);
)sql";

constexpr std::array kMigrations = {
    Migration{1, "initial", kMigration1Initial},
    Migration{2, "tenancy", kMigration2Tenancy},
    Migration{3, "group revisions", kMigration3GroupRevisions},
    Migration{4, "individual enrollments", kMigration4IndividualEnrollments},
    Migration{5, "templates, pre-configuration and enrollment counts",
              kMigration5TemplatesAndCounts},
    Migration{6, "TPM individual enrollments", kMigration6TpmEnrollments},
    Migration{7, "TPM enrollment groups", kMigration7TpmGroups},
    Migration{8, "records newest first", kMigration8RecordsNewestFirst},
};

constexpr std::string_view kSelectUserVersion = "PRAGMA user_version";

Result<int> schema_version(Connection& connection) {
  auto stmt = connection.prepare(kSelectUserVersion);
  if (!stmt) return tl::unexpected(stmt.error());
  auto row = stmt->step();
  if (!row) return tl::unexpected(row.error());
  return static_cast<int>(stmt->integer(0));
}

}  // namespace

std::span<const Migration> migrations() { return kMigrations; }

int latest_schema_version() { return kMigrations.back().version; }

Result<void> migrate(Connection& connection) {
  // IMMEDIATE: two processes opening a fresh file at once serialise here, and the second one
  // sees the first one's version instead of re-running its migrations.
  auto tx = Transaction::begin(connection);
  if (!tx) return tl::unexpected(tx.error());
  auto current = schema_version(connection);
  if (!current) return tl::unexpected(current.error());
  if (*current > latest_schema_version()) {
    return fail(ErrorCode::Internal,
                "database schema version " + std::to_string(*current) +
                    " is newer than this dps supports (" + std::to_string(latest_schema_version()) +
                    "); upgrade dps",
                "database error");
  }
  if (*current == latest_schema_version()) return {};  // nothing to do; tx rolls back (no-op)
  for (const Migration& m : kMigrations) {
    if (m.version <= *current) continue;
    auto applied = connection.exec(std::string(m.sql));
    if (!applied) {
      Error e = applied.error();
      e.internal = "migration " + std::to_string(m.version) + " (" + std::string(m.name) +
                   "): " + e.internal;
      return tl::unexpected(std::move(e));
    }
  }
  // user_version lives in the database header, so setting it is part of this transaction.
  auto stamped =
      connection.exec("PRAGMA user_version = " + std::to_string(latest_schema_version()));
  if (!stamped) return stamped;
  return tx->commit();
}

}  // namespace dps::store::sqlite
