#include "auth/revocation_list.hpp"

#include <spdlog/spdlog.h>

namespace dps::auth {

Result<std::shared_ptr<RevocationList>> RevocationList::start(Loader load,
                                                              std::chrono::milliseconds interval) {
  if (!load || interval.count() <= 0) {
    return fail(ErrorCode::BadRequest, "revocation list needs a loader and a positive interval");
  }
  std::shared_ptr<RevocationList> list(new RevocationList(std::move(load), interval));
  if (auto loaded = list->reload(); !loaded) {
    return fail(loaded.error().code, "revoked tokens: " + loaded.error().internal);
  }
  list->worker_ = std::thread([raw = list.get()] { raw->run(); });
  return list;
}

RevocationList::RevocationList(Loader load, std::chrono::milliseconds interval)
    : load_(std::move(load)), interval_(interval), ids_(std::make_shared<const Ids>()) {}

RevocationList::~RevocationList() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  if (worker_.joinable()) worker_.join();
}

bool RevocationList::revoked(std::string_view jti) const {
  std::lock_guard lock(mutex_);
  return ids_->contains(jti);
}

void RevocationList::add(const std::string& jti) {
  std::lock_guard lock(mutex_);
  added_.insert(jti);
  auto ids = std::make_shared<Ids>(*ids_);
  ids->insert(jti);
  ids_ = std::move(ids);
  status_.size = ids_->size();
}

void RevocationList::reload_soon() {
  std::lock_guard lock(mutex_);
  reload_pending_ = true;
  changed_.notify_all();
}

RevocationList::Status RevocationList::status() const {
  std::lock_guard lock(mutex_);
  return status_;
}

bool RevocationList::wait_for_reloads(uint64_t reloads, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return status_.reloads >= reloads; });
}

Result<void> RevocationList::reload() {
  // The load runs unlocked: requests keep answering from the current set meanwhile.
  auto loaded = load_();
  std::lock_guard lock(mutex_);
  ++status_.reloads;
  if (!loaded) {
    ++status_.failures;
    status_.last_error = loaded.error().internal;
    changed_.notify_all();
    return tl::unexpected(loaded.error());
  }
  auto ids = std::make_shared<Ids>(std::make_move_iterator(loaded->begin()),
                                   std::make_move_iterator(loaded->end()));
  // add() may have revoked one while a load that started before its row was written ran: ids
  // added here are kept in every set (they are few: this process's own revocations). Ids the
  // store no longer returns have expired, and their tokens are refused for that anyway.
  ids->insert(added_.begin(), added_.end());
  if (ids_->size() != ids->size()) {
    spdlog::info("revoked management API tokens: {} (was {})", ids->size(), ids_->size());
  }
  ids_ = std::move(ids);
  status_.size = ids_->size();
  status_.last_error.clear();
  changed_.notify_all();
  return {};
}

void RevocationList::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    changed_.wait_for(lock, interval_, [this] { return stopping_ || reload_pending_; });
    if (stopping_) break;
    reload_pending_ = false;
    lock.unlock();
    if (auto loaded = reload(); !loaded) {
      spdlog::warn("revoked tokens: reload failed, keeping the last list: {}",
                   loaded.error().internal);
    }
    lock.lock();
  }
}

}  // namespace dps::auth
