// An OpenSSL BIO with datagram semantics over memory, under every SSL of the DTLS listener
// (net::DtlsServer). The listener owns the one UDP socket: it queues each datagram a peer sent
// into that peer's BIO and sends what OpenSSL wrote. A read returns exactly one queued datagram
// (or asks to retry), each write is one outbound datagram, and the MTU and peer controls answer
// as OpenSSL's socket datagram BIO would, so that DTLS fragments its handshake flights to the
// link MTU and DTLSv1_listen/the cookie callbacks see the peer's address.
#pragma once

#include <openssl/bio.h>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace dps::net::datagram_bio {

/// The IPv6 minimum MTU (RFC 8200 §5): every path a device reaches dps by carries it unfragmented.
constexpr size_t kDefaultLinkMtu = 1280;

/// A new BIO with empty queues and no peer; freed by BIO_free (or by the SSL it is given to).
BIO* create(size_t link_mtu = kDefaultLinkMtu);

/// Queues one inbound datagram; the next BIO_read returns it.
void push_inbound(BIO* bio, std::vector<uint8_t> datagram);
/// Datagrams queued and not yet read by OpenSSL.
size_t inbound_count(BIO* bio);
/// The size of the largest queued inbound datagram (0 when none).
size_t largest_inbound(BIO* bio);
/// How many datagrams whose first record is application data OpenSSL has read so far: a read
/// that consumed some and produced no data means their records were dropped (bad MAC, replayed,
/// another epoch), which OpenSSL does silently (RFC 6347 §4.1.2.7).
uint64_t application_data_read(BIO* bio);
/// Takes the datagrams OpenSSL wrote since the last call, oldest first.
std::vector<std::vector<uint8_t>> take_outbound(BIO* bio);
/// Drops every queued datagram, both ways.
void clear(BIO* bio);

/// Sets the peer the datagrams come from and go to (what BIO_CTRL_DGRAM_GET_PEER answers).
bool set_peer(BIO* bio, const BIO_ADDR* peer);

}  // namespace dps::net::datagram_bio
