// MessageDeduplicator (RFC 7252 §4.5): a retransmitted message gets the first reply again, for
// EXCHANGE_LIFETIME, in bounded memory. Time is passed in, so nothing here sleeps.
#include "coap/message_dedup.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <vector>

namespace dps::coap {
namespace {

using std::chrono::seconds;
using Status = MessageDeduplicator::Status;

const MessageDeduplicator::Clock::time_point kDedupT0{seconds(1'000'000)};

std::vector<uint8_t> dedup_reply(uint16_t message_id) {
  return {0x60, 0x45, static_cast<uint8_t>(message_id >> 8), static_cast<uint8_t>(message_id)};
}

TEST(MessageDedup, ReportsUnseenThenProcessingThenTheReply) {
  MessageDeduplicator dedup(16);
  EXPECT_EQ(dedup.lookup(0x1234, kDedupT0).status, Status::Unseen);
  EXPECT_EQ(dedup.lookup(0x1234, kDedupT0).reply, nullptr);

  dedup.begin(0x1234, kDedupT0);
  EXPECT_EQ(dedup.lookup(0x1234, kDedupT0 + seconds(1)).status, Status::Processing);
  EXPECT_EQ(dedup.lookup(0x1235, kDedupT0 + seconds(1)).status, Status::Unseen);

  dedup.remember(0x1234, dedup_reply(0x1234), kDedupT0 + seconds(2));
  const auto again = dedup.lookup(0x1234, kDedupT0 + seconds(3));
  EXPECT_EQ(again.status, Status::Answered);
  ASSERT_NE(again.reply, nullptr);
  EXPECT_EQ(*again.reply, dedup_reply(0x1234));

  dedup.begin(0x1234, kDedupT0 + seconds(4));  // a second begin() changes nothing
  EXPECT_EQ(dedup.lookup(0x1234, kDedupT0 + seconds(4)).status, Status::Answered);
}

TEST(MessageDedup, ForgetsAMessageIdAfterTheExchangeLifetime) {
  MessageDeduplicator dedup(16);
  dedup.begin(7, kDedupT0);
  dedup.remember(7, dedup_reply(7), kDedupT0 + seconds(100));
  // The lifetime counts from the first arrival, not from the reply (RFC 7252 §4.8.2: 247 s).
  EXPECT_EQ(dedup.lookup(7, kDedupT0 + seconds(246)).status, Status::Answered);
  EXPECT_EQ(dedup.lookup(7, kDedupT0 + seconds(247)).status, Status::Unseen);

  // After that the Message ID is new: a reused ID runs again and never gets the old reply.
  dedup.begin(7, kDedupT0 + seconds(300));
  EXPECT_EQ(dedup.lookup(7, kDedupT0 + seconds(301)).status, Status::Processing);
  dedup.remember(7, {0x70, 0x00, 0x00, 0x07}, kDedupT0 + seconds(302));
  EXPECT_EQ(*dedup.lookup(7, kDedupT0 + seconds(303)).reply,
            (std::vector<uint8_t>{0x70, 0x00, 0x00, 0x07}));
}

TEST(MessageDedup, RememberWithoutBeginStartsTheLifetimeThen) {
  MessageDeduplicator dedup(4, seconds(145));  // NON_LIFETIME
  dedup.remember(9, {}, kDedupT0);
  const auto answered = dedup.lookup(9, kDedupT0 + seconds(144));
  EXPECT_EQ(answered.status, Status::Answered);
  ASSERT_NE(answered.reply, nullptr);
  EXPECT_TRUE(answered.reply->empty());  // answered with nothing: a NON that needed no reply
  EXPECT_EQ(dedup.lookup(9, kDedupT0 + seconds(145)).status, Status::Unseen);
}

TEST(MessageDedup, HoldsAtMostItsCapacityAndForgetsTheOldestFirst) {
  MessageDeduplicator dedup(16);
  for (uint16_t id = 1; id <= 17; ++id) {
    dedup.begin(id, kDedupT0 + seconds(id));
    dedup.remember(id, dedup_reply(id), kDedupT0 + seconds(id));
  }
  EXPECT_EQ(dedup.size(), 16u);
  EXPECT_EQ(dedup.capacity(), 16u);
  const auto later = kDedupT0 + seconds(20);
  EXPECT_EQ(dedup.lookup(1, later).status, Status::Unseen);  // evicted, though not expired
  for (uint16_t id = 2; id <= 17; ++id) {
    const auto seen = dedup.lookup(id, later);
    ASSERT_EQ(seen.status, Status::Answered) << id;
    EXPECT_EQ(*seen.reply, dedup_reply(id));
  }
  // A flood of fresh IDs keeps the size at the cap and leaves only the newest.
  for (uint32_t id = 100; id < 10'000; ++id) dedup.begin(static_cast<uint16_t>(id), later);
  EXPECT_EQ(dedup.size(), 16u);
  EXPECT_EQ(dedup.lookup(17, later).status, Status::Unseen);
  EXPECT_EQ(dedup.lookup(9999, later).status, Status::Processing);
  EXPECT_EQ(dedup.lookup(9984, later).status, Status::Processing);
  EXPECT_EQ(dedup.lookup(9983, later).status, Status::Unseen);
}

TEST(MessageDedup, EvictsInArrivalOrderWithACapacityOfTwo) {
  MessageDeduplicator dedup(2);
  dedup.begin(1, kDedupT0);
  dedup.begin(2, kDedupT0);
  dedup.begin(3, kDedupT0);  // evicts 1
  EXPECT_EQ(dedup.lookup(1, kDedupT0).status, Status::Unseen);
  EXPECT_EQ(dedup.lookup(2, kDedupT0).status, Status::Processing);
  dedup.begin(4, kDedupT0);  // evicts 2
  EXPECT_EQ(dedup.lookup(2, kDedupT0).status, Status::Unseen);
  EXPECT_EQ(dedup.lookup(3, kDedupT0).status, Status::Processing);
  EXPECT_EQ(dedup.lookup(4, kDedupT0).status, Status::Processing);
}

TEST(MessageDedup, ACapacityOfZeroStillRemembersTheLastMessage) {
  MessageDeduplicator dedup(0);
  EXPECT_EQ(dedup.capacity(), 1u);
  dedup.remember(5, dedup_reply(5), kDedupT0);
  EXPECT_EQ(dedup.lookup(5, kDedupT0).status, Status::Answered);
}

TEST(MessageDedup, ReleasingExpiredRepliesKeepsLiveOnes) {
  MessageDeduplicator dedup(4);
  dedup.remember(1, dedup_reply(1), kDedupT0);
  dedup.remember(2, dedup_reply(2), kDedupT0 + seconds(200));
  dedup.release_expired(kDedupT0 + seconds(250));  // 1 expired, 2 live
  EXPECT_EQ(dedup.lookup(1, kDedupT0 + seconds(250)).status, Status::Unseen);
  const auto live = dedup.lookup(2, kDedupT0 + seconds(250));
  ASSERT_EQ(live.status, Status::Answered);
  EXPECT_EQ(*live.reply, dedup_reply(2));
}

}  // namespace
}  // namespace dps::coap
