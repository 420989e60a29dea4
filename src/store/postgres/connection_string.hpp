// Checks a libpq connection string before dps connects with it, so that a typo in the TLS
// settings stops dps at start with a precise message instead of a late or silent downgrade.
#pragma once

#include <string>

#include "common/result.hpp"

namespace dps::store::postgres {

/// What the connection string asks for, for the start-up log (never holds the password).
struct ConnectionSecurity {
  std::string sslmode;     // as written; empty = libpq's default ("prefer": TLS not required)
  bool verifies_server{};  // sslmode verify-ca or verify-full
};

/// Parses `uri` (URI or key=value form) and checks its TLS settings: `sslmode` must be one of
/// disable|allow|prefer|require|verify-ca|verify-full, and `sslrootcert`, when set, must name a
/// readable file. Error texts never quote the string (it may hold a password).
/// @return BadRequest naming the offending parameter.
[[nodiscard]] Result<ConnectionSecurity> check_connection_string(const std::string& uri);

}  // namespace dps::store::postgres
