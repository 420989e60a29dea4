// What decoding costs in memory, measured: this executable replaces the global operator new with
// one that counts the bytes requested, so it must stay a test binary of its own (coap_alloc_test)
// and never share a unity TU with other tests.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <variant>

#include "coap/tcp_framing.hpp"
#include "empty_options_frame.hpp"

namespace {

std::atomic<size_t> g_allocated{0};

void* counted_allocation(size_t size) {
  g_allocated.fetch_add(size, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}

}  // namespace

// Replaceable allocation functions ([new.delete.single], [new.delete.array]). The nothrow and
// sized forms of libstdc++ forward to these; the aligned ones keep their own pair.
void* operator new(size_t size) { return counted_allocation(size); }
void* operator new[](size_t size) { return counted_allocation(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }

namespace dps::coap {
namespace {

// Bytes requested from operator new while decoding `bytes` (the input itself is already built).
size_t bytes_allocated_decoding(const std::vector<uint8_t>& bytes, DecodeResult* out) {
  const size_t before = g_allocated.load();
  *out = decode_frame(bytes, bytes.size());
  return g_allocated.load() - before;
}

TEST(TcpFrameDecoderMemory, CountingHookSeesDecoderAllocations) {
  // Guards the measurement below: a decoded option with a value must show up in the count.
  Message m;
  m.code = Code::Get;
  m.add_option(option::kUriPath, std::vector<uint8_t>(200, 'p'));
  DecodeResult result;
  EXPECT_GE(bytes_allocated_decoding(encode_frame(m), &result), 200u);
  EXPECT_TRUE(std::holds_alternative<Frame>(result));
}

TEST(TcpFrameDecoderMemory, QuarterMebibyteOfEmptyOptionsCostsNoMoreThanTheCap) {
  const auto flood = test::frame_of_empty_options(256 * 1024);
  DecodeResult result;
  const size_t flood_cost = bytes_allocated_decoding(flood, &result);
  ASSERT_TRUE(std::holds_alternative<DecodeError>(result));
  EXPECT_EQ(std::get<DecodeError>(result), DecodeError::TooManyOptions);

  // A message at the cap costs what the refused flood did: decoding stopped there.
  Message at_cap;
  at_cap.code = Code::Get;
  for (size_t i = 0; i < kMaxOptionsPerMessage; ++i) at_cap.add_option(option::kIfMatch, {});
  const size_t cap_cost = bytes_allocated_decoding(encode_frame(at_cap), &result);
  ASSERT_TRUE(std::holds_alternative<Frame>(result));
  EXPECT_LE(flood_cost, cap_cost);
  // Before the cap this was over 8 MiB (32 bytes per option, plus the vector's regrowth): now a
  // few KiB, a small fraction of the bytes received.
  EXPECT_LT(flood_cost, 8 * 1024u) << "frame of " << flood.size() << " bytes";
}

}  // namespace
}  // namespace dps::coap
