#include "coap/block.hpp"

#include <algorithm>
#include <cassert>
#include <limits>

namespace dps::coap {
namespace {

// RFC 7959 §2.2: the value is NUM << 4 | M << 3 | SZX.
constexpr uint8_t kBertSzx = 7;
constexpr uint32_t kMoreBit = 0x08;
constexpr uint32_t kSzxMask = 0x07;

// What identifies a Block1 transfer besides the peer: the request's target, its Uri-Path and
// Uri-Query options as they came (compared as options, so no joining can make two targets equal).
std::vector<Option> transfer_target(const Message& request) {
  std::vector<Option> target;
  for (const Option& o : request.options) {
    if (o.number == option::kUriPath || o.number == option::kUriQuery) {
      target.push_back(o);
    }
  }
  return target;
}

Block1Result refuse(Code code, std::string_view reason) { return Block1Refusal{code, reason}; }

// The assembled request: the last block's message without the options that described blocks.
Message without_block1(const Message& request) {
  Message m;
  m.code = request.code;
  m.token = request.token;
  for (const Option& o : request.options) {
    if (o.number != option::kBlock1 && o.number != option::kSize1) {
      m.options.push_back(o);
    }
  }
  return m;
}

Block1Result complete(const Message& request, std::vector<uint8_t> body, BlockOption echo) {
  Block1Complete done{without_block1(request), echo};
  done.request.payload = std::move(body);
  return done;
}

}  // namespace

std::string_view to_string(BlockError error) {
  switch (error) {
    case BlockError::OptionTooLong:
      return "block option longer than 3 bytes";
    case BlockError::ReservedSzx:
      return "block size exponent 7 (BERT) is not allowed over UDP";
    case BlockError::Repeated:
      return "block option repeated";
    case BlockError::BeyondEnd:
      return "block number beyond the end of the representation";
  }
  return "unknown block error";
}

Code response_code(BlockError error) {
  return error == BlockError::ReservedSzx ? Code::BadRequest : Code::BadOption;
}

tl::expected<BlockOption, BlockError> decode_block_value(std::span<const uint8_t> value) {
  if (value.size() > kMaxBlockOptionLength) {
    return tl::unexpected(BlockError::OptionTooLong);
  }
  uint32_t raw = 0;
  for (const uint8_t byte : value) {
    raw = raw << 8 | byte;
  }
  const BlockOption block{raw >> 4, (raw & kMoreBit) != 0, static_cast<uint8_t>(raw & kSzxMask)};
  if (block.szx == kBertSzx) {
    return tl::unexpected(BlockError::ReservedSzx);
  }
  return block;
}

std::vector<uint8_t> encode_block_value(const BlockOption& block) {
  assert(block.num <= kMaxBlockNumber && block.szx <= kBertSzx);
  return encode_uint(block.num << 4 | (block.more ? kMoreBit : 0) | block.szx);
}

tl::expected<std::optional<BlockOption>, BlockError> read_block(const Message& m, uint16_t number) {
  const auto matches = [number](const Option& o) { return o.number == number; };
  const auto first = std::find_if(m.options.begin(), m.options.end(), matches);
  if (first == m.options.end()) {
    return std::optional<BlockOption>{};
  }
  if (std::find_if(first + 1, m.options.end(), matches) != m.options.end()) {
    return tl::unexpected(BlockError::Repeated);
  }
  return decode_block_value(first->value).map([](BlockOption b) { return std::optional(b); });
}

void set_block(Message& m, uint16_t number, const BlockOption& block) {
  std::erase_if(m.options, [number](const Option& o) { return o.number == number; });
  m.add_option(number, encode_block_value(block));
}

uint8_t largest_szx_within(size_t bytes) {
  uint8_t szx = kMaxBlockSzx;
  while (szx > 0 && (size_t{16} << szx) > bytes) {
    --szx;
  }
  return szx;
}

tl::expected<Message, BlockError> block2_slice(const Message& full_response, uint32_t num,
                                               uint8_t szx) {
  if (szx > kMaxBlockSzx) {
    return tl::unexpected(BlockError::ReservedSzx);
  }
  const BlockOption requested{num, false, szx};
  const size_t total = full_response.payload.size();
  // offset() is 64-bit: NUM * 1024 cannot overflow, and a num past kMaxBlockNumber could not be
  // echoed in an option.
  if (num > kMaxBlockNumber || (num > 0 && requested.offset() >= total)) {
    return tl::unexpected(BlockError::BeyondEnd);
  }
  const auto begin = static_cast<size_t>(requested.offset());
  const size_t end = std::min(total, begin + requested.size());

  // Built field by field: copying the whole response first would copy the whole payload per block.
  Message block;
  block.code = full_response.code;
  block.token = full_response.token;
  for (const Option& o : full_response.options) {
    if (o.number != option::kBlock2 && o.number != option::kSize2) {
      block.options.push_back(o);
    }
  }
  block.add_option(option::kBlock2, encode_block_value(BlockOption{num, end < total, szx}));
  if (num == 0 && total <= std::numeric_limits<uint32_t>::max()) {
    block.add_uint_option(option::kSize2, static_cast<uint32_t>(total));
  }
  block.payload.assign(full_response.payload.begin() + static_cast<std::ptrdiff_t>(begin),
                       full_response.payload.begin() + static_cast<std::ptrdiff_t>(end));
  return block;
}

Block1Assembler::Block1Assembler(size_t max_body, uint8_t max_szx)
    : max_body_(max_body), max_szx_(std::min(max_szx, kMaxBlockSzx)) {}

void Block1Assembler::reset() { transfer_.reset(); }

Block1Result Block1Assembler::start(const Message& request, const BlockOption& block,
                                    std::vector<Option> target) {
  transfer_.reset();  // block 0 supersedes whatever this peer was sending before
  const size_t length = request.payload.size();
  // RFC 7959 §2.2: every block but the last is exactly the block size; the last may be shorter.
  if (block.more ? length != block.size() : length > block.size()) {
    return refuse(Code::BadRequest, "block payload does not match its block size");
  }
  if (length > max_body_) {
    return refuse(Code::RequestEntityTooLarge, "request body over the limit");
  }
  if (!block.more) {
    return complete(request, request.payload, BlockOption{0, false, block.szx});
  }
  const auto next_szx = std::min(block.szx, max_szx_);
  transfer_ = Transfer{request.code, std::move(target), next_szx, block, length, request.payload};
  return Block1Continue{BlockOption{0, true, next_szx}};
}

Block1Result Block1Assembler::accept(const Message& request) {
  const auto read = read_block(request, option::kBlock1);
  if (!read) {
    return refuse(response_code(read.error()), to_string(read.error()));
  }
  // RFC 7959 §4: Size1 announces the whole body. Refused before anything is stored; never used to
  // reserve memory, since a peer may announce anything.
  const auto size1 = request.uint_option(option::kSize1);
  const bool announced_too_large = size1 && *size1 > max_body_;
  if (!read->has_value()) {
    if (announced_too_large || request.payload.size() > max_body_) {
      return refuse(Code::RequestEntityTooLarge, "request body over the limit");
    }
    return Block1Complete{request, std::nullopt};
  }
  const BlockOption block = **read;
  std::vector<Option> target = transfer_target(request);
  const bool ours = transfer_ && transfer_->method == request.code && transfer_->target == target;
  if (announced_too_large) {
    // A block 0 would have superseded any transfer; a later block ends its own.
    if (ours || block.num == 0) transfer_.reset();
    return refuse(Code::RequestEntityTooLarge, "announced request body (Size1) over the limit");
  }
  if (block.num == 0) {
    return start(request, block, std::move(target));
  }
  if (!ours) {
    // Leaves another resource's transfer alone: this block is refused, that one may go on.
    return refuse(Code::RequestEntityIncomplete, "no block-wise transfer in progress for this");
  }
  Transfer& t = *transfer_;
  const size_t length = request.payload.size();
  if (block == t.last && length == t.last_length &&
      std::equal(request.payload.begin(), request.payload.end(), t.body.end() - t.last_length)) {
    // RFC 7252 §4.5 handles a retransmission with the same Message ID; this is the same block
    // re-sent as a new message (e.g. our ACK was lost past the peer's patience). Idempotent.
    return Block1Continue{BlockOption{block.num, true, t.max_szx}};
  }
  if (block.szx > t.max_szx) {
    transfer_.reset();
    return refuse(Code::BadRequest, "block size grew during the transfer");
  }
  if (block.offset() != t.body.size()) {
    transfer_.reset();
    return refuse(Code::RequestEntityIncomplete, "block out of order");
  }
  if (block.more ? length != block.size() : length > block.size()) {
    transfer_.reset();
    return refuse(Code::BadRequest, "block payload does not match its block size");
  }
  if (length > max_body_ - t.body.size()) {
    transfer_.reset();
    return refuse(Code::RequestEntityTooLarge, "request body over the limit");
  }
  t.body.insert(t.body.end(), request.payload.begin(), request.payload.end());
  t.last = block;
  t.last_length = length;
  t.max_szx = std::min(block.szx, max_szx_);
  if (block.more) {
    return Block1Continue{BlockOption{block.num, true, t.max_szx}};
  }
  std::vector<uint8_t> body = std::move(t.body);
  transfer_.reset();
  return complete(request, std::move(body), BlockOption{block.num, false, block.szx});
}

}  // namespace dps::coap
