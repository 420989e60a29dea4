#include "provisioning/catalog_refresher.hpp"

#include <spdlog/spdlog.h>

#include <string>
#include <vector>

#include "metrics/metrics.hpp"
#include "store/store.hpp"

namespace dps::provisioning {

Result<std::unique_ptr<CatalogRefresher>> CatalogRefresher::start(
    store::Store& store, CatalogRefresherOptions options, std::unique_ptr<ChangeSignal> signal) {
  std::unique_ptr<CatalogRefresher> refresher(
      new CatalogRefresher(store, options, std::move(signal)));
  if (auto loaded = refresher->refresh(true); !loaded) return tl::unexpected(loaded.error());
  refresher->thread_ = std::thread([r = refresher.get()] { r->run(); });
  return refresher;
}

CatalogRefresher::CatalogRefresher(store::Store& store, CatalogRefresherOptions options,
                                   std::unique_ptr<ChangeSignal> signal)
    : store_(store),
      options_(options),
      signal_(std::move(signal)),
      catalogs_(std::make_unique<CatalogHolder>(Catalog::build({}, {}))) {}

CatalogRefresher::~CatalogRefresher() {
  {
    std::lock_guard lock(state_mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

int64_t CatalogRefresher::loaded_version() const {
  std::lock_guard lock(state_mutex_);
  return loaded_version_.value_or(-1);
}

void CatalogRefresher::refresh_now() {
  if (auto done = refresh(false); !done) {
    spdlog::error("configuration changed but reloading it failed: {}", done.error().internal);
  }
}

Result<void> CatalogRefresher::refresh(bool force) {
  std::lock_guard rebuild(refresh_mutex_);
  // The version is read before the data: a change committed in between makes the snapshot newer
  // than the version says, and the next check rebuilds once more. Never the other way round.
  auto version = store_.configuration_version();
  if (!version) return tl::unexpected(version.error());
  {
    std::lock_guard lock(state_mutex_);
    if (!force && loaded_version_ == *version) return {};
  }
  std::vector<std::string> skipped;
  // Only this function swaps snapshots (under refresh_mutex_), so `previous` is the one the new
  // snapshot replaces: its unchanged groups are taken over already parsed.
  const std::shared_ptr<const Catalog> previous = catalogs_->get();
  auto catalog = load_catalog(store_, &skipped, previous.get());
  if (!catalog) return tl::unexpected(catalog.error());
  for (const auto& why : skipped) spdlog::warn("{}: not loaded", why);
  const size_t groups = (*catalog)->group_count();
  const size_t parsed = (*catalog)->parsed_count();
  const std::shared_ptr<const Catalog> loaded = *catalog;
  catalogs_->set(std::move(*catalog));
  if (options_.on_loaded) options_.on_loaded(*loaded);
  if (options_.metrics) options_.metrics->on_catalog_loaded(*version);
  std::lock_guard lock(state_mutex_);
  if (loaded_version_) {
    spdlog::info("configuration version {}: {} enrollment group(s) loaded, {} of them parsed",
                 *version, groups, parsed);
  }
  loaded_version_ = *version;
  return {};
}

void CatalogRefresher::run() {
  bool force = false;
  for (;;) {
    if (signal_) {
      if (signal_->wait(options_.poll_interval) == ChangeSignal::Outcome::kLost) force = true;
    } else {
      std::unique_lock lock(state_mutex_);
      wake_.wait_for(lock, options_.poll_interval, [this] { return stopping_; });
    }
    {
      std::lock_guard lock(state_mutex_);
      if (stopping_) return;
    }
    auto done = refresh(force);
    if (done) {
      force = false;
      if (store_down_logged_) spdlog::info("configuration store reachable again");
      store_down_logged_ = false;
      continue;
    }
    // The old snapshot keeps serving: devices of unchanged groups still provision (their record
    // commits then fail with 5.03 while the store is down, which the device retries).
    if (!store_down_logged_) {
      spdlog::warn("cannot check the configuration for changes: {}", done.error().internal);
    }
    store_down_logged_ = true;
    force = true;  // whatever was announced meanwhile is not known
  }
}

}  // namespace dps::provisioning
