#include "store/postgres/migrations.hpp"

#include <array>
#include <string>

namespace dps::store::postgres {

namespace {

// The same tables and columns as the SQLite adapter (sqlite/migrations.cpp), in PostgreSQL types:
// - ids are `COLLATE "C"`, so the primary-key order, and with it every `ORDER BY id`, is byte
//   order as in SQLite, whatever the database's locale;
// - nested lists and sections are `text` holding column_codec's JSON byte for byte. Not jsonb:
//   jsonb rewrites the text and refuses "\u0000", which the codec emits for a NUL in, say, a
//   certificate CN; one such record must never fail a whole group-commit batch.
// - section status dates sit in bigint columns, so the date-guarded merge runs in SQL.
// configuration_version is a single counter row bumped by every group/hub write transaction.
constexpr std::string_view kMigration1Initial = R"sql(
CREATE TABLE enrollment_groups (
  id text COLLATE "C" PRIMARY KEY,
  owner text NOT NULL,
  name text NOT NULL,
  certificate_chain text NOT NULL,
  lead_certificate_name text NOT NULL,
  expired_certificate_enabled boolean NOT NULL,
  hub_ids text NOT NULL,
  pre_shared_key bytea NOT NULL,
  disabled boolean NOT NULL,
  revoked_certificates text NOT NULL,
  crl text NOT NULL
);
CREATE INDEX enrollment_groups_owner ON enrollment_groups (owner);
CREATE INDEX enrollment_groups_lead_certificate_name ON enrollment_groups (lead_certificate_name);

CREATE TABLE hubs (
  id text COLLATE "C" PRIMARY KEY,
  hub_id text NOT NULL,
  owner text NOT NULL,
  name text NOT NULL,
  gateways text NOT NULL,
  certificate_authority text NOT NULL,
  authorization_config text NOT NULL
);
CREATE INDEX hubs_owner ON hubs (owner);
CREATE INDEX hubs_hub_id ON hubs (hub_id);

CREATE TABLE provisioning_records (
  id text COLLATE "C" PRIMARY KEY,
  owner text NOT NULL,
  device_id text NOT NULL,
  enrollment_group_id text NOT NULL,
  creation_date bigint NOT NULL,
  local_endpoints text NOT NULL,
  attestation text,
  attestation_date bigint,
  plgd_time text,
  plgd_time_date bigint,
  ownership text,
  ownership_date bigint,
  cloud text,
  cloud_date bigint,
  credential text,
  credential_date bigint,
  acl text,
  acl_date bigint
);
CREATE INDEX provisioning_records_owner ON provisioning_records (owner);
CREATE INDEX provisioning_records_device_id ON provisioning_records (device_id);
CREATE INDEX provisioning_records_enrollment_group_id
  ON provisioning_records (enrollment_group_id);

CREATE TABLE configuration_version (
  singleton integer PRIMARY KEY CHECK (singleton = 1),
  version bigint NOT NULL
);
INSERT INTO configuration_version (singleton, version) VALUES (1, 0);
)sql";

// Tenancy in the schema (issue 12), as sqlite/migrations.cpp's migration 2: records keyed by
// (owner, id), one record per device id, hub ids unique per owner, the groups' trust paths.
constexpr std::string_view kMigration2Tenancy = R"sql(
ALTER TABLE provisioning_records DROP CONSTRAINT provisioning_records_pkey;
ALTER TABLE provisioning_records ADD PRIMARY KEY (owner, id);
DROP INDEX provisioning_records_owner;
DROP INDEX provisioning_records_device_id;
CREATE INDEX provisioning_records_id ON provisioning_records (id);
CREATE UNIQUE INDEX provisioning_records_device_id_unique ON provisioning_records (device_id)
  WHERE device_id <> '';

CREATE UNIQUE INDEX hubs_owner_hub_id ON hubs (owner, hub_id);

ALTER TABLE enrollment_groups ADD COLUMN trust_path text NOT NULL DEFAULT '[]';
CREATE TABLE enrollment_group_trust (
  group_id text COLLATE "C" NOT NULL,
  fingerprint text NOT NULL,
  depth integer NOT NULL,
  PRIMARY KEY (group_id, depth)
);
CREATE INDEX enrollment_group_trust_fingerprint ON enrollment_group_trust (fingerprint);

CREATE TABLE verification_codes (
  owner text NOT NULL,
  code text NOT NULL,
  expires_at bigint NOT NULL,
  PRIMARY KEY (owner, code)
);
CREATE TABLE revoked_tokens (
  jti text PRIMARY KEY NOT NULL,
  expires_at bigint NOT NULL
);
)sql";

