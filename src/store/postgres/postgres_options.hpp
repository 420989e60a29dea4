// Settings of the PostgreSQL adapter (the store and the configuration listener share them).
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

namespace dps::store {

struct PostgresOptions {
  /// libpq connection string, URI (`postgresql://user:password@host:5432/dps?sslmode=require`) or
  /// key=value form. Never logged or put into an error message: it may hold a password.
  std::string uri;
  /// Most connections the store keeps open; each call holds one for its duration. One serves the
  /// group-commit writer, the others API listings and cache reloads. 0 is treated as 1.
  size_t max_connections = 4;
  /// Server-side limit on every statement (`statement_timeout`); a statement past it fails
  /// Unavailable, so a stuck lock turns into a retryable 5.03 instead of a hung device step.
  std::chrono::milliseconds statement_timeout{10'000};
  /// Limit on establishing a connection (libpq `connect_timeout`, whole seconds, at least 1 s
  /// because libpq treats 0 as "wait forever"). The URI may override it.
  std::chrono::seconds connect_timeout{5};
};

}  // namespace dps::store
