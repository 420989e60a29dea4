// One device association over UDP+DTLS (apis.coap.protocols: [udp]): the DTLS handshake, then
// CoAP's message layer (RFC 7252 §4: confirmable messages and their acknowledgements, duplicate
// detection by Message ID, resets), block-wise transfer (RFC 7959) for bodies larger than a
// datagram, until the device leaves or goes idle. What the requests mean is the same
// provisioning::DeviceConversation the TCP session uses.
#pragma once

#include <boost/asio/awaitable.hpp>

#include "net/device_session.hpp"

namespace dps::net {

class DtlsChannel;

/// Runs an association to completion on the channel's strand; never throws. The DtlsServer closes
/// the channel afterwards.
boost::asio::awaitable<void> run_udp_device_session(DtlsChannel& channel,
                                                    const SessionDependencies& deps);

}  // namespace dps::net
