#!/usr/bin/env bash
# scripts/tsan.sh: ThreadSanitizer over the concurrency-heavy tests, on demand (a TSan build of
# the tree plus these runs take ~25 min on 2 cores, so CI runs ASan+UBSan and not this):
#   - group commit: RecordWriterTest (store_test), PostgreSQL pool, listener and outage tests;
#   - cache invalidation: CatalogRefresherTest (provisioning_test);
#   - sessions: the whole integration_test, whose dps (TSan-built too) serves many devices at
#     once over its I/O threads, the API thread and the record writer.
# The hostile-network and scale-out suites measure memory and timing, which TSan distorts.
# Usage: scripts/tsan.sh [BUILD_DIR]   (default build-tsan)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-tsan}

./scripts/install-deps.sh
./scripts/configure.sh "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDPS_TSAN=ON
cmake --build "$build" -j"$(nproc)" --target dps store_test provisioning_test integration_test

# halt_on_error: the first race fails the run with its report; second_deadlock_stack for locks.
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 ${TSAN_OPTIONS:-}"
run() {
  echo "tsan: $*"
  "$@"
}
run "$build/tests/unit/store/store_test" --gtest_brief=1 \
  --gtest_filter='RecordWriterTest.*:Postgres*:*/StoreContract.*'
run "$build/tests/unit/provisioning/provisioning_test" --gtest_brief=1 \
  --gtest_filter='CatalogRefresherTest.*'
run "$build/tests/integration/integration_test" --gtest_brief=1
echo "tsan: no data race reported"
