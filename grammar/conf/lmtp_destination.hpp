// The destination of an `lmtp` action (smtpd.conf(5)): "/path/to/socket" (a UNIX socket),
// "host:port" or "[ipv6-address]:port". The configuration parser checks it; the LMTP delivery
// reads it back with the same function. Pure; never throws.
// Depends on: numbers.hpp and the standard library.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace smtpd::conf {

/// A parsed LMTP destination.
struct LmtpDestination {
    bool unix_socket = false;
    std::string host;       ///< the socket path for unix_socket; else a name or an address
    std::uint16_t port = 0; ///< 0 for unix_socket
    friend bool operator==(LmtpDestination const&, LmtpDestination const&) = default;
};

/// The destination, or the reason it is not one ("missing port", ...).
struct LmtpParse {
    std::optional<LmtpDestination> destination;
    std::string error;
};

/// Parses an LMTP destination as written in an action. A port is required (LMTP has no
/// well-known port, as OpenSMTPD's mail.lmtp says).
[[nodiscard]] LmtpParse parse_lmtp_destination(std::string_view text);

} // namespace smtpd::conf
