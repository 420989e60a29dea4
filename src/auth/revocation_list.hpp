// RevocationList: the revoked token ids of a store (table revoked_tokens, shared by every replica
// of one database) held in memory for JwtVerifier. A background thread reloads the whole list
// every `interval`, so a revocation written by another process (`dps revoke-token`, another
// replica) applies here within one interval; add() applies one at once in this process.
// The loader is a function, not a store::Store, so auth stays independent of the store.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "auth/revoked_token_ids.hpp"
#include "common/result.hpp"

namespace dps::auth {

class RevocationList final : public RevokedTokenIds {
 public:
  /// Every jti revoked and not yet expired (store::Store::revoked_tokens at the current time).
  using Loader = std::function<Result<std::vector<std::string>>()>;

  struct Status {
    uint64_t reloads = 0;  // loads tried, the first included
    uint64_t failures = 0;
    size_t size = 0;
    std::string last_error;  // of the last load; empty after a success
  };

  /// Loads once, here (so a revoked token is refused from the first request on), then starts
  /// the reloading thread. A failed reload keeps the last list (a database blip must not
  /// un-revoke anything) and is logged.
  /// @return the first load's error; BadRequest for a non-positive interval.
  [[nodiscard]] static Result<std::shared_ptr<RevocationList>> start(
      Loader load, std::chrono::milliseconds interval);

  ~RevocationList() override;
  RevocationList(const RevocationList&) = delete;
  RevocationList& operator=(const RevocationList&) = delete;

  // auth::RevokedTokenIds
  bool revoked(std::string_view jti) const override;

  /// Revoked in this process at once (the caller has written it to the store: the next reload
  /// keeps it).
  void add(const std::string& jti);
  /// Wakes the thread for a reload now (it still happens on that thread).
  void reload_soon();
  Status status() const;
  /// Blocks until `reloads` loads have finished or `timeout` passes; true if they have.
  bool wait_for_reloads(uint64_t reloads, std::chrono::milliseconds timeout) const;

 private:
  using Ids = std::set<std::string, std::less<>>;

  RevocationList(Loader load, std::chrono::milliseconds interval);
  void run();
  Result<void> reload();

  const Loader load_;
  const std::chrono::milliseconds interval_;

  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  // Swapped whole on reload: revoked() holds the mutex for one set lookup, never during a load.
  std::shared_ptr<const Ids> ids_;  // guarded by mutex_, as is everything below
  Ids added_;                       // by add(): merged into every reloaded set
  Status status_;
  bool stopping_ = false;
  bool reload_pending_ = false;

  std::thread worker_;  // last: started once everything above is initialised
};

}  // namespace dps::auth
