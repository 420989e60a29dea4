// Block1Assembler (RFC 7959 §2.3, §2.5): a request body sent in blocks, in order, and the ways a
// peer can get it wrong on purpose: gaps, replays, growing sizes, announced and real sizes over
// the limit, another resource in between, an abandoned transfer.
#include <gtest/gtest.h>

#include <string_view>
#include <variant>
#include <vector>

#include "coap/block.hpp"

namespace dps::coap {
namespace {

constexpr std::string_view kAssemblerPath = "/api/v1/provisioning/credentials";

std::vector<uint8_t> assembler_body(size_t size) {
  std::vector<uint8_t> body(size);
  for (size_t i = 0; i < size; ++i) body[i] = static_cast<uint8_t>(i * 13 + i / 256);
  return body;
}

// Block `num` of `body` at `szx` as a device sends it: the same target and options on every
// block, a token of its own per block (RFC 7959 §2.4 allows that), M set unless it is the last.
Message block1_request(const std::vector<uint8_t>& body, uint32_t num, uint8_t szx,
                       std::string_view path = kAssemblerPath, Code method = Code::Post) {
  const BlockOption probe{num, false, szx};
  const size_t begin = std::min<size_t>(probe.offset(), body.size());
  const size_t end = std::min(body.size(), begin + probe.size());
  Message m;
  m.code = method;
  m.token = {0x10, static_cast<uint8_t>(num)};
  m.set_uri_path(path);
  m.add_uint_option(option::kContentFormat, content_format::kOcfCbor);
  set_block(m, option::kBlock1, {num, end < body.size(), szx});
  m.payload.assign(body.begin() + static_cast<long>(begin), body.begin() + static_cast<long>(end));
  return m;
}

BlockOption expect_continue(const Block1Result& result) {
  if (const auto* refusal = std::get_if<Block1Refusal>(&result)) {
    ADD_FAILURE() << "refused " << to_string(refusal->code) << ": " << refusal->reason;
  }
  EXPECT_TRUE(std::holds_alternative<Block1Continue>(result));
  return std::holds_alternative<Block1Continue>(result) ? std::get<Block1Continue>(result).echo
                                                        : BlockOption{};
}

Block1Complete expect_complete(const Block1Result& result) {
  if (const auto* refusal = std::get_if<Block1Refusal>(&result)) {
    ADD_FAILURE() << "refused " << to_string(refusal->code) << ": " << refusal->reason;
  }
  EXPECT_TRUE(std::holds_alternative<Block1Complete>(result));
  return std::holds_alternative<Block1Complete>(result) ? std::get<Block1Complete>(result)
                                                        : Block1Complete{};
}

Code refusal_code(const Block1Result& result) {
  EXPECT_TRUE(std::holds_alternative<Block1Refusal>(result));
  if (!std::holds_alternative<Block1Refusal>(result)) return Code::Empty;
  EXPECT_FALSE(std::get<Block1Refusal>(result).reason.empty());
  return std::get<Block1Refusal>(result).code;
}

TEST(Block1Assembler, AssemblesBlocksSentInOrder) {
  const auto body = assembler_body(2500);
  Block1Assembler assembler(4096);
  EXPECT_EQ(expect_continue(assembler.accept(block1_request(body, 0, 6))),
            (BlockOption{0, true, 6}));
  EXPECT_TRUE(assembler.in_progress());
  EXPECT_EQ(assembler.buffered(), 1024u);
  EXPECT_EQ(expect_continue(assembler.accept(block1_request(body, 1, 6))),
            (BlockOption{1, true, 6}));
  const Message last = block1_request(body, 2, 6);
  const Block1Complete done = expect_complete(assembler.accept(last));
  EXPECT_EQ(done.echo, (BlockOption{2, false, 6}));
  EXPECT_EQ(done.request.payload, body);
  EXPECT_EQ(done.request.code, Code::Post);
  EXPECT_EQ(done.request.uri_path(), kAssemblerPath);
  EXPECT_EQ(done.request.content_format(), content_format::kOcfCbor);
  EXPECT_EQ(done.request.token, last.token);  // the response answers the last block's request
  EXPECT_EQ(done.request.find_option(option::kBlock1), nullptr);
  EXPECT_FALSE(assembler.in_progress());
  EXPECT_EQ(assembler.buffered(), 0u);
}

TEST(Block1Assembler, AssemblesSmallBlocks) {
  const auto body = assembler_body(2500);
  Block1Assembler assembler(4096);
  for (uint32_t num = 0; num < 39; ++num) {
    ASSERT_EQ(expect_continue(assembler.accept(block1_request(body, num, 2))),
              (BlockOption{num, true, 2}));
  }
  EXPECT_EQ(expect_complete(assembler.accept(block1_request(body, 39, 2))).request.payload, body);
}

TEST(Block1Assembler, CompletesASingleBlockAtOnce) {
  const auto body = assembler_body(100);
  Block1Assembler assembler(4096);
  const Block1Complete done = expect_complete(assembler.accept(block1_request(body, 0, 6)));
  EXPECT_EQ(done.request.payload, body);
  EXPECT_EQ(done.echo, (BlockOption{0, false, 6}));
  EXPECT_FALSE(assembler.in_progress());
}

TEST(Block1Assembler, PassesARequestWithoutBlock1Through) {
  Block1Assembler assembler(64);
  Message plain;
  plain.code = Code::Get;
  plain.set_uri_path("/oic/sec/doxm");
  const Block1Complete done = expect_complete(assembler.accept(plain));
  EXPECT_EQ(done.request, plain);
  EXPECT_FALSE(done.echo);

  plain.payload.assign(65, 'x');  // over the body limit even without blocks
  EXPECT_EQ(refusal_code(assembler.accept(plain)), Code::RequestEntityTooLarge);
}

TEST(Block1Assembler, RefusesABlockWithoutItsPredecessors) {
  const auto body = assembler_body(2500);
  Block1Assembler assembler(4096);
  EXPECT_EQ(refusal_code(assembler.accept(block1_request(body, 1, 6))),
            Code::RequestEntityIncomplete);
  EXPECT_FALSE(assembler.in_progress());
}

TEST(Block1Assembler, RefusesAGapAndAbandonsTheTransfer) {
  const auto body = assembler_body(2500);
  Block1Assembler assembler(4096);
  expect_continue(assembler.accept(block1_request(body, 0, 6)));
  EXPECT_EQ(refusal_code(assembler.accept(block1_request(body, 2, 6))),
            Code::RequestEntityIncomplete);
  EXPECT_FALSE(assembler.in_progress());
  // The missing block now comes too late: the client has to start again from block 0.
  EXPECT_EQ(refusal_code(assembler.accept(block1_request(body, 1, 6))),
            Code::RequestEntityIncomplete);
  expect_continue(assembler.accept(block1_request(body, 0, 6)));
  expect_continue(assembler.accept(block1_request(body, 1, 6)));
  EXPECT_EQ(expect_complete(assembler.accept(block1_request(body, 2, 6))).request.payload, body);
}

TEST(Block1Assembler, RefusesAnOlderBlockAfterANewerOne) {
  const auto body = assembler_body(2500);
  Block1Assembler assembler(4096);
  expect_continue(assembler.accept(block1_request(body, 0, 2)));
  expect_continue(assembler.accept(block1_request(body, 1, 2)));
  expect_continue(assembler.accept(block1_request(body, 2, 2)));
  EXPECT_EQ(refusal_code(assembler.accept(block1_request(body, 1, 2))),
            Code::RequestEntityIncomplete);
}

TEST(Block1Assembler, AcknowledgesARetransmittedBlockWithoutStoringItTwice) {
  const auto body = assembler_body(2500);
  Block1Assembler assembler(4096);
  expect_continue(assembler.accept(block1_request(body, 0, 6)));
  expect_continue(assembler.accept(block1_request(body, 1, 6)));
  Message again = block1_request(body, 1, 6);
  again.token = {0x99};  // re-sent as a new message, new token
  EXPECT_EQ(expect_continue(assembler.accept(again)), (BlockOption{1, true, 6}));
  EXPECT_EQ(assembler.buffered(), 2048u);
  EXPECT_EQ(expect_complete(assembler.accept(block1_request(body, 2, 6))).request.payload, body);
}

TEST(Block1Assembler, RefusesARetransmittedBlockWithOtherContent) {
  const auto body = assembler_body(2500);
  Block1Assembler assembler(4096);
  expect_continue(assembler.accept(block1_request(body, 0, 6)));
  expect_continue(assembler.accept(block1_request(body, 1, 6)));
  Message altered = block1_request(body, 1, 6);
  altered.payload[10] ^= 0xff;
  EXPECT_EQ(refusal_code(assembler.accept(altered)), Code::RequestEntityIncomplete);
  EXPECT_FALSE(assembler.in_progress());
}

TEST(Block1Assembler, RefusesABlockSizeThatGrows) {
  const auto body = assembler_body(2500);
  Block1Assembler assembler(4096);
  expect_continue(assembler.accept(block1_request(body, 0, 2)));  // 64 bytes
  // Block 1 at 128 bytes would start at 128, but the size check comes first and says why.
  const Block1Result grown = assembler.accept(block1_request(body, 1, 3));
  EXPECT_EQ(refusal_code(grown), Code::BadRequest);
  EXPECT_EQ(std::get<Block1Refusal>(grown).reason, "block size grew during the transfer");
  EXPECT_FALSE(assembler.in_progress());
}

TEST(Block1Assembler, AcceptsABlockSizeThatShrinks) {
  const auto body = assembler_body(2500);
  Block1Assembler assembler(4096);
  expect_continue(assembler.accept(block1_request(body, 0, 6)));  // bytes 0-1023
  // 64-byte blocks from byte 1024 on: block number 16 at SZX 2.
  for (uint32_t num = 16; num < 39; ++num) {
    ASSERT_EQ(expect_continue(assembler.accept(block1_request(body, num, 2))),
              (BlockOption{num, true, 2}));
  }
  EXPECT_EQ(refusal_code(assembler.accept(block1_request(body, 39, 3))), Code::BadRequest);
}

TEST(Block1Assembler, AsksForItsPreferredSizeAndHoldsTheClientToIt) {
  const auto body = assembler_body(2500);
  Block1Assembler assembler(4096, 2);  // 64-byte blocks preferred
  // RFC 7959 §2.3: the first block was already sent at 1024; the echo asks for 64 from now on.
  EXPECT_EQ(expect_continue(assembler.accept(block1_request(body, 0, 6))),
            (BlockOption{0, true, 2}));
  EXPECT_EQ(expect_continue(assembler.accept(block1_request(body, 16, 2))),
            (BlockOption{16, true, 2}));
  EXPECT_EQ(refusal_code(assembler.accept(block1_request(body, 17, 6))), Code::BadRequest);
}

TEST(Block1Assembler, RefusesABlockWhosePayloadDoesNotMatchItsSize) {
  const auto body = assembler_body(2500);
  Block1Assembler assembler(4096);
  Message short_block = block1_request(body, 0, 6);
  short_block.payload.resize(1000);  // M = 1 but not a full block
  EXPECT_EQ(refusal_code(assembler.accept(short_block)), Code::BadRequest);

  expect_continue(assembler.accept(block1_request(body, 0, 4)));
  Message long_last = block1_request(body, 1, 4);
  set_block(long_last, option::kBlock1, {1, false, 4});
  long_last.payload.resize(257);  // the last block may be shorter, never longer
  EXPECT_EQ(refusal_code(assembler.accept(long_last)), Code::BadRequest);
  EXPECT_FALSE(assembler.in_progress());
}

TEST(Block1Assembler, RefusesABodyOverTheLimitWhenItGetsThere) {
  const auto body = assembler_body(2500);
  Block1Assembler assembler(2000);
  expect_continue(assembler.accept(block1_request(body, 0, 6)));
  EXPECT_EQ(refusal_code(assembler.accept(block1_request(body, 1, 6))),
            Code::RequestEntityTooLarge);
  EXPECT_FALSE(assembler.in_progress());
  EXPECT_EQ(assembler.buffered(), 0u);
  EXPECT_EQ(assembler.max_body(), 2000u);  // what the 4.13 answer's Size1 says

  Block1Assembler tiny(500);  // a first block alone over the limit
  EXPECT_EQ(refusal_code(tiny.accept(block1_request(body, 0, 6))), Code::RequestEntityTooLarge);
  EXPECT_FALSE(tiny.in_progress());
}

TEST(Block1Assembler, RefusesAnAnnouncedSizeOverTheLimitBeforeStoringAnything) {
  const auto body = assembler_body(2500);
  Block1Assembler assembler(4096);
  Message first = block1_request(body, 0, 6);
  first.add_uint_option(option::kSize1, 1u << 30);  // announces a gibibyte
  EXPECT_EQ(refusal_code(assembler.accept(first)), Code::RequestEntityTooLarge);
  EXPECT_FALSE(assembler.in_progress());
  EXPECT_EQ(assembler.buffered(), 0u);

  Message honest = block1_request(body, 0, 6);
  honest.add_uint_option(option::kSize1, 2500);
  expect_continue(assembler.accept(honest));
  Message lying = block1_request(body, 1, 6);  // a later block changes its story
  lying.add_uint_option(option::kSize1, 5000);
  EXPECT_EQ(refusal_code(assembler.accept(lying)), Code::RequestEntityTooLarge);
  EXPECT_FALSE(assembler.in_progress());

  Message unblocked;  // Size1 alone, without Block1
  unblocked.code = Code::Post;
  unblocked.add_uint_option(option::kSize1, 4097);
  EXPECT_EQ(refusal_code(assembler.accept(unblocked)), Code::RequestEntityTooLarge);
}

TEST(Block1Assembler, KeysATransferOnMethodPathAndQueryNotToken) {
  const auto body = assembler_body(2500);
  Block1Assembler assembler(4096);
  expect_continue(assembler.accept(block1_request(body, 0, 6)));
  // Another resource, another method, another query: none of them continues this transfer...
  EXPECT_EQ(refusal_code(assembler.accept(block1_request(body, 1, 6, "/oic/sec/doxm"))),
            Code::RequestEntityIncomplete);
  EXPECT_EQ(refusal_code(assembler.accept(block1_request(body, 1, 6, kAssemblerPath, Code::Put))),
            Code::RequestEntityIncomplete);
  Message queried = block1_request(body, 1, 6);
  queried.add_string_option(option::kUriQuery, "di=other");
  EXPECT_EQ(refusal_code(assembler.accept(queried)), Code::RequestEntityIncomplete);
  // ...nor ends it: the real next block still fits.
  EXPECT_TRUE(assembler.in_progress());
  expect_continue(assembler.accept(block1_request(body, 1, 6)));
  EXPECT_EQ(expect_complete(assembler.accept(block1_request(body, 2, 6))).request.payload, body);
}

TEST(Block1Assembler, ABlockZeroSupersedesTheTransferInProgress) {
  const auto body = assembler_body(2500);
  const auto other = assembler_body(100);
  Block1Assembler assembler(4096);
  expect_continue(assembler.accept(block1_request(body, 0, 6)));
  expect_continue(assembler.accept(block1_request(body, 1, 6)));
  const Block1Complete done =
      expect_complete(assembler.accept(block1_request(other, 0, 6, "/oic/sec/doxm")));
  EXPECT_EQ(done.request.payload, other);
  EXPECT_EQ(refusal_code(assembler.accept(block1_request(body, 2, 6))),
            Code::RequestEntityIncomplete);
}

TEST(Block1Assembler, ResetAbandonsTheTransfer) {
  const auto body = assembler_body(2500);
  Block1Assembler assembler(4096);
  expect_continue(assembler.accept(block1_request(body, 0, 6)));
  assembler.reset();
  EXPECT_FALSE(assembler.in_progress());
  EXPECT_EQ(assembler.buffered(), 0u);
  EXPECT_EQ(refusal_code(assembler.accept(block1_request(body, 1, 6))),
            Code::RequestEntityIncomplete);
}

TEST(Block1Assembler, RefusesMalformedBlock1Options) {
  Block1Assembler assembler(4096);
  const auto replace_block1 = [](Message m, std::vector<uint8_t> value) {
    std::erase_if(m.options, [](const Option& o) { return o.number == option::kBlock1; });
    m.add_option(option::kBlock1, std::move(value));
    return m;
  };
  const Message request = block1_request(assembler_body(10), 0, 6);
  // SZX 7 (BERT) over UDP: RFC 7959 §2.2 asks for 4.00.
  EXPECT_EQ(refusal_code(assembler.accept(replace_block1(request, {0x07}))), Code::BadRequest);
  // Four bytes: a malformed critical option, 4.02.
  EXPECT_EQ(refusal_code(assembler.accept(replace_block1(request, {0, 0, 0, 0x06}))),
            Code::BadOption);

  Message repeated = block1_request(assembler_body(10), 0, 6);
  repeated.add_option(option::kBlock1, encode_block_value({1, false, 6}));
  EXPECT_EQ(refusal_code(assembler.accept(repeated)), Code::BadOption);
  EXPECT_FALSE(assembler.in_progress());
}

}  // namespace
}  // namespace dps::coap
