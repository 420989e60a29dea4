// RevocationList with a loader standing in for the store's revoked_tokens(): what a reload sees
// is what the next request gets, a failed reload un-revokes nothing, and add() applies at once.
// No sleeps: every wait is on the list's reload count with a deadline.
#include "auth/revocation_list.hpp"

#include <gtest/gtest.h>

#include <mutex>

namespace dps::auth {
namespace {

using namespace std::chrono_literals;

constexpr auto kReloadWait = 10s;

// The rows of a revoked_tokens table, changed by the test while the list reloads.
class RevokedRows {
 public:
  RevocationList::Loader loader() {
    return [this]() -> Result<std::vector<std::string>> {
      std::lock_guard lock(mutex_);
      if (failing_) return fail(ErrorCode::Unavailable, "database unreachable");
      return rows_;
    };
  }
  void set(std::vector<std::string> rows) {
    std::lock_guard lock(mutex_);
    rows_ = std::move(rows);
  }
  void set_failing(bool failing) {
    std::lock_guard lock(mutex_);
    failing_ = failing;
  }

 private:
  std::mutex mutex_;
  std::vector<std::string> rows_;
  bool failing_ = false;
};

// Waits for the next complete reload after now.
void next_reload(const RevocationList& list) {
  const uint64_t seen = list.status().reloads;
  ASSERT_TRUE(
      list.wait_for_reloads(seen + 2, kReloadWait));  // +2: one may have begun before the change
}

TEST(RevocationList, FirstLoadHappensBeforeStartReturns) {
  RevokedRows table;
  table.set({"a", "b"});
  auto list = RevocationList::start(table.loader(), 1h);
  ASSERT_TRUE(list) << list.error().internal;
  EXPECT_TRUE((*list)->revoked("a"));
  EXPECT_TRUE((*list)->revoked("b"));
  EXPECT_FALSE((*list)->revoked("c"));
  EXPECT_EQ((*list)->status().reloads, 1u);
  EXPECT_EQ((*list)->status().size, 2u);
}

TEST(RevocationList, FailedFirstLoadFailsStart) {
  RevokedRows table;
  table.set_failing(true);
  auto list = RevocationList::start(table.loader(), 1h);
  ASSERT_FALSE(list);
  EXPECT_EQ(list.error().code, ErrorCode::Unavailable);
  EXPECT_NE(list.error().internal.find("revoked tokens: database unreachable"), std::string::npos);
  EXPECT_FALSE(RevocationList::start(table.loader(), 0ms));
}

TEST(RevocationList, ReloadPicksUpRowsWrittenElsewhere) {
  RevokedRows table;
  auto list = RevocationList::start(table.loader(), 50ms);
  ASSERT_TRUE(list);
  EXPECT_FALSE((*list)->revoked("written-by-another-process"));
  table.set({"written-by-another-process"});
  next_reload(**list);
  EXPECT_TRUE((*list)->revoked("written-by-another-process"));
  // Expired rows stop coming back from the store: they leave the list.
  table.set({});
  next_reload(**list);
  EXPECT_FALSE((*list)->revoked("written-by-another-process"));
}

TEST(RevocationList, FailedReloadKeepsTheLastList) {
  RevokedRows table;
  table.set({"a"});
  auto list = RevocationList::start(table.loader(), 50ms);
  ASSERT_TRUE(list);
  table.set_failing(true);
  next_reload(**list);
  EXPECT_TRUE((*list)->revoked("a"));
  EXPECT_GE((*list)->status().failures, 1u);
  EXPECT_EQ((*list)->status().last_error, "database unreachable");
  table.set_failing(false);
  next_reload(**list);
  EXPECT_TRUE((*list)->status().last_error.empty());
}

TEST(RevocationList, AddAppliesAtOnceAndSurvivesAReloadThatMissedIt) {
  RevokedRows table;
  auto list = RevocationList::start(table.loader(), 1h);
  ASSERT_TRUE(list);
  (*list)->add("revoked-here");
  EXPECT_TRUE((*list)->revoked("revoked-here"));
  // A load that read the table before the row was committed.
  (*list)->reload_soon();
  ASSERT_TRUE((*list)->wait_for_reloads(2, kReloadWait));
  EXPECT_TRUE((*list)->revoked("revoked-here"));
}

}  // namespace
}  // namespace dps::auth
