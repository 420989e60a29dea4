// What a device can tell about a session that did not come up, and what a person should do about
// it. The device sees only its own side: its verification of the server, the TLS alert the server
// sent, or the Abort (7.05) the server sends before serving a device it refuses; dps tells the
// device no more (the refusal's reason is its owner's to read, in the device's record).
#pragma once

#include <boost/system/error_code.hpp>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "device/device_types.hpp"

namespace dps::device {

/// Classifies a failed TLS handshake, or a failed first read of a session (under TLS 1.3 the
/// server judges the client certificate after the client's handshake completed, so its alert
/// arrives then). `verify_result` is SSL_get_verify_result() of the device's own check of the
/// server's chain.
ConnectFailure classify_tls_error(const boost::system::error_code& ec, long verify_result);

/// The ErrorCode DeviceSession reports each failure with, and back (connect_failure_of() reads an
/// error of DeviceSession::connect; Refused travels as Forbidden with DeviceSession::refusal()).
ErrorCode error_code_of(ConnectFailure failure);
ConnectFailure connect_failure_of(const Error& connect_error);

/// The likely causes of `failure` and what to do, for a person (one or two lines, no trailing
/// newline); empty when there is nothing to add. `ca_file` is the trust anchor's file (--ca),
/// `registration_id` the device's record id at dps.
std::string connect_hint(ConnectFailure failure, std::string_view ca_file,
                         std::string_view registration_id);

}  // namespace dps::device
