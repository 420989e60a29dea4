// Big-endian marshalling of TPM 2.0 types (TPM 2.0 Part 2 §5, "Base types", and §10.4, sized
// buffers "TPM2B_"). Reader never reads past its input and names the field that was short, so
// every parser above it rejects truncated structures with a message a peer can act on.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace dps::tpm {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

/// Reads TPM types from untrusted bytes. Every method names the field it reads (e.g.
/// "TPMT_PUBLIC.nameAlg") so that errors say which field was truncated or out of bounds.
/// Errors are ErrorCode::BadRequest.
class Reader {
 public:
  explicit Reader(ByteView data) : data_(data) {}

  Result<std::uint8_t> u8(std::string_view field);
  Result<std::uint16_t> u16(std::string_view field);
  Result<std::uint32_t> u32(std::string_view field);
  Result<std::uint64_t> u64(std::string_view field);
  /// `n` raw bytes.
  Result<Bytes> bytes(std::size_t n, std::string_view field);
  /// A TPM2B: a UINT16 size, then that many bytes; a size above `max_size` (the TPM's own bound
  /// for that buffer type) is refused before anything is copied.
  Result<Bytes> sized(std::size_t max_size, std::string_view field);

  std::size_t remaining() const { return data_.size() - at_; }
  std::size_t offset() const { return at_; }
  /// Fails unless every byte was consumed ("<what>: N trailing bytes").
  Result<void> expect_end(std::string_view what) const;

 private:
  Result<ByteView> take(std::size_t n, std::string_view field);

  ByteView data_;
  std::size_t at_ = 0;
};

/// Appends TPM types big-endian.
class Writer {
 public:
  Writer& u8(std::uint8_t v);
  Writer& u16(std::uint16_t v);
  Writer& u32(std::uint32_t v);
  Writer& u64(std::uint64_t v);
  Writer& bytes(ByteView v);
  /// A TPM2B: UINT16 size then `v`. Precondition: v.size() <= 0xffff (asserted: our own output).
  Writer& sized(ByteView v);

  const Bytes& data() const { return out_; }
  Bytes take() { return std::move(out_); }

 private:
  Bytes out_;
};

/// `data` as lowercase hex.
std::string to_hex(ByteView data);
/// Lowercase or uppercase hex to bytes; BadRequest on odd length or a non-hex character.
Result<Bytes> from_hex(std::string_view hex);
/// The bytes of a string (labels, test data).
inline ByteView as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace dps::tpm
