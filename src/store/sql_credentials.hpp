// The credential tables' statements, which both adapters run as they are (the `$n` parameters and
// upsert syntax read alike in SQLite 3.35+ and PostgreSQL, as record_merge_sql.hpp's).
#pragma once

#include <string_view>

namespace dps::store {

// $1 owner, $2 code, $3 expires_at, $4 now, $5 most codes the owner may hold unexpired: inserts
// nothing (0 rows) when it holds that many already. Two replicas racing may each pass the count;
// the cap bounds what one tenant can store, it is not an exact quota.
inline constexpr std::string_view kInsertVerificationCodeSql = R"sql(
INSERT INTO verification_codes (owner, code, expires_at)
SELECT $1, $2, $3
WHERE (SELECT count(*) FROM verification_codes WHERE owner = $1 AND expires_at > $4) < $5
)sql";
// $1 owner, $2 code, $3 now: deletes the code, answering whether it was still valid.
inline constexpr std::string_view kTakeVerificationCodeSql = R"sql(
DELETE FROM verification_codes WHERE owner = $1 AND code = $2 RETURNING expires_at > $3
)sql";
// $1 now.
inline constexpr std::string_view kPurgeVerificationCodesSql =
    "DELETE FROM verification_codes WHERE expires_at <= $1";

// $1 jti, $2 expires_at.
inline constexpr std::string_view kRevokeTokenSql = R"sql(
INSERT INTO revoked_tokens (jti, expires_at) VALUES ($1, $2)
ON CONFLICT (jti) DO UPDATE SET expires_at = CASE
  WHEN excluded.expires_at > revoked_tokens.expires_at THEN excluded.expires_at
  ELSE revoked_tokens.expires_at END
)sql";
// $1 now.
inline constexpr std::string_view kSelectRevokedTokensSql =
    "SELECT jti FROM revoked_tokens WHERE expires_at > $1 ORDER BY jti";

}  // namespace dps::store
