// The big-endian reader/writer every TPM parser is built on: byte order, bounds, and errors that
// name the field.
#include "tpm/marshal.hpp"

#include <gtest/gtest.h>

namespace dps::tpm {
namespace {

TEST(TpmMarshal, WritesBigEndianAndReadsItBack) {
  Writer w;
  const Bytes payload{0xaa, 0xbb};
  w.u8(0x01).u16(0x0203).u32(0x04050607).u64(0x08090a0b0c0d0e0f).sized(payload);
  EXPECT_EQ(to_hex(w.data()),
            "010203040506070809"
            "0a0b0c0d0e0f0002aabb");
  Reader r(w.data());
  EXPECT_EQ(*r.u8("a"), 0x01);
  EXPECT_EQ(*r.u16("b"), 0x0203);
  EXPECT_EQ(*r.u32("c"), 0x04050607u);
  EXPECT_EQ(*r.u64("d"), 0x08090a0b0c0d0e0full);
  EXPECT_EQ(*r.sized(2, "e"), payload);
  EXPECT_TRUE(r.expect_end("all"));
}

TEST(TpmMarshal, RefusesReadingPastTheEndNamingTheField) {
  const Bytes data{0x00, 0x05, 0x01};
  Reader r(data);
  const auto body = r.sized(64, "TPM2B_X");
  ASSERT_FALSE(body);
  EXPECT_EQ(body.error().code, ErrorCode::BadRequest);
  EXPECT_EQ(body.error().internal, "TPM2B_X: truncated (needs 5 bytes at offset 2, 1 left)");
  Reader short_u32(ByteView(data).first(3));
  EXPECT_NE(short_u32.u32("F.field").error().internal.find("F.field: truncated"),
            std::string::npos);
}

TEST(TpmMarshal, RefusesASizeAboveTheBufferMaximumBeforeCopying) {
  const Bytes data{0xff, 0xff};
  Reader r(data);
  const auto body = r.sized(48, "TPM2B_DIGEST");
  ASSERT_FALSE(body);
  EXPECT_EQ(body.error().internal, "TPM2B_DIGEST: size 65535 above the maximum 48");
}

TEST(TpmMarshal, ReportsTrailingBytes) {
  const Bytes data{0x00, 0x01};
  Reader r(data);
  ASSERT_TRUE(r.u8("a"));
  EXPECT_EQ(r.expect_end("X").error().internal, "X: 1 trailing bytes");
}

TEST(TpmMarshal, HexRoundTripAndRefusals) {
  EXPECT_EQ(*from_hex("00ffAb"), (Bytes{0x00, 0xff, 0xab}));
  EXPECT_EQ(to_hex(*from_hex("00ffab")), "00ffab");
  EXPECT_FALSE(from_hex("abc"));
  EXPECT_FALSE(from_hex("zz"));
}

}  // namespace
}  // namespace dps::tpm
