// PostgresListener (declared in postgres_store.hpp): LISTEN on a connection of its own.
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <string>
#include <thread>

#include "store/postgres/connection.hpp"
#include "store/postgres/postgres_store.hpp"

namespace dps::store {

Result<std::unique_ptr<PostgresListener>> PostgresListener::open(const PostgresOptions& options) {
  std::unique_ptr<PostgresListener> listener(new PostgresListener(options));
  auto connected = listener->connect();
  if (!connected) return tl::unexpected(connected.error());
  return listener;
}

PostgresListener::PostgresListener(PostgresOptions options) : options_(std::move(options)) {}

PostgresListener::~PostgresListener() = default;

Result<void> PostgresListener::connect() {
  auto connection = postgres::Connection::open(options_);
  if (!connection) return tl::unexpected(connection.error());
  // The channel is a constant identifier, not a value: LISTEN takes no parameters.
  auto listening = (*connection)->exec_script("LISTEN " + std::string(kConfigurationChannel));
  if (!listening) return listening;
  connection_ = std::move(*connection);
  return {};
}

PostgresListener::Event PostgresListener::lose() {
  connection_.reset();
  // Try at once: after a quick restart the caller's reload then runs with LISTEN already active,
  // so nothing committed after it can be missed.
  (void)connect();
  return Event::Lost;
}

PostgresListener::Event PostgresListener::wait(std::chrono::milliseconds timeout) {
  if (connection_ == nullptr) {
    if (connect()) return Event::Lost;  // listening again; what happened meanwhile is unknown
    // Still down. Waiting out the timeout keeps a caller that loops on wait() from spinning.
    std::this_thread::sleep_for(timeout);
    return Event::Lost;
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  PGconn* c = connection_->handle();
  for (;;) {
    if (PQconsumeInput(c) != 1 || PQstatus(c) != CONNECTION_OK) return lose();
    bool notified = false;
    while (PGnotify* n = PQnotifies(c)) {
      const std::string_view payload = n->extra != nullptr ? n->extra : "";
      int64_t version = 0;
      if (std::from_chars(payload.data(), payload.data() + payload.size(), version).ec ==
          std::errc{}) {
        notified_version_ = std::max(notified_version_, version);
      }
      PQfreemem(n);
      notified = true;
    }
    if (notified) return Event::Notified;

    const auto remaining =
        std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (remaining.count() <= 0) return Event::Timeout;
    pollfd fd{PQsocket(c), POLLIN, 0};
    constexpr int64_t kMaxPollMs = 1 << 30;  // poll takes an int; a longer wait just loops
    const int ready =
        ::poll(&fd, 1, static_cast<int>(std::min<int64_t>(remaining.count(), kMaxPollMs)));
    if (ready < 0 && errno != EINTR) return lose();
    // Readable (data, EOF or error) or interrupted: the next PQconsumeInput tells which.
  }
}

}  // namespace dps::store
