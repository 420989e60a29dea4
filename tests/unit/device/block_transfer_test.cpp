// The device's side of block-wise transfer over UDP (RFC 7959): Block1 pieces of a request body
// and the Block2 collector, against blocks cut by the server's own slicer (coap/block.hpp).
#include "device/block_transfer.hpp"

#include <gtest/gtest.h>

#include "coap/block.hpp"

namespace dps::device {
namespace {

using coap::BlockOption;
using coap::Code;
using coap::Message;

Message response_of(size_t size) {
  Message m;
  m.code = Code::Content;
  m.token = {1, 2, 3, 4, 5, 6, 7, 8};
  m.add_uint_option(coap::option::kContentFormat, 60);
  for (size_t i = 0; i < size; ++i) m.payload.push_back(static_cast<uint8_t>(i * 7));
  return m;
}

BlockOption block2_of(const Message& m) {
  return coap::read_block(m, coap::option::kBlock2)->value();
}

TEST(Block2Collector, ReassemblesWhatTheServerSlicedInOrder) {
  const Message whole = response_of(2500);
  Block2Collector collector(8192);
  uint32_t num = 0;
  for (;;) {
    const auto block = coap::block2_slice(whole, num, 6);
    ASSERT_TRUE(block);
    auto next = collector.add(*block);
    ASSERT_TRUE(next) << next.error().internal;
    if (!*next) break;
    EXPECT_EQ(**next, (BlockOption{num + 1, false, 6}));
    num = (*next)->num;
  }
  EXPECT_EQ(num, 2u);
  const Message got = collector.take();
  EXPECT_EQ(got.payload, whole.payload);
  EXPECT_EQ(got.code, Code::Content);
  EXPECT_EQ(got.uint_option(coap::option::kContentFormat), 60u);
  EXPECT_EQ(got.find_option(coap::option::kBlock2), nullptr);
  EXPECT_EQ(got.find_option(coap::option::kSize2), nullptr);
}

TEST(Block2Collector, AResponseWithoutBlock2IsWhole) {
  Block2Collector collector(8192);
  auto next = collector.add(response_of(100));
  ASSERT_TRUE(next);
  EXPECT_FALSE(*next);
  EXPECT_EQ(collector.take().payload.size(), 100u);
}

TEST(Block2Collector, RefusesBlocksOutOfOrderShortOrOverTheCap) {
  const Message whole = response_of(3000);
  {
    Block2Collector collector(8192);
    ASSERT_TRUE(collector.add(*coap::block2_slice(whole, 0, 6)));
    const auto skipped = collector.add(*coap::block2_slice(whole, 2, 6));
    ASSERT_FALSE(skipped);
    EXPECT_NE(skipped.error().internal.find("expected byte 1024"), std::string::npos)
        << skipped.error().internal;
  }
  {
    Block2Collector collector(8192);
    auto first = *coap::block2_slice(whole, 0, 6);
    first.payload.resize(1000);  // M set but not a full block
    EXPECT_FALSE(collector.add(first));
  }
  {
    Block2Collector collector(2048);  // Size2 3000 announced on block 0: refused up front
    const auto refused = collector.add(*coap::block2_slice(whole, 0, 6));
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().internal.find("Size2"), std::string::npos);
  }
  {
    Block2Collector collector(2048);  // no Size2: the third block takes it over the cap
    auto first = *coap::block2_slice(whole, 0, 6);
    std::erase_if(first.options,
                  [](const coap::Option& o) { return o.number == coap::option::kSize2; });
    ASSERT_TRUE(collector.add(first));
    ASSERT_TRUE(collector.add(*coap::block2_slice(whole, 1, 6)));
    EXPECT_FALSE(collector.add(*coap::block2_slice(whole, 2, 6)));
  }
  {
    Block2Collector collector(8192);
    ASSERT_TRUE(collector.add(*coap::block2_slice(whole, 0, 6)));
    auto error = *coap::block2_slice(whole, 1, 6);
    error.code = Code::BadRequest;
    EXPECT_FALSE(collector.add(error)) << "a block of another code";
  }
}

TEST(Block1Piece, CutsTheBodyTheServerReassemblesExactly) {
  Message request;
  request.code = Code::Post;
  request.token = {9, 9, 9, 9, 9, 9, 9, 9};
  request.set_uri_path("/api/v1/provisioning/credentials");
  request.payload = response_of(1500).payload;
  coap::Block1Assembler assembler(4096);
  const auto first = block1_piece(request, 0, 6);
  EXPECT_EQ(first.payload.size(), 1024u);
  EXPECT_EQ(first.uint_option(coap::option::kSize1), 1500u);
  ASSERT_TRUE(std::holds_alternative<coap::Block1Continue>(assembler.accept(first)));
  const auto last = block1_piece(request, 1, 6);
  EXPECT_EQ(last.payload.size(), 476u);
  EXPECT_FALSE(coap::read_block(last, coap::option::kBlock1)->value().more);
  auto done = assembler.accept(last);
  ASSERT_TRUE(std::holds_alternative<coap::Block1Complete>(done));
  EXPECT_EQ(std::get<coap::Block1Complete>(done).request.payload, request.payload);

  const auto next = block2_request(first, 3, 5);
  EXPECT_TRUE(next.payload.empty());
  EXPECT_EQ(next.find_option(coap::option::kBlock1), nullptr);
  EXPECT_EQ(next.find_option(coap::option::kSize1), nullptr);
  EXPECT_EQ(block2_of(next), (BlockOption{3, false, 5}));
  EXPECT_EQ(next.uri_path(), "/api/v1/provisioning/credentials");
}

}  // namespace
}  // namespace dps::device
