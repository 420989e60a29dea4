// Duplicate detection for one peer's CoAP-over-UDP messages (RFC 7252 §4.5). A device that misses
// our ACK retransmits its CON with the same Message ID; it must get the same reply again without
// the request running twice (a credentials request signs a certificate). Holds the last few
// Message IDs with the encoded reply sent for each. Memory is bounded by the capacity; time comes
// from the caller so tests control it.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace dps::coap {

class MessageDeduplicator {
 public:
  using Clock = std::chrono::steady_clock;

  /// RFC 7252 §4.8.2: EXCHANGE_LIFETIME with the default transmission parameters, how long a
  /// sender may keep retransmitting a CON and its copies may keep arriving. (A NON's copies stop
  /// after NON_LIFETIME, 145 s; keeping those longer costs nothing but a slot.)
  static constexpr Clock::duration kExchangeLifetime = std::chrono::seconds(247);

  enum class Status {
    Unseen,      // a new message: process it (and call begin())
    Processing,  // a copy of a message still being processed: do not run it again (a CON's copy
                 // may get an empty ACK, RFC 7252 §5.2.2)
    Answered,    // a copy of an answered message: send `reply` again, unchanged
  };

  struct Lookup {
    Status status = Status::Unseen;
    /// The bytes sent for the original when Answered (possibly empty: answered with nothing, e.g.
    /// a NON). Valid until the next begin() or remember().
    const std::vector<uint8_t>* reply = nullptr;
  };

  /// @param capacity  Message IDs remembered (at least 1). When full, the oldest is forgotten even
  ///                  if not yet expired: its copies would then run again, so size it above the
  ///                  exchanges a peer has in flight (NSTART is 1 by default, RFC 7252 §4.7).
  /// @param lifetime  how long after its first arrival a Message ID is remembered.
  explicit MessageDeduplicator(size_t capacity, Clock::duration lifetime = kExchangeLifetime);

  /// Whether `message_id` was seen less than `lifetime` before `now`, and with which reply.
  [[nodiscard]] Lookup lookup(uint16_t message_id, Clock::time_point now) const;

  /// Records a new message as being processed (Status::Processing from now on). No effect when it
  /// is already remembered.
  void begin(uint16_t message_id, Clock::time_point now);

  /// Records the reply sent for `message_id` (Status::Answered from now on). Keeps the expiry of a
  /// begin() for it: the lifetime counts from the message's first arrival.
  void remember(uint16_t message_id, std::vector<uint8_t> reply, Clock::time_point now);

  /// Releases the replies of expired entries (for a session going idle: memory it no longer needs).
  void release_expired(Clock::time_point now);

  /// Entries held, expired ones included (at most capacity()).
  size_t size() const { return entries_.size(); }
  size_t capacity() const { return capacity_; }

 private:
  struct Entry {
    uint16_t message_id = 0;
    bool answered = false;
    Clock::time_point expires;
    std::vector<uint8_t> reply;
  };

  // Index of the live entry for `message_id`, or entries_.size() when there is none.
  size_t index_of(uint16_t message_id, Clock::time_point now) const;
  Entry& insert(uint16_t message_id, Clock::time_point now);

  size_t capacity_;
  Clock::duration lifetime_;
  // A ring in arrival order: grows to capacity_, then `oldest_` is the slot overwritten next.
  std::vector<Entry> entries_;
  size_t oldest_ = 0;
};

}  // namespace dps::coap
