#include "store/postgres/connection_pool.hpp"

#include <algorithm>
#include <chrono>
#include <utility>

namespace dps::store::postgres {

ConnectionPool::ConnectionPool(PostgresOptions options)
    : options_(std::move(options)), capacity_(std::max<size_t>(1, options_.max_connections)) {}

ConnectionPool::Lease::~Lease() {
  if (connection_ != nullptr) pool_->release(std::move(connection_));
}

Result<ConnectionPool::Lease> ConnectionPool::acquire() {
  std::unique_ptr<Connection> connection;
  {
    std::unique_lock lock(mutex_);
    // Every holder finishes within statement_timeout (or a connect attempt within
    // connect_timeout), so waiting longer than both means something is stuck: fail retryably.
    const auto patience = options_.statement_timeout + options_.connect_timeout;
    if (!slot_freed_.wait_for(lock, patience, [&] { return leased_ < capacity_; })) {
      return fail(ErrorCode::Unavailable,
                  "all " + std::to_string(capacity_) + " database connections stayed busy",
                  "database temporarily unavailable");
    }
    ++leased_;
    if (!idle_.empty()) {
      connection = std::move(idle_.back());
      idle_.pop_back();
    }
  }
  // The slot is ours: check or connect without holding the lock.
  if (connection == nullptr || !connection->healthy()) {
    connection.reset();
    auto opened = Connection::open(options_);
    if (!opened) {
      std::lock_guard lock(mutex_);
      --leased_;
      slot_freed_.notify_one();
      return tl::unexpected(opened.error());
    }
    connection = std::move(*opened);
  }
  return Lease(*this, std::move(connection));
}

void ConnectionPool::adopt(std::unique_ptr<Connection> connection) {
  std::lock_guard lock(mutex_);
  if (leased_ + idle_.size() < capacity_) idle_.push_back(std::move(connection));
}

void ConnectionPool::release(std::unique_ptr<Connection> connection) {
  const bool keep = connection->reusable();
  if (!keep) connection.reset();  // closes outside the lock
  std::lock_guard lock(mutex_);
  --leased_;
  if (keep) idle_.push_back(std::move(connection));
  slot_freed_.notify_one();
}

}  // namespace dps::store::postgres
