#include "preload.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "pki/uuid.hpp"
#include "progress.hpp"
#include "store/postgres/postgres_store.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace dps::bench {
namespace {

// The file dps opens in its data directory when clients.storage.sqlite.path is unset
// (app/store_factory.cpp).
constexpr const char* kSqliteFileName = "dps.db";

Result<std::unique_ptr<store::Store>> open_preload_store(const BenchOptions& o) {
  if (!o.postgres_uri.empty()) {
    store::PostgresOptions postgres;
    postgres.uri = o.postgres_uri;
    postgres.max_connections = 1;
    auto opened = store::PostgresStore::open(postgres);
    if (!opened) return tl::unexpected(opened.error());
    return std::unique_ptr<store::Store>(std::move(*opened));
  }
  auto opened = store::SqliteStore::open(std::filesystem::path(o.data_dir) / kSqliteFileName);
  if (!opened) return tl::unexpected(opened.error());
  return std::unique_ptr<store::Store>(std::move(*opened));
}

// 64 lowercase hex digits: the shape of a device key's SPKI SHA-256. Random bytes rather than
// real keys: the store indexes the text and never sees the key, and a million P-256 key pairs
// would take minutes to generate for nothing.
std::string random_key_hash() {
  std::array<unsigned char, 32> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    throw std::runtime_error("RAND_bytes failed");
  }
  static constexpr char kHexDigits[] = "0123456789abcdef";
  std::string hex(bytes.size() * 2, '0');
  for (size_t i = 0; i < bytes.size(); ++i) {
    hex[2 * i] = kHexDigits[bytes[i] >> 4];
    hex[2 * i + 1] = kHexDigits[bytes[i] & 0x0f];
  }
  return hex;
}

std::vector<store::IndividualEnrollment> preload_batch(const BenchOptions& o, size_t count) {
  std::vector<store::IndividualEnrollment> batch;
  batch.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    std::string id = pki::random_uuid_v4().to_string();
    std::string name = "preload " + id.substr(0, 8);
    batch.push_back(store::IndividualEnrollment{std::move(id),
                                                o.preload_owner,
                                                std::move(name),
                                                "",
                                                random_key_hash(),
                                                {o.preload_hub_id},
                                                "",
                                                false,
                                                ""});
  }
  return batch;
}

}  // namespace

int run_preload(const BenchOptions& o) {
  auto store = open_preload_store(o);
  if (!store) {
    std::fprintf(stderr, "dps-bench: cannot open the store: %s\n", store.error().internal.c_str());
    return 1;
  }
  using PreloadClock = std::chrono::steady_clock;
  // Only the store calls are timed: generating ids and hashes is this tool's cost, not dps's.
  PreloadClock::duration writing{};
  size_t written = 0;
  Progress progress("preloading individual enrollments", o.preload);
  while (written < o.preload) {
    const auto batch = preload_batch(o, std::min(kPreloadBatch, o.preload - written));
    const auto start = PreloadClock::now();
    auto created = (*store)->create_individual_enrollments(batch);
    writing += PreloadClock::now() - start;
    if (!created) {
      progress.finish();
      std::fprintf(stderr, "dps-bench: batch after %zu enrollments failed: %s\n", written,
                   created.error().internal.c_str());
      return 1;
    }
    written += batch.size();
    progress.update(written);
  }
  progress.finish();
  const double seconds = std::chrono::duration<double>(writing).count();
  std::printf(
      "preloaded %zu individual enrollments (owner %s, batches of %zu) in %.2f s of store "
      "writes: %.0f/s\n",
      written, o.preload_owner.c_str(), kPreloadBatch, seconds,
      seconds > 0 ? static_cast<double>(written) / seconds : 0.0);
  return 0;
}

}  // namespace dps::bench
