#include "net/datagram_bio.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <utility>

#include "net/dtls_record.hpp"

namespace dps::net::datagram_bio {
namespace {

constexpr size_t kIpv4Overhead = 20 + 8;  // IPv4 header without options, UDP header
constexpr size_t kIpv6Overhead = 40 + 8;  // IPv6 header, UDP header
constexpr size_t kIpv4MinimumMtu = 576;   // RFC 791: every IPv4 host accepts datagrams this large

struct State {
  State() : peer(BIO_ADDR_new()) {}
  ~State() { BIO_ADDR_free(peer); }
  State(const State&) = delete;
  State& operator=(const State&) = delete;

  // Few at a time (the listener bounds the inbox): a vector erased at the front is cheaper than a
  // deque, which allocates half a KiB even when empty.
  std::vector<std::vector<uint8_t>> inbound;
  std::vector<std::vector<uint8_t>> outbound;
  BIO_ADDR* peer;
  size_t link_mtu = kDefaultLinkMtu;
  size_t mtu = 0;  // as OpenSSL set it (BIO_CTRL_DGRAM_SET_MTU); 0 = derived from link_mtu
  uint64_t application_data_read = 0;
};

State& state_of(BIO* bio) { return *static_cast<State*>(BIO_get_data(bio)); }

bool copy_address(BIO_ADDR* to, const BIO_ADDR* from) {
  const int family = BIO_ADDR_family(from);
  if (family != AF_INET && family != AF_INET6) {
    BIO_ADDR_clear(to);
    return false;
  }
  std::array<unsigned char, 16> raw{};
  size_t size = 0;
  if (BIO_ADDR_rawaddress(from, nullptr, &size) != 1 || size > raw.size() ||
      BIO_ADDR_rawaddress(from, raw.data(), &size) != 1) {
    BIO_ADDR_clear(to);
    return false;
  }
  return BIO_ADDR_rawmake(to, family, raw.data(), size, BIO_ADDR_rawport(from)) == 1;
}

bool is_ipv4_path(const BIO_ADDR* peer) {
  if (BIO_ADDR_family(peer) == AF_INET) return true;
  if (BIO_ADDR_family(peer) != AF_INET6) return false;
  // A dual-stack socket sees IPv4 peers as ::ffff:a.b.c.d; their datagrams travel over IPv4.
  std::array<unsigned char, 16> raw{};
  size_t size = raw.size();
  if (BIO_ADDR_rawaddress(peer, raw.data(), &size) != 1 || size != raw.size()) return false;
  static constexpr std::array<unsigned char, 12> kMapped{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return std::equal(kMapped.begin(), kMapped.end(), raw.begin());
}

size_t overhead_of(const State& state) {
  return is_ipv4_path(state.peer) ? kIpv4Overhead : kIpv6Overhead;
}

// The largest datagram payload the peer's path carries, as OpenSSL's socket BIO would answer
// BIO_CTRL_DGRAM_QUERY_MTU.
size_t payload_mtu(const State& state) {
  const size_t overhead = overhead_of(state);
  return state.link_mtu > overhead ? state.link_mtu - overhead : 0;
}

int on_create(BIO* bio) {
  BIO_set_data(bio, new State);
  BIO_set_init(bio, 1);
  return 1;
}

int on_destroy(BIO* bio) {
  if (bio == nullptr) return 0;
  delete static_cast<State*>(BIO_get_data(bio));
  BIO_set_data(bio, nullptr);
  BIO_set_init(bio, 0);
  return 1;
}

int on_read(BIO* bio, char* out, int size) {
  BIO_clear_retry_flags(bio);
  State& state = state_of(bio);
  if (state.inbound.empty()) {
    BIO_set_retry_read(bio);
    return -1;
  }
  if (size <= 0) return 0;
  const std::vector<uint8_t>& datagram = state.inbound.front();
  // Datagram semantics: what does not fit is lost, never read as the start of the next one.
  const size_t n = std::min(datagram.size(), static_cast<size_t>(size));
  std::memcpy(out, datagram.data(), n);
  if (dtls_record::content_type(datagram) == dtls_record::kApplicationData) {
    ++state.application_data_read;
  }
  state.inbound.erase(state.inbound.begin());
  return static_cast<int>(n);
}

int on_write(BIO* bio, const char* in, int size) {
  BIO_clear_retry_flags(bio);
  if (size <= 0) return 0;
  const auto* bytes = reinterpret_cast<const uint8_t*>(in);
  state_of(bio).outbound.emplace_back(bytes, bytes + size);
  return size;
}

long on_ctrl(BIO* bio, int command, long number, void* pointer) {
  State& state = state_of(bio);
  switch (command) {
    case BIO_CTRL_FLUSH:
      return 1;
    case BIO_CTRL_RESET:
      state.inbound.clear();
      state.outbound.clear();
      return 1;
    case BIO_CTRL_PENDING:
      return state.inbound.empty() ? 0 : static_cast<long>(state.inbound.front().size());
    case BIO_CTRL_WPENDING:
      // Written datagrams are complete: none of their bytes share the next datagram, which is
      // what DTLS asks this for (it subtracts pending bytes from the room of the next fragment).
      return 0;
    case BIO_CTRL_DGRAM_QUERY_MTU:
      return static_cast<long>(payload_mtu(state));
    case BIO_CTRL_DGRAM_GET_FALLBACK_MTU: {
      const size_t overhead = overhead_of(state);
      const size_t floor = is_ipv4_path(state.peer) ? kIpv4MinimumMtu : kDefaultLinkMtu;
      return static_cast<long>(std::min(payload_mtu(state), floor - overhead));
    }
    case BIO_CTRL_DGRAM_GET_MTU:
      return static_cast<long>(state.mtu != 0 ? state.mtu : payload_mtu(state));
    case BIO_CTRL_DGRAM_SET_MTU:
      state.mtu = number > 0 ? static_cast<size_t>(number) : 0;
      return number;
    case BIO_CTRL_DGRAM_GET_MTU_OVERHEAD:
      return static_cast<long>(overhead_of(state));
    case BIO_CTRL_DGRAM_MTU_EXCEEDED:
      return 0;  // the listener never sends a datagram the kernel refused as too large
    case BIO_CTRL_DGRAM_GET_PEER:
      if (pointer == nullptr || BIO_ADDR_family(state.peer) == AF_UNSPEC) return 0;
      return copy_address(static_cast<BIO_ADDR*>(pointer), state.peer) ? 1 : 0;
    case BIO_CTRL_DGRAM_SET_PEER:
    case BIO_CTRL_DGRAM_CONNECT:
    case BIO_CTRL_DGRAM_SET_CONNECTED:
      if (pointer == nullptr) return command == BIO_CTRL_DGRAM_SET_CONNECTED ? 1 : 0;
      return copy_address(state.peer, static_cast<const BIO_ADDR*>(pointer)) ? 1 : 0;
    case BIO_CTRL_DGRAM_SET_NEXT_TIMEOUT:
      // The listener asks DTLSv1_get_timeout and runs the retransmission timer itself.
      return 1;
    case BIO_CTRL_DGRAM_GET_RECV_TIMER_EXP:
    case BIO_CTRL_DGRAM_GET_SEND_TIMER_EXP:
    case BIO_CTRL_EOF:
    default:
      return 0;
  }
}

BIO_METHOD* method() {
  // Created once, for the life of the process, like OpenSSL's own BIO methods.
  static BIO_METHOD* const created = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "dps datagram");
    if (m == nullptr) return m;
    BIO_meth_set_create(m, on_create);
    BIO_meth_set_destroy(m, on_destroy);
    BIO_meth_set_read(m, on_read);
    BIO_meth_set_write(m, on_write);
    BIO_meth_set_ctrl(m, on_ctrl);
    return m;
  }();
  return created;
}

}  // namespace

BIO* create(size_t link_mtu) {
  BIO_METHOD* m = method();
  BIO* bio = m ? BIO_new(m) : nullptr;
  if (bio != nullptr) state_of(bio).link_mtu = link_mtu;
  return bio;
}

void push_inbound(BIO* bio, std::vector<uint8_t> datagram) {
  state_of(bio).inbound.push_back(std::move(datagram));
}

size_t inbound_count(BIO* bio) { return state_of(bio).inbound.size(); }

size_t largest_inbound(BIO* bio) {
  size_t largest = 0;
  for (const auto& datagram : state_of(bio).inbound) largest = std::max(largest, datagram.size());
  return largest;
}

uint64_t application_data_read(BIO* bio) { return state_of(bio).application_data_read; }

std::vector<std::vector<uint8_t>> take_outbound(BIO* bio) {
  return std::exchange(state_of(bio).outbound, {});
}

void clear(BIO* bio) { (void)BIO_reset(bio); }

bool set_peer(BIO* bio, const BIO_ADDR* peer) { return copy_address(state_of(bio).peer, peer); }

}  // namespace dps::net::datagram_bio