// Each group's revision, as sqlite/migrations.cpp's migration 3.
constexpr std::string_view kMigration3GroupRevisions = R"sql(
ALTER TABLE enrollment_groups ADD COLUMN revision bigint NOT NULL DEFAULT 0;
CREATE INDEX enrollment_groups_revision_id ON enrollment_groups (revision, id);
)sql";

// Individual enrollments, as sqlite/migrations.cpp's migration 4.
constexpr std::string_view kMigration4IndividualEnrollments = R"sql(
CREATE TABLE individual_enrollments (
  id text COLLATE "C" PRIMARY KEY,
  owner text NOT NULL,
  name text NOT NULL,
  certificate_pem text NOT NULL,
  public_key_sha256 text NOT NULL,
  hub_ids text NOT NULL,
  template_id text NOT NULL,
  disabled boolean NOT NULL
);
CREATE UNIQUE INDEX individual_enrollments_public_key_sha256
  ON individual_enrollments (public_key_sha256);
CREATE INDEX individual_enrollments_owner_id ON individual_enrollments (owner, id);

ALTER TABLE provisioning_records
  ADD COLUMN individual_enrollment_id text NOT NULL DEFAULT '';
)sql";

// Enrollment templates, pre-configuration and the per-owner enrollment counts, as
// sqlite/migrations.cpp's migration 5 (why the counts, and why no UPDATE trigger: there). Here
// the triggers run once per statement over its transition table: a bulk load's INSERT of 1,000
// rows (individual_enrollment_table.cpp) updates each owner's row once, not 1,000 times. Owners
// are upserted in owner order, so two transactions counting the same owners take the rows' locks
// in one order and cannot deadlock on them. `SET search_path FROM CURRENT` pins the functions to
// the schema they were created in: a DELETE from a session with another search_path (psql, a
// script naming the table by schema) still counts in this schema's table, not in none.
constexpr std::string_view kMigration5TemplatesAndCounts = R"sql(
CREATE TABLE enrollment_templates (
  id text COLLATE "C" PRIMARY KEY,
  owner text NOT NULL,
  name text NOT NULL,
  access_control_list text NOT NULL,
  identity_certificate_validity_seconds bigint NOT NULL,
  token_lifetime_seconds bigint NOT NULL,
  pre_configuration text NOT NULL
);
CREATE INDEX enrollment_templates_owner ON enrollment_templates (owner);

ALTER TABLE enrollment_groups ADD COLUMN template_id text NOT NULL DEFAULT '';

ALTER TABLE provisioning_records ADD COLUMN pre_configuration text;
ALTER TABLE provisioning_records ADD COLUMN pre_configuration_date bigint;

CREATE TABLE individual_enrollment_counts (
  owner text PRIMARY KEY,
  count bigint NOT NULL
);
INSERT INTO individual_enrollment_counts (owner, count)
  SELECT owner, count(*) FROM individual_enrollments GROUP BY owner;

CREATE OR REPLACE FUNCTION individual_enrollments_count_added() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  INSERT INTO individual_enrollment_counts AS c (owner, count)
    SELECT owner, count(*) FROM added GROUP BY owner ORDER BY owner
  ON CONFLICT (owner) DO UPDATE SET count = c.count + excluded.count;
  RETURN NULL;
END
$$;
CREATE OR REPLACE FUNCTION individual_enrollments_count_removed() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
  r record;
BEGIN
  -- A loop rather than UPDATE ... FROM, whose join order would set the lock order.
  FOR r IN SELECT owner, count(*) AS n FROM removed GROUP BY owner ORDER BY owner LOOP
    UPDATE individual_enrollment_counts SET count = count - r.n WHERE owner = r.owner;
  END LOOP;
  RETURN NULL;
END
$$;
CREATE TRIGGER individual_enrollments_count_insert AFTER INSERT ON individual_enrollments
  REFERENCING NEW TABLE AS added
  FOR EACH STATEMENT EXECUTE FUNCTION individual_enrollments_count_added();
