// A small, lazily filled pool of PostgreSQL connections for PostgresStore.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include "common/result.hpp"
#include "store/postgres/connection.hpp"
#include "store/postgres/postgres_options.hpp"

namespace dps::store::postgres {

/// At most `max_connections` connections, opened on demand and kept while they stay healthy.
/// Every acquire() checks the connection it hands out (Connection::healthy) and replaces a dead
/// one, so after a database restart the first call reconnects instead of failing once per stale
/// connection. While the database is down, acquire() fails Unavailable at once (connection
/// refused) or after connect_timeout: a caller never waits longer than that plus the wait for a
/// free slot.
///
/// Thread-safety: acquire() may be called from any thread; a lease is used by one thread.
class ConnectionPool {
 public:
  explicit ConnectionPool(PostgresOptions options);
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  /// Exclusive use of one connection; returns it to the pool on destruction (or drops it when it
  /// is broken or was left mid-transaction).
  class Lease {
   public:
    Lease(ConnectionPool& pool, std::unique_ptr<Connection> connection)
        : pool_(&pool), connection_(std::move(connection)) {}
    Lease(Lease&& other) noexcept = default;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Lease& operator=(Lease&&) = delete;
    ~Lease();

    Connection& operator*() const { return *connection_; }
    Connection* operator->() const { return connection_.get(); }

   private:
    ConnectionPool* pool_;
    std::unique_ptr<Connection> connection_;  // null once moved from
  };

  /// Waits (bounded by statement_timeout + connect_timeout) for a free slot, then hands out a
  /// healthy connection, opening one if needed. Unavailable when no slot frees up in time or the
  /// database cannot be reached.
  [[nodiscard]] Result<Lease> acquire();

  /// Puts an already open connection into the pool as an idle one (e.g. the one that ran the
  /// migrations). Dropped if the pool is full.
  void adopt(std::unique_ptr<Connection> connection);

 private:
  void release(std::unique_ptr<Connection> connection);

  const PostgresOptions options_;
  const size_t capacity_;

  std::mutex mutex_;
  std::condition_variable slot_freed_;
  std::vector<std::unique_ptr<Connection>> idle_;  // guarded by mutex_
  size_t leased_ = 0;                              // guarded by mutex_; <= capacity_
};

}  // namespace dps::store::postgres
