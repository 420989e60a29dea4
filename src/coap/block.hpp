// Block-wise transfer (RFC 7959) for CoAP over UDP: the Block1/Block2 option value, slicing a
// response into Block2 blocks, and reassembling a request body sent in Block1 blocks. A device's
// credentials answer (certificate chain) is larger than one datagram, and a CSR may be too.
// No I/O, no exceptions; memory follows bytes actually received, never a size a peer announces.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <tl/expected.hpp>
#include <variant>
#include <vector>

#include "coap/message.hpp"

namespace dps::coap {

/// RFC 7959 §2.2: NUM has 20 bits in the longest (3-byte) option value.
constexpr uint32_t kMaxBlockNumber = (1u << 20) - 1;
/// Largest SZX on UDP: 1024-byte blocks. 7 means BERT (RFC 8323 §6), for reliable transports only.
constexpr uint8_t kMaxBlockSzx = 6;
/// RFC 7959 §2.2: Block1/Block2 values are 0 to 3 bytes.
constexpr size_t kMaxBlockOptionLength = 3;

/// One Block1 or Block2 option value: NUM, M and SZX (RFC 7959 §2.2).
struct BlockOption {
  uint32_t num = 0;
  bool more = false;
  uint8_t szx = 0;

  /// Block size in bytes: 2^(SZX + 4).
  size_t size() const { return size_t{16} << szx; }
  /// Offset of this block's first byte in the whole body.
  uint64_t offset() const { return uint64_t{num} * size(); }

  bool operator==(const BlockOption&) const = default;
};

enum class BlockError {
  OptionTooLong,  // value longer than 3 bytes (RFC 7959 §2.2): a malformed critical option
  ReservedSzx,    // SZX 7 (BERT) outside a reliable transport (RFC 7959 §2.2: 4.00)
  Repeated,       // the option occurs more than once (RFC 7252 §5.4.5: critical, not repeatable)
  BeyondEnd,      // block2_slice(): the block starts past the end of the representation
};

/// Short English text for logs and diagnostic payloads.
std::string_view to_string(BlockError error);

/// The response code for a request refused with `error`: 4.00 Bad Request for a reserved SZX
/// (RFC 7959 §2.2 says so), 4.02 Bad Option for the rest (a malformed or repeated critical option,
/// RFC 7252 §5.4.1; a block number past the end, RFC 7959 §2.4).
[[nodiscard]] Code response_code(BlockError error);

/// Decodes an option value. Leading zero bytes are accepted (a uint, RFC 7252 §3.2).
[[nodiscard]] tl::expected<BlockOption, BlockError> decode_block_value(
    std::span<const uint8_t> value);

/// Minimal encoding (0 to 3 bytes). @pre block.num <= kMaxBlockNumber, block.szx <= 7.
[[nodiscard]] std::vector<uint8_t> encode_block_value(const BlockOption& block);

/// The option `number` (option::kBlock1 or option::kBlock2) of `m`: nullopt when absent.
[[nodiscard]] tl::expected<std::optional<BlockOption>, BlockError> read_block(const Message& m,
                                                                              uint16_t number);

/// Replaces any option `number` of `m` with `block`.
void set_block(Message& m, uint16_t number, const BlockOption& block);

/// Largest SZX (at most kMaxBlockSzx) whose blocks fit in `bytes`; 0 when even 16 bytes do not.
[[nodiscard]] uint8_t largest_szx_within(size_t bytes);

/// Block `num` of size 2^(szx+4) of `full_response`: its code, token and options (any Block2 or
/// Size2 it had replaced), Block2 {num, more, szx}, Size2 = the whole payload's size on block 0
/// (RFC 7959 §4, so the client can tell the total up front), and that slice of the payload.
/// Block 0 of an empty payload is an empty block with M = 0. The caller sets the token of the
/// request it answers (each block request may carry a new one, RFC 7959 §2.4).
/// @return BeyondEnd when the block starts at or past the end of a non-empty payload (or num is
///         above kMaxBlockNumber), ReservedSzx when szx > kMaxBlockSzx; the caller answers
///         response_code() of it.
[[nodiscard]] tl::expected<Message, BlockError> block2_slice(const Message& full_response,
                                                             uint32_t num, uint8_t szx);

/// Answer 2.31 Continue carrying Block1 = `echo` (RFC 7959 §2.3): the block was stored.
struct Block1Continue {
  BlockOption echo;
};

/// The whole request: hand `request` to the router. When it came in blocks, `request` is the last
/// block's message (its token, options other than Block1/Size1) with the assembled payload, and
/// the final response must carry Block1 = `echo` (M = 0).
struct Block1Complete {
  Message request;
  std::optional<BlockOption> echo;
};

/// Answer `code` with `reason` as diagnostic payload. For 4.13 the caller adds Size1 =
/// Block1Assembler::max_body() (RFC 7959 §4: the largest body the server takes).
struct Block1Refusal {
  Code code = Code::BadRequest;
  std::string_view reason;
};

using Block1Result = std::variant<Block1Continue, Block1Complete, Block1Refusal>;

/// Reassembles one peer's Block1 request bodies (RFC 7959 §2.3, §2.5). One transfer at a time per
/// peer: a block 0 starts a transfer and replaces any other (bounded memory, and RFC 7959 §2.5
/// lets a new transfer supersede an old one). A transfer is identified by method, Uri-Path and
/// Uri-Query, not by token: the blocks of one transfer may carry different tokens.
///
/// Blocks must come in order: each one must start exactly where the stored body ends. The
/// retransmission of the block just stored (same NUM, SZX and bytes) is acknowledged again
/// without storing it twice. Any other block out of order is refused with 4.08 Request Entity
/// Incomplete. The block size may shrink (RFC 7959 §2.3 lets the server ask for smaller blocks;
/// the echo says so when the client's are above `max_szx`) but never grow: a larger SZX than the
/// previous block's is refused with 4.00. Size1 above the limit is refused with 4.13 before any
/// byte is stored, and so is a block that would take the body over the limit. A refusal abandons
/// the transfer it belongs to; the client starts again from block 0.
class Block1Assembler {
 public:
  /// @param max_body  largest request body accepted, in bytes.
  /// @param max_szx   largest block size taken; larger first blocks are stored and the echo asks
  ///                  for this size from then on.
  explicit Block1Assembler(size_t max_body, uint8_t max_szx = kMaxBlockSzx);

  /// Processes one request. A request without Block1 is Complete as it is (4.13 when its payload
  /// alone is over the limit) and leaves a transfer in progress alone.
  [[nodiscard]] Block1Result accept(const Message& request);

  /// Drops the transfer in progress (an abandoned transfer: the session's idle timer fired).
  void reset();

  bool in_progress() const { return transfer_.has_value(); }
  /// Body bytes held for the transfer in progress.
  size_t buffered() const { return transfer_ ? transfer_->body.size() : 0; }
  size_t max_body() const { return max_body_; }

 private:
  struct Transfer {
    Code method = Code::Empty;
    std::vector<Option> target;  // Uri-Path and Uri-Query options: the resource the body is for
    uint8_t max_szx = 0;         // largest SZX the next block may use
    BlockOption last;            // the block stored last, to recognise its retransmission
    size_t last_length = 0;
    std::vector<uint8_t> body;
  };

  Block1Result start(const Message& request, const BlockOption& block, std::vector<Option> target);

  size_t max_body_;
  uint8_t max_szx_;
  std::optional<Transfer> transfer_;
};

}  // namespace dps::coap