CREATE TRIGGER individual_enrollments_count_delete AFTER DELETE ON individual_enrollments
  REFERENCING OLD TABLE AS removed
  FOR EACH STATEMENT EXECUTE FUNCTION individual_enrollments_count_removed();
)sql";

// TPM individual enrollments: the endorsement key as enrolled ('' = a certificate device, as every
// enrollment written before). public_key_sha256 holds the EK's SPKI hash, so the unique key index
// also keeps one EK to one enrollment across owners.
constexpr std::string_view kMigration6TpmEnrollments = R"sql(
ALTER TABLE individual_enrollments ADD COLUMN tpm_endorsement_key text NOT NULL DEFAULT '';
)sql";

// TPM enrollment groups: a group attests by x509 (every group written before) or by tpm, a TPM
// vendor's CA that EK certificates chain to. The vendor chain, its lead name and expired flag go
// in the columns an x509 group uses (store/group_attestation.hpp), so a row is one kind only,
// the lead-name filter and quota count both kinds, and the trust rows keep two owners off one
// CA whichever kind claims it.
constexpr std::string_view kMigration7TpmGroups = R"sql(
ALTER TABLE enrollment_groups ADD COLUMN attestation_mechanism text NOT NULL DEFAULT 'x509';
)sql";

// An owner's records newest first, as sqlite/migrations.cpp's migration 8. id is COLLATE "C" in
// the index as in the table, so `ORDER BY creation_date DESC, id` is the index order. A plain
// CREATE INDEX (CONCURRENTLY cannot run in the migration's transaction): record writes wait
// while it is built, seconds at a million records, once.
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

// Migrations run without the session's statement_timeout (for this transaction only): a long
// data migration that timed out would roll back and be retried by every replica forever, and a
// replica queued on the lock behind it must wait for it rather than fail.
constexpr std::string_view kNoStatementTimeout =
    "SELECT set_config('statement_timeout', '0', true)";
constexpr std::string_view kLock = "SELECT pg_advisory_xact_lock($1)";
// Under the lock, so two first-time callers cannot race on creating it.
constexpr std::string_view kCreateSchemaMigrations = R"sql(
CREATE TABLE IF NOT EXISTS schema_migrations (
  version integer PRIMARY KEY,
  name text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)
)sql";
constexpr std::string_view kSelectVersion =
    "SELECT coalesce(max(version), 0)::bigint FROM schema_migrations";
constexpr std::string_view kInsertVersion =
    "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)";

}  // namespace

std::span<const Migration> migrations() { return kMigrations; }

int latest_schema_version() { return kMigrations.back().version; }

Result<void> migrate(Connection& connection) {
  auto tx = Transaction::begin(connection);
  if (!tx) return tl::unexpected(tx.error());
  auto untimed = connection.exec(kNoStatementTimeout);
  if (!untimed) return tl::unexpected(untimed.error());
  auto locked = connection.exec(kLock, Params().int8(kMigrationLockKey));
  if (!locked) return tl::unexpected(locked.error());
  auto created = connection.exec_script(std::string(kCreateSchemaMigrations));
  if (!created) return created;
  auto version = connection.exec(kSelectVersion);
  if (!version) return tl::unexpected(version.error());
  const int64_t current = version->int8(0, 0);
  if (current > latest_schema_version()) {
    return fail(ErrorCode::Internal,
                "database schema version " + std::to_string(current) +
                    " is newer than this dps supports (" + std::to_string(latest_schema_version()) +
                    "); upgrade dps",
                "database error");
  }
  for (const Migration& m : kMigrations) {
    if (m.version <= current) continue;
    auto applied = connection.exec_script(std::string(m.sql));
    if (applied) {
      applied = connection.exec(kInsertVersion, Params().int8(m.version).text(m.name))
                    .map([](const QueryResult&) {});
    }
    if (!applied) {
      Error e = applied.error();
      e.internal = "migration " + std::to_string(m.version) + " (" + std::string(m.name) +
                   "): " + e.internal;
      return tl::unexpected(std::move(e));
    }
  }
  // Also when nothing was applied: ends the transaction and releases the lock.
  return tx->commit();
}

}  // namespace dps::store::postgres
