// datagram_bio: one read is one queued datagram, one write one outbound datagram, and the MTU and
// peer controls answer as a UDP socket's BIO would, for IPv4 and IPv6 peers.
#include "net/datagram_bio.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <array>

namespace dps::net {
namespace {

using Bytes = std::vector<uint8_t>;

struct BioFixture : ::testing::Test {
  BioFixture() : bio(datagram_bio::create()) {}
  ~BioFixture() override { BIO_free(bio); }

  void set_peer(int family, const void* address, size_t size, uint16_t port) {
    BIO_ADDR* peer = BIO_ADDR_new();
    BIO_ADDR_rawmake(peer, family, address, size, htons(port));
    EXPECT_EQ(BIO_dgram_set_peer(bio, peer), 1);
    BIO_ADDR_free(peer);
  }

  BIO* bio;
};

TEST_F(BioFixture, EachReadReturnsOneWholeDatagramThenAsksToRetry) {
  datagram_bio::push_inbound(bio, Bytes{1, 2, 3});
  datagram_bio::push_inbound(bio, Bytes{4, 5});
  EXPECT_EQ(datagram_bio::inbound_count(bio), 2u);
  EXPECT_EQ(datagram_bio::largest_inbound(bio), 3u);
  std::array<uint8_t, 16> buffer{};
  EXPECT_EQ(BIO_read(bio, buffer.data(), static_cast<int>(buffer.size())), 3);
  EXPECT_EQ(BIO_read(bio, buffer.data(), static_cast<int>(buffer.size())), 2);
  EXPECT_EQ(buffer[0], 4);
  EXPECT_LE(BIO_read(bio, buffer.data(), static_cast<int>(buffer.size())), 0);
  EXPECT_TRUE(BIO_should_retry(bio));
  EXPECT_TRUE(BIO_should_read(bio));
}

TEST_F(BioFixture, WhatDoesNotFitTheReadIsLostNotReadLater) {
  datagram_bio::push_inbound(bio, Bytes{1, 2, 3, 4});
  datagram_bio::push_inbound(bio, Bytes{9});
  std::array<uint8_t, 2> small{};
  EXPECT_EQ(BIO_read(bio, small.data(), 2), 2);
  std::array<uint8_t, 8> next{};
  EXPECT_EQ(BIO_read(bio, next.data(), 8), 1);
  EXPECT_EQ(next[0], 9);
}

TEST_F(BioFixture, EachWriteIsOneOutboundDatagramAndNothingIsPendingInTheNext) {
  EXPECT_EQ(BIO_write(bio, "abc", 3), 3);
  EXPECT_EQ(BIO_write(bio, "de", 2), 2);
  EXPECT_EQ(BIO_ctrl_wpending(bio), 0u);
  EXPECT_EQ(BIO_flush(bio), 1);
  const auto out = datagram_bio::take_outbound(bio);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0], (Bytes{'a', 'b', 'c'}));
  EXPECT_EQ(out[1], (Bytes{'d', 'e'}));
  EXPECT_TRUE(datagram_bio::take_outbound(bio).empty());
}

TEST_F(BioFixture, PeerRoundTripsAndTheMtuFollowsItsAddressFamily) {
  const in_addr v4{htonl(0x0a000001)};
  set_peer(AF_INET, &v4, sizeof v4, 5684);
  BIO_ADDR* peer = BIO_ADDR_new();
  ASSERT_GT(BIO_dgram_get_peer(bio, peer), 0);
  EXPECT_EQ(BIO_ADDR_family(peer), AF_INET);
  EXPECT_EQ(ntohs(BIO_ADDR_rawport(peer)), 5684);
  EXPECT_EQ(BIO_dgram_get_mtu_overhead(bio), 28u);
  EXPECT_EQ(BIO_ctrl(bio, BIO_CTRL_DGRAM_QUERY_MTU, 0, nullptr), 1280 - 28);

  in6_addr v6{};
  v6.s6_addr[0] = 0x20;
  v6.s6_addr[1] = 0x01;
  set_peer(AF_INET6, &v6, sizeof v6, 5684);
  EXPECT_EQ(BIO_dgram_get_mtu_overhead(bio), 48u);
  EXPECT_EQ(BIO_ctrl(bio, BIO_CTRL_DGRAM_QUERY_MTU, 0, nullptr), 1280 - 48);

  in6_addr mapped{};
  mapped.s6_addr[10] = 0xff;
  mapped.s6_addr[11] = 0xff;
  mapped.s6_addr[15] = 1;
  set_peer(AF_INET6, &mapped, sizeof mapped, 5684);
  EXPECT_EQ(BIO_dgram_get_mtu_overhead(bio), 28u) << "an IPv4 peer of a dual-stack socket";
  BIO_ADDR_free(peer);
}

TEST_F(BioFixture, ApplicationDataDatagramsReadAreCounted) {
  datagram_bio::push_inbound(bio, Bytes{23, 0xfe, 0xfd});
  datagram_bio::push_inbound(bio, Bytes{22, 0xfe, 0xfd});
  std::array<uint8_t, 8> buffer{};
  BIO_read(bio, buffer.data(), 8);
  BIO_read(bio, buffer.data(), 8);
  EXPECT_EQ(datagram_bio::application_data_read(bio), 1u);
}

}  // namespace
}  // namespace dps::net
