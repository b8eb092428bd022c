// The HAProxy PROXY protocol version 2 header (haproxy's doc/proxy-protocol.txt §2.2), which a
// proxy sends before anything else on a connection to a `listen ... proxy-v2` listener: the
// 12-octet signature, version 2 and a command (LOCAL or PROXY), the address family and transport,
// a 16-bit length, then the addresses (and TLVs, which are skipped). Pure: bytes in, a typed
// result out, with "need more" while the header is incomplete; a prefix that can no longer be the
// signature is an error at once, so a client speaking SMTP is refused without waiting.
// Depends on: the standard library only.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <variant>

namespace smtpd::grammar {

/// One end of the proxied connection: an IPv4 (first 4 octets used) or IPv6 address and a port.
struct ProxyEndpoint {
    bool ipv6 = false;
    std::array<std::uint8_t, 16> address{};
    std::uint16_t port = 0;
    friend bool operator==(ProxyEndpoint const&, ProxyEndpoint const&) = default;
};

/// A complete header. With LOCAL (a proxy's own health check) or the UNSPEC family there are no
/// addresses: the connection's own are used.
struct ProxyHeader {
    std::size_t length = 0; ///< octets the header took, TLVs included
    bool local = false;     ///< the LOCAL command
    std::optional<ProxyEndpoint> source;
    std::optional<ProxyEndpoint> destination;
};

/// The header is incomplete: at least `at_least` octets in all are needed.
struct ProxyNeedMore {
    std::size_t at_least = 0;
};

enum class ProxyError : std::uint8_t {
    BadSignature, ///< not the 12-octet signature: not a PROXY v2 header
    BadVersion,   ///< a version other than 2
    BadCommand,   ///< a command other than LOCAL and PROXY
    BadFamily,    ///< an unknown family, AF_UNIX, or a transport other than STREAM
    ShortAddress, ///< the length leaves no room for the family's addresses
};

using ProxyParse = std::variant<ProxyHeader, ProxyNeedMore, ProxyError>;

/// Reads the header at the start of `bytes` (what has arrived so far).
[[nodiscard]] ProxyParse parse_proxy_v2(std::string_view bytes);

/// For logs: "not a PROXY v2 header", ...
[[nodiscard]] std::string_view describe(ProxyError error);

} // namespace smtpd::grammar
