#include "tpm/marshal.hpp"

#include <cassert>

#include "common/hex.hpp"

namespace dps::tpm {

Result<ByteView> Reader::take(std::size_t n, std::string_view field) {
  if (n > remaining()) {
    return fail(ErrorCode::BadRequest, std::string(field) + ": truncated (needs " +
                                           std::to_string(n) + " bytes at offset " +
                                           std::to_string(at_) + ", " +
                                           std::to_string(remaining()) + " left)");
  }
  const ByteView out = data_.subspan(at_, n);
  at_ += n;
  return out;
}

Result<std::uint8_t> Reader::u8(std::string_view field) {
  auto b = take(1, field);
  if (!b) return tl::unexpected(b.error());
  return (*b)[0];
}

Result<std::uint16_t> Reader::u16(std::string_view field) {
  auto b = take(2, field);
  if (!b) return tl::unexpected(b.error());
  return static_cast<std::uint16_t>(((*b)[0] << 8) | (*b)[1]);
}

Result<std::uint32_t> Reader::u32(std::string_view field) {
  auto b = take(4, field);
  if (!b) return tl::unexpected(b.error());
  std::uint32_t v = 0;
  for (const std::uint8_t c : *b) v = (v << 8) | c;
  return v;
}

Result<std::uint64_t> Reader::u64(std::string_view field) {
  auto b = take(8, field);
  if (!b) return tl::unexpected(b.error());
  std::uint64_t v = 0;
  for (const std::uint8_t c : *b) v = (v << 8) | c;
  return v;
}

Result<Bytes> Reader::bytes(std::size_t n, std::string_view field) {
  auto b = take(n, field);
  if (!b) return tl::unexpected(b.error());
  return Bytes(b->begin(), b->end());
}

Result<Bytes> Reader::sized(std::size_t max_size, std::string_view field) {
  auto size = u16(std::string(field) + ".size");
  if (!size) return tl::unexpected(size.error());
  // Checked before the copy: the size is the peer's claim (TPM_RC_SIZE in the TPM itself).
  if (*size > max_size) {
    return fail(ErrorCode::BadRequest, std::string(field) + ": size " + std::to_string(*size) +
                                           " above the maximum " + std::to_string(max_size));
  }
  return bytes(*size, field);
}

Result<void> Reader::expect_end(std::string_view what) const {
  if (remaining() != 0) {
    return fail(ErrorCode::BadRequest,
                std::string(what) + ": " + std::to_string(remaining()) + " trailing bytes");
  }
  return {};
}

Writer& Writer::u8(std::uint8_t v) {
  out_.push_back(v);
  return *this;
}

Writer& Writer::u16(std::uint16_t v) {
  out_.push_back(static_cast<std::uint8_t>(v >> 8));
  out_.push_back(static_cast<std::uint8_t>(v));
  return *this;
}

Writer& Writer::u32(std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out_.push_back(static_cast<std::uint8_t>(v >> shift));
  return *this;
}

Writer& Writer::u64(std::uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8)
    out_.push_back(static_cast<std::uint8_t>(v >> shift));
  return *this;
}

Writer& Writer::bytes(ByteView v) {
  out_.insert(out_.end(), v.begin(), v.end());
  return *this;
}

Writer& Writer::sized(ByteView v) {
  assert(v.size() <= 0xffff);
  u16(static_cast<std::uint16_t>(v.size()));
  return bytes(v);
}

std::string to_hex(ByteView data) { return dps::to_hex(data); }

Result<Bytes> from_hex(std::string_view hex) {
  if (hex.size() % 2 != 0) return fail(ErrorCode::BadRequest, "hex: odd number of digits");
  const auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  Bytes out;
  out.reserve(hex.size() / 2);
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int hi = nibble(hex[i]);
    const int lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return fail(ErrorCode::BadRequest, "hex: not a hex digit");
    out.push_back(static_cast<std::uint8_t>((hi << 4) | lo));
  }
  return out;
}

}  // namespace dps::tpm
