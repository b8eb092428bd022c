// Delivery over LMTP (RFC 2033) to a local store such as Dovecot, one recipient per call, over a
// unix socket or TCP, with blocking sockets and a time limit on each wait. The protocol is the
// client connection of statemachine/ (sm::ClientConnection with params.lmtp: LHLO, one reply per
// accepted recipient after the data, RFC 2033 §4.1-4.3); this file only moves bytes between the
// socket and that machine. Outcome from the recipient's reply (sm::delivery_status): 2xx
// Delivered, 4xx TempFail, 5xx PermFail; failing to connect, a timeout or a lost connection is
// TempFail. The destination is read by conf::parse_lmtp_destination, as the config checked it.
// Depends on: statemachine/ (sm/client_connection.hpp), grammar/conf, common/, deliver/outcome.hpp.
#pragma once

#include "deliver/outcome.hpp"

#include <chrono>
#include <string>
#include <string_view>

namespace smtpd::rt {

struct LmtpDelivery {
    std::string destination; ///< "/path" (unix socket), "host:port" or "[v6]:port"
    std::string sender;      ///< the envelope sender "a@b"; empty for <>
    std::string rcpt_to;     ///< the recipient address, or a user name alone (OpenSMTPD's default)
    std::string prepend;     ///< header lines with LF ends, sent before the message with CRLF
    std::string message_path;
    std::string lhlo = "localhost";                             ///< our name in LHLO
    std::chrono::milliseconds timeout{std::chrono::minutes(5)}; ///< for each connect, read, write
    int message_fd = -1; ///< when valid, the message is read from it (deliver/message_source.hpp)
};

/// Connects, runs one LMTP transaction and QUIT, and reports the recipient's fate.
[[nodiscard]] DeliveryOutcome deliver_lmtp(LmtpDelivery const& delivery);

} // namespace smtpd::rt
