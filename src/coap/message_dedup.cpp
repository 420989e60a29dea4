#include "coap/message_dedup.hpp"

#include <algorithm>

namespace dps::coap {

MessageDeduplicator::MessageDeduplicator(size_t capacity, Clock::duration lifetime)
    : capacity_(std::max<size_t>(capacity, 1)), lifetime_(lifetime) {}

size_t MessageDeduplicator::index_of(uint16_t message_id, Clock::time_point now) const {
  // A linear scan: capacities are a few dozen at most, and this touches one small array. An
  // expired entry never matches, so a Message ID reused after the lifetime is a new message even
  // while its old entry still holds a slot.
  const auto it = std::find_if(entries_.begin(), entries_.end(), [&](const Entry& e) {
    return e.message_id == message_id && now < e.expires;
  });
  return static_cast<size_t>(it - entries_.begin());
}

MessageDeduplicator::Entry& MessageDeduplicator::insert(uint16_t message_id,
                                                        Clock::time_point now) {
  Entry fresh{message_id, false, now + lifetime_, {}};
  if (entries_.size() < capacity_) {
    entries_.push_back(std::move(fresh));
    return entries_.back();
  }
  Entry& slot = entries_[oldest_];
  oldest_ = (oldest_ + 1) % capacity_;
  slot = std::move(fresh);  // frees the evicted reply
  return slot;
}

MessageDeduplicator::Lookup MessageDeduplicator::lookup(uint16_t message_id,
                                                        Clock::time_point now) const {
  const size_t i = index_of(message_id, now);
  if (i == entries_.size()) {
    return {};
  }
  const Entry& e = entries_[i];
  return e.answered ? Lookup{Status::Answered, &e.reply} : Lookup{Status::Processing, nullptr};
}

void MessageDeduplicator::begin(uint16_t message_id, Clock::time_point now) {
  if (index_of(message_id, now) == entries_.size()) {
    insert(message_id, now);
  }
}

void MessageDeduplicator::remember(uint16_t message_id, std::vector<uint8_t> reply,
                                   Clock::time_point now) {
  const size_t i = index_of(message_id, now);
  Entry& entry = i < entries_.size() ? entries_[i] : insert(message_id, now);
  entry.answered = true;
  entry.reply = std::move(reply);
}

void MessageDeduplicator::release_expired(Clock::time_point now) {
  for (Entry& e : entries_) {
    if (!(now < e.expires)) {
      std::vector<uint8_t>().swap(e.reply);
    }
  }
}

}  // namespace dps::coap
