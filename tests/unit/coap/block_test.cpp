// RFC 7959 Block1/Block2 option values and Block2 slicing of a large response.
#include "coap/block.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace dps::coap {
namespace {

// A 2,500-byte answer: larger than one 1152-byte datagram, like the credentials answer with its
// chain. Every byte differs from its neighbours so a misplaced slice shows.
Message block_large_response() {
  Message m;
  m.code = Code::Changed;
  m.token = {0xca, 0xfe};
  m.add_uint_option(option::kContentFormat, content_format::kOcfCbor);
  m.payload.resize(2500);
  for (size_t i = 0; i < m.payload.size(); ++i)
    m.payload[i] = static_cast<uint8_t>(i * 7 + i / 256);
  return m;
}

BlockOption block_of(const Message& m, uint16_t number) {
  const auto read = read_block(m, number);
  if (!read || !read->has_value()) {
    ADD_FAILURE() << "no valid block option " << number;
    return {};
  }
  return **read;
}

TEST(BlockOption, EncodesNumMoreAndSzxMinimally) {
  using Bytes = std::vector<uint8_t>;
  EXPECT_EQ(encode_block_value({0, false, 0}), Bytes{});  // RFC 7252 §3.2: 0 is the empty value
  EXPECT_EQ(encode_block_value({0, true, 6}), Bytes{0x0e});
  EXPECT_EQ(encode_block_value({1, false, 6}), Bytes{0x16});
  EXPECT_EQ(encode_block_value({15, true, 2}), Bytes{0xfa});
  EXPECT_EQ(encode_block_value({16, false, 2}), (Bytes{0x01, 0x02}));
  EXPECT_EQ(encode_block_value({4095, true, 6}), (Bytes{0xff, 0xfe}));
  EXPECT_EQ(encode_block_value({4096, false, 0}), (Bytes{0x01, 0x00, 0x00}));
  EXPECT_EQ(encode_block_value({kMaxBlockNumber, true, 6}), (Bytes{0xff, 0xff, 0xfe}));
}

TEST(BlockOption, DecodesWhatItEncodes) {
  for (const uint32_t num : {0u, 1u, 15u, 16u, 4095u, 4096u, kMaxBlockNumber}) {
    for (uint8_t szx = 0; szx <= kMaxBlockSzx; ++szx) {
      for (const bool more : {false, true}) {
        const BlockOption block{num, more, szx};
        const auto decoded = decode_block_value(encode_block_value(block));
        ASSERT_TRUE(decoded);
        EXPECT_EQ(*decoded, block);
      }
    }
  }
  EXPECT_EQ(BlockOption({3, false, 6}).size(), 1024u);
  EXPECT_EQ(BlockOption({3, false, 6}).offset(), 3072u);
  EXPECT_EQ(BlockOption({kMaxBlockNumber, false, 6}).offset(), uint64_t{kMaxBlockNumber} * 1024);
}

TEST(BlockOption, AcceptsLeadingZeroBytes) {
  const auto decoded = decode_block_value(std::vector<uint8_t>{0x00, 0x00, 0x16});
  ASSERT_TRUE(decoded);
  EXPECT_EQ(*decoded, (BlockOption{1, false, 6}));
}

TEST(BlockOption, RefusesValuesLongerThanThreeBytesAndBert) {
  const auto too_long = decode_block_value(std::vector<uint8_t>{0x00, 0x00, 0x00, 0x16});
  ASSERT_FALSE(too_long);
  EXPECT_EQ(too_long.error(), BlockError::OptionTooLong);
  EXPECT_EQ(response_code(too_long.error()), Code::BadOption);
  // SZX 7 is BERT, for reliable transports only: RFC 7959 §2.2 asks for 4.00.
  for (const auto& value : std::vector<std::vector<uint8_t>>{{0x07}, {0x0f}, {0x12, 0x3f}}) {
    const auto bert = decode_block_value(value);
    ASSERT_FALSE(bert);
    EXPECT_EQ(bert.error(), BlockError::ReservedSzx);
    EXPECT_EQ(response_code(bert.error()), Code::BadRequest);
  }
}

TEST(BlockOption, ReadsAbsentPresentAndRepeatedOptions) {
  Message m;
  m.code = Code::Get;
  const auto absent = read_block(m, option::kBlock2);
  ASSERT_TRUE(absent);
  EXPECT_FALSE(absent->has_value());

  set_block(m, option::kBlock2, {2, false, 5});
  EXPECT_EQ(block_of(m, option::kBlock2), (BlockOption{2, false, 5}));
  set_block(m, option::kBlock2, {3, false, 5});  // replaces, does not repeat
  EXPECT_EQ(block_of(m, option::kBlock2), (BlockOption{3, false, 5}));
  EXPECT_FALSE(read_block(m, option::kBlock1)->has_value());  // the other option is separate

  m.add_option(option::kBlock2, encode_block_value({4, false, 5}));
  const auto repeated = read_block(m, option::kBlock2);
  ASSERT_FALSE(repeated);
  EXPECT_EQ(repeated.error(), BlockError::Repeated);
  EXPECT_EQ(response_code(repeated.error()), Code::BadOption);
}

TEST(BlockOption, PicksTheLargestSizeThatFits) {
  EXPECT_EQ(largest_szx_within(5000), 6);
  EXPECT_EQ(largest_szx_within(1024), 6);
  EXPECT_EQ(largest_szx_within(1023), 5);
  EXPECT_EQ(largest_szx_within(64), 2);
  EXPECT_EQ(largest_szx_within(16), 0);
  EXPECT_EQ(largest_szx_within(3), 0);
}

TEST(BlockOption, NamesEveryError) {
  for (const BlockError e : {BlockError::OptionTooLong, BlockError::ReservedSzx,
                             BlockError::Repeated, BlockError::BeyondEnd}) {
    EXPECT_NE(to_string(e), "unknown block error");
  }
}

// Fetches every block of `full` at `szx` as a client would, checking each, and returns the
// reassembled payload.
std::vector<uint8_t> block_fetch_all(const Message& full, uint8_t szx, size_t expected_blocks) {
  std::vector<uint8_t> reassembled;
  for (uint32_t num = 0;; ++num) {
    const auto block = block2_slice(full, num, szx);
    if (!block) {
      ADD_FAILURE() << "block " << num << ": " << to_string(block.error());
      break;
    }
    EXPECT_EQ(block->code, full.code);
    EXPECT_EQ(block->token, full.token);
    EXPECT_EQ(block->content_format(), full.content_format());
    const BlockOption b2 = block_of(*block, option::kBlock2);
    EXPECT_EQ(b2.num, num);
    EXPECT_EQ(b2.szx, szx);
    // Size2 on the first block only: the total, so the client knows what is coming.
    EXPECT_EQ(block->uint_option(option::kSize2),
              num == 0 ? std::optional<uint32_t>(full.payload.size()) : std::nullopt);
    reassembled.insert(reassembled.end(), block->payload.begin(), block->payload.end());
    if (!b2.more) {
      EXPECT_EQ(num + 1, expected_blocks);
      break;
    }
    EXPECT_EQ(block->payload.size(), b2.size());  // every block but the last is full
  }
  return reassembled;
}

TEST(Block2Slice, SlicesTwoAndAHalfKilobytesIn1024ByteBlocks) {
  const Message full = block_large_response();
  EXPECT_EQ(block_fetch_all(full, 6, 3), full.payload);
  EXPECT_EQ(block2_slice(full, 2, 6)->payload.size(), 2500u - 2048u);
  const auto beyond = block2_slice(full, 3, 6);
  ASSERT_FALSE(beyond);
  EXPECT_EQ(beyond.error(), BlockError::BeyondEnd);
  EXPECT_EQ(response_code(beyond.error()), Code::BadOption);
}

TEST(Block2Slice, SlicesTwoAndAHalfKilobytesIn64ByteBlocks) {
  const Message full = block_large_response();
  EXPECT_EQ(block_fetch_all(full, 2, 40), full.payload);  // 39 full blocks and 4 bytes
  EXPECT_EQ(block2_slice(full, 39, 2)->payload.size(), 4u);
  EXPECT_FALSE(block2_slice(full, 40, 2));
  EXPECT_FALSE(block2_slice(full, kMaxBlockNumber + 1, 0));
}

TEST(Block2Slice, EndsExactlyAtAPayloadThatIsAMultipleOfTheBlockSize) {
  Message full = block_large_response();
  full.payload.resize(2048);
  EXPECT_EQ(block_fetch_all(full, 6, 2), full.payload);
  EXPECT_FALSE(block2_slice(full, 2, 6));
}

TEST(Block2Slice, ServesAnEmptyPayloadAsOneEmptyBlock) {
  Message full = block_large_response();
  full.payload.clear();
  const auto block = block2_slice(full, 0, 6);
  ASSERT_TRUE(block);
  EXPECT_TRUE(block->payload.empty());
  EXPECT_EQ(block_of(*block, option::kBlock2), (BlockOption{0, false, 6}));
  EXPECT_EQ(block->uint_option(option::kSize2), 0u);
  EXPECT_FALSE(block2_slice(full, 1, 6));
}

TEST(Block2Slice, ReplacesBlock2AndSize2TheResponseAlreadyHad) {
  Message full = block_large_response();
  full.add_option(option::kBlock2, encode_block_value({7, true, 1}));
  full.add_uint_option(option::kSize2, 99);
  const auto block = block2_slice(full, 1, 6);
  ASSERT_TRUE(block);
  EXPECT_EQ(block_of(*block, option::kBlock2), (BlockOption{1, true, 6}));  // read_block: one
  EXPECT_EQ(block->find_option(option::kSize2), nullptr);
}

TEST(Block2Slice, RefusesBert) {
  const auto bert = block2_slice(block_large_response(), 0, 7);
  ASSERT_FALSE(bert);
  EXPECT_EQ(bert.error(), BlockError::ReservedSzx);
}

}  // namespace
}  // namespace dps::coap
