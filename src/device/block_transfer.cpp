#include "device/block_transfer.hpp"

#include <algorithm>
#include <string>

namespace dps::device {

using coap::BlockOption;
using coap::Message;

namespace {

void drop_options(Message& message, std::initializer_list<uint16_t> numbers) {
  std::erase_if(message.options, [&](const coap::Option& option) {
    return std::find(numbers.begin(), numbers.end(), option.number) != numbers.end();
  });
}

}  // namespace

Message block1_piece(const Message& request, uint32_t num, uint8_t szx) {
  const BlockOption block{num, false, szx};
  const size_t begin = std::min<size_t>(block.offset(), request.payload.size());
  const size_t end = std::min(begin + block.size(), request.payload.size());
  Message piece = request;
  piece.payload.assign(request.payload.begin() + static_cast<std::ptrdiff_t>(begin),
                       request.payload.begin() + static_cast<std::ptrdiff_t>(end));
  drop_options(piece, {coap::option::kBlock1, coap::option::kSize1});
  coap::set_block(piece, coap::option::kBlock1, {num, end < request.payload.size(), szx});
  if (num == 0) {
    piece.add_uint_option(coap::option::kSize1, static_cast<uint32_t>(request.payload.size()));
  }
  return piece;
}

Message block2_request(const Message& request, uint32_t num, uint8_t szx) {
  Message next = request;
  next.payload.clear();
  drop_options(next, {coap::option::kBlock1, coap::option::kSize1, coap::option::kBlock2});
  coap::set_block(next, coap::option::kBlock2, {num, false, szx});
  return next;
}

Block2Collector::Block2Collector(size_t max_body) : max_body_(max_body) {}

Result<std::optional<BlockOption>> Block2Collector::add(const Message& block) {
  auto option = coap::read_block(block, coap::option::kBlock2);
  if (!option) {
    return fail(ErrorCode::BadRequest,
                "Block2 option of the response: " + std::string(coap::to_string(option.error())));
  }
  if (!*option) {
    if (response_) {
      return fail(ErrorCode::BadRequest, "a block came without Block2 after " +
                                             std::to_string(body_size()) +
                                             " bytes of the response");
    }
    if (block.payload.size() > max_body_) {
      return fail(ErrorCode::BadRequest, "response of " + std::to_string(block.payload.size()) +
                                             " bytes: over the device's " +
                                             std::to_string(max_body_) + "-byte buffer");
    }
    response_ = block;
    return std::nullopt;
  }
  const BlockOption got = **option;
  if (got.szx > coap::kMaxBlockSzx) {
    return fail(ErrorCode::BadRequest, "Block2 with SZX 7 (BERT) over UDP");
  }
  if (response_ && block.code != response_->code) {
    return fail(ErrorCode::BadRequest, "block " + std::to_string(got.num) + " answered " +
                                           coap::to_string(block.code) + " after " +
                                           coap::to_string(response_->code));
  }
  if (got.offset() != body_size()) {
    return fail(ErrorCode::BadRequest, "block " + std::to_string(got.num) + " starts at byte " +
                                           std::to_string(got.offset()) + ", expected byte " +
                                           std::to_string(body_size()));
  }
  // RFC 7959 §2.2: every block but the last has exactly the block size.
  if ((got.more && block.payload.size() != got.size()) || block.payload.size() > got.size()) {
    return fail(ErrorCode::BadRequest, "block " + std::to_string(got.num) + " of " +
                                           std::to_string(got.size()) + " bytes carries " +
                                           std::to_string(block.payload.size()));
  }
  if (!response_) {
    if (auto size2 = block.uint_option(coap::option::kSize2); size2 && *size2 > max_body_) {
      return fail(ErrorCode::BadRequest, "response of " + std::to_string(*size2) +
                                             " bytes (Size2): over the device's " +
                                             std::to_string(max_body_) + "-byte buffer");
    }
  }
  if (body_size() + block.payload.size() > max_body_) {
    return fail(ErrorCode::BadRequest,
                "response over the device's " + std::to_string(max_body_) + "-byte buffer");
  }
  if (!response_) {
    response_ = block;
    response_->payload.clear();
    drop_options(*response_, {coap::option::kBlock2, coap::option::kSize2});
  }
  response_->payload.insert(response_->payload.end(), block.payload.begin(), block.payload.end());
  if (!got.more) {
    return std::nullopt;
  }
  if (got.num >= coap::kMaxBlockNumber) {
    return fail(ErrorCode::BadRequest, "Block2 numbers run out (more than 2^20 blocks)");
  }
  return BlockOption{got.num + 1, false, got.szx};
}

Message Block2Collector::take() {
  Message whole = std::move(*response_);
  response_.reset();
  return whole;
}

}  // namespace dps::device
