// libFuzzer target for the CoAP-over-UDP codec (src/coap/udp_message, block, message_dedup).
//
// Input format, two passes over the same bytes:
//  1. the whole input is one datagram: decode_datagram(); what decodes must re-encode to the input
//     byte for byte and decode again to the same Datagram; a refusal's header must be the input's
//     own; then the checks a server applies to a decoded message (disposition, critical options,
//     Block1/Block2 options and their re-encoding, a Block2 slice of it);
//  2. the input is a sequence of datagrams, each preceded by its length in one byte, fed to one
//     peer's Block1Assembler and MessageDeduplicator as a session would (a hostile peer's
//     sequence of blocks): memory must stay within their limits whatever the order.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "coap/block.hpp"
#include "coap/message_dedup.hpp"
#include "coap/options.hpp"
#include "coap/udp_message.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace dps::coap;

constexpr size_t kMaxDatagram = 64 * 1024;
constexpr size_t kMaxBody = 4096;
constexpr size_t kDedupCapacity = 8;

void check_block_option(const Message& m, uint16_t number) {
  const auto read = read_block(m, number);
  if (!read || !read->has_value()) {
    return;
  }
  const BlockOption block = **read;
  FUZZ_REQUIRE(block.num <= kMaxBlockNumber && block.szx <= kMaxBlockSzx);
  const std::vector<uint8_t> minimal = encode_block_value(block);
  FUZZ_REQUIRE(minimal.size() <= kMaxBlockOptionLength);
  const auto again = decode_block_value(minimal);
  FUZZ_REQUIRE(again && *again == block);
  if (number == option::kBlock2) {
    // The server's answer to a Block2 request: slice the message itself as if it were the response.
    const auto slice = block2_slice(m, block.num, block.szx);
    if (slice) {
      FUZZ_REQUIRE(slice->payload.size() <= block.size());
      FUZZ_REQUIRE(slice->code == m.code && slice->token == m.token);
    } else {
      FUZZ_REQUIRE(slice.error() == BlockError::BeyondEnd);
    }
  }
}

void check_one_datagram(std::span<const uint8_t> bytes) {
  const DatagramResult result = decode_datagram(bytes, kMaxDatagram);
  if (const auto* error = std::get_if<DatagramError>(&result)) {
    if (error->header) {
      FUZZ_REQUIRE(bytes.size() >= kDatagramHeaderSize && (bytes[0] >> 6) == kCoapVersion);
      FUZZ_REQUIRE(static_cast<uint8_t>(error->header->type) == ((bytes[0] >> 4) & 0x03));
      FUZZ_REQUIRE(error->header->message_id == (bytes[2] << 8 | bytes[3]));
    }
    dps::fuzz::note(std::string("refused: ") + std::string(to_string(error->fault)));
    (void)disposition(*error);
    return;
  }
  const Datagram& d = std::get<Datagram>(result);
  const std::vector<uint8_t> again = encode_datagram(d);
  FUZZ_REQUIRE(std::equal(again.begin(), again.end(), bytes.begin(), bytes.end()));
  FUZZ_REQUIRE(datagram_size(d) == again.size());
  const DatagramResult redecoded = decode_datagram(again, kMaxDatagram);
  FUZZ_REQUIRE(std::holds_alternative<Datagram>(redecoded) && std::get<Datagram>(redecoded) == d);
  dps::fuzz::note(std::string("decoded ") + std::string(to_string(d.type)) + " " +
                  to_string(d.message.code) + " " + d.message.uri_path());

  (void)disposition(d);
  (void)first_unknown_critical_option(d.message);
  check_block_option(d.message, option::kBlock1);
  check_block_option(d.message, option::kBlock2);
}

void check_session(std::span<const uint8_t> input) {
  Block1Assembler assembler(kMaxBody);
  MessageDeduplicator dedup(kDedupCapacity);
  auto now = MessageDeduplicator::Clock::time_point{};
  while (!input.empty()) {
    const size_t length = std::min<size_t>(input[0], input.size() - 1);
    const auto datagram = input.subspan(1, length);
    input = input.subspan(1 + length);
    now += std::chrono::seconds(length);  // time moves: entries expire during long inputs

    const DatagramResult result = decode_datagram(datagram, kMaxDatagram);
    const auto* d = std::get_if<Datagram>(&result);
    if (d == nullptr || disposition(*d) != Disposition::Process) continue;
    if (dedup.lookup(d->message_id, now).status != MessageDeduplicator::Status::Unseen) continue;
    dedup.begin(d->message_id, now);
    const Block1Result step = assembler.accept(d->message);
    FUZZ_REQUIRE(assembler.buffered() <= kMaxBody);
    std::vector<uint8_t> reply;
    if (const auto* done = std::get_if<Block1Complete>(&step)) {
      FUZZ_REQUIRE(done->request.payload.size() <= kMaxBody);
      FUZZ_REQUIRE(!done->echo || !done->echo->more);
      dps::fuzz::note("session: request complete, body of " +
                      std::to_string(done->request.payload.size()) + " bytes");
      reply = encode_datagram(piggybacked(*d, Message{Code::Changed, {}, {}, {}}));
    } else if (const auto* more = std::get_if<Block1Continue>(&step)) {
      FUZZ_REQUIRE(more->echo.more && assembler.in_progress());
      Message cont{Code::Continue, {}, {}, {}};
      set_block(cont, option::kBlock1, more->echo);
      reply = encode_datagram(piggybacked(*d, std::move(cont)));
    } else {
      const auto& refusal = std::get<Block1Refusal>(step);
      FUZZ_REQUIRE(code_class(refusal.code) == 4 && !refusal.reason.empty());
      dps::fuzz::note("session: refused " + to_string(refusal.code) + " " +
                      std::string(refusal.reason));
    }
    dedup.remember(d->message_id, std::move(reply), now);
    FUZZ_REQUIRE(dedup.size() <= kDedupCapacity);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> input(data, size);
  check_one_datagram(input);
  check_session(input);
  return 0;
}
