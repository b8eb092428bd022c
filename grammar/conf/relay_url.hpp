// The relay URL of smtpd.conf(5) (`action ... relay host URL`, and the values of `host` and
// `domain` tables): [proto://[label@]]host[:port], after OpenSMTPD's text_to_relayhost() (to.c),
// but stricter: nothing may follow the port, and a label or host that OpenSMTPD would cut short
// is an error. Our extension: `lmtp://` followed by an absolute unix socket path.
// Invariant: a parsed URL is usable as is (a port set, a label only with a TLS protocol).
// Pure; never throws. Depends on: numbers.hpp, <arpa/inet.h>.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace smtpd::conf {

/// A parsed relay URL.
struct RelayUrl {
    /// The scheme: smtp:// (the default), smtp+tls://, smtp+notls://, smtps://, lmtp://.
    enum class Protocol : unsigned char { Smtp, SmtpTls, SmtpNoTls, Smtps, Lmtp };
    /// What TLS the session uses: STARTTLS when offered, STARTTLS required (and the
    /// certificate verified), none, TLS from the first byte (verified).
    enum class Tls : unsigned char { Opportunistic, Starttls, None, Implicit };
    /// A domain name (looked up as A/AAAA, never MX), an address literal, or a unix socket.
    enum class HostKind : unsigned char { Name, Ipv4, Ipv6, UnixSocket };

    static constexpr std::uint16_t kSmtpPort = 25;
    static constexpr std::uint16_t kSmtpsPort = 465;

    Protocol protocol = Protocol::Smtp;
    std::string label; ///< names the credentials in the action's auth table; may be empty
    HostKind host_kind = HostKind::Name;
    std::string host;       ///< a name, an address without brackets, or the socket path
    std::uint16_t port = 0; ///< 0 only for a unix socket

    /// The TLS policy the protocol implies.
    [[nodiscard]] Tls tls() const;
    /// The canonical form: scheme, label, host (IPv6 as [IPv6:addr]) and port always written.
    [[nodiscard]] std::string to_string() const;
    friend bool operator==(RelayUrl const&, RelayUrl const&) = default;
};

/// A relay URL, or why the text is not one and at which byte offset.
struct RelayUrlParse {
    std::optional<RelayUrl> url;
    std::string error;
    std::size_t offset = 0;
};

/// OpenSMTPD's limit on a relay URL (the buffer of text_to_relayhost()).
inline constexpr std::size_t kMaxRelayUrl = 1023;

/// Parses a relay URL. The scheme is case-insensitive; without one it is smtp://. Ports default
/// to 25, or 465 for smtps://; lmtp:// needs a port (or a socket path). A label needs
/// smtp+tls:// or smtps:// (credentials are only sent over TLS).
[[nodiscard]] RelayUrlParse parse_relay_url(std::string_view text);

/// Whether `text` is an IPv4 address (dotted quad) or an IPv6 address, as inet_pton(3) reads
/// them; a NUL byte anywhere makes it neither.
[[nodiscard]] bool is_ipv4_address(std::string_view text);
[[nodiscard]] bool is_ipv6_address(std::string_view text);

/// Whether `name` is a host name as res_hnok(3) accepts it (pki and ca names): letters, digits,
/// '-', '_' and dots, with a letter or digit at each border of a label; not empty.
[[nodiscard]] bool is_host_name(std::string_view name);

/// Whether `name` is a domain name fit for DNS, as valid_domainpart() wants it: a host name whose
/// labels are not empty nor longer than 63 bytes, at most 253 bytes, no trailing dot.
[[nodiscard]] bool is_domain_name(std::string_view name);

/// Whether `text` may follow EHLO (RFC 5321 §4.1.1.1): a domain name or an address literal
/// ("[192.0.2.1]", "[IPv6:2001:db8::1]").
[[nodiscard]] bool is_helo_name(std::string_view text);

} // namespace smtpd::conf
