// Block-wise transfer (RFC 7959) from the device's side of CoAP over UDP: cutting a request body
// too large for one datagram into Block1 blocks, and collecting a response the server sends in
// Block2 blocks (a credentials answer, a certificate chain, is larger than a datagram). Pure: no
// I/O; memory follows the bytes received, capped, never a size the server announces.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "coap/block.hpp"
#include "coap/message.hpp"
#include "common/result.hpp"

namespace dps::device {

/// Largest request datagram the device sends whole (RFC 7252 §4.6's 1152 bytes: fits the IPv6
/// minimum MTU with DTLS's overhead); a larger request goes in Block1 blocks.
inline constexpr size_t kMaxRequestDatagram = 1152;

/// Block `num` of `request`'s body in blocks of 2^(szx+4) bytes: a copy of `request` with that
/// slice as payload, Block1 {num, more, szx} and, on block 0, Size1 = the whole body's size
/// (RFC 7959 §4). @pre the block starts within the body; szx <= coap::kMaxBlockSzx.
[[nodiscard]] coap::Message block1_piece(const coap::Message& request, uint32_t num, uint8_t szx);

/// The request for block `num` (of 2^(szx+4) bytes) of the response to `request` (RFC 7959
/// §2.4): its code, token and options without payload, Block1 or Size1, with Block2 {num, 0, szx}.
[[nodiscard]] coap::Message block2_request(const coap::Message& request, uint32_t num, uint8_t szx);

/// Collects one response that comes in Block2 blocks, strictly in order. A response without
/// Block2 is whole as it is.
class Block2Collector {
 public:
  /// @param max_body  largest response body taken, in bytes (the device's buffer).
  explicit Block2Collector(size_t max_body);

  /// Adds the next block (the answer to the last request). Returns the block to ask for next,
  /// or nullopt when the response is whole (take() it). Fails with BadRequest, naming the
  /// problem, on a malformed or reserved Block2 option, a block that is not the next one, a block
  /// with M set that is not full-sized, a block of another code than the first, or a body (or
  /// announced Size2) over max_body.
  [[nodiscard]] Result<std::optional<coap::BlockOption>> add(const coap::Message& block);

  /// The whole response: the first block's code, token and options (without Block2 and Size2)
  /// with every block's payload. @pre add() returned nullopt.
  [[nodiscard]] coap::Message take();

  size_t body_size() const { return response_ ? response_->payload.size() : 0; }

 private:
  size_t max_body_;
  std::optional<coap::Message> response_;
};

}  // namespace dps::device
