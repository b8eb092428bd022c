// The services a table serves (OpenSMTPD's table.h K_* and smtpd-tables(7)): what a key means
// and how a table's entries are compared with it. `service_match` is the one comparison every
// list-like lookup goes through (a domain against `*.example.org`, an address against a CIDR
// block, a mail address against `user`, `@domain`, `user@*.domain`, a regex); pure, no I/O.
// Depends on: the standard library only.
#pragma once

#include <array>
#include <optional>
#include <string_view>

namespace smtpd::rt::table {

enum class Service : unsigned char {
    Alias,
    Domain,
    Credentials,
    Netaddr,
    Userinfo,
    Source,
    Mailaddr,
    Addrname,
    Mailaddrmap,
    Relayhost,
    String,
    Regex,
    Auth,
};
inline constexpr std::size_t kServiceCount = 13;

/// The names of Service in its order, as smtpd-tables(7) and table(5) write them.
inline constexpr std::array<std::string_view, kServiceCount> kServiceNames{
    "alias",    "domain",      "credentials", "netaddr", "userinfo", "source", "mailaddr",
    "addrname", "mailaddrmap", "relayhost",   "string",  "regex",    "auth"};

[[nodiscard]] constexpr std::string_view service_name(Service s) {
    return kServiceNames.at(static_cast<std::size_t>(s));
}
[[nodiscard]] std::optional<Service> service_from_name(std::string_view name);

/// True when the table entry `pattern` matches `key` for the service, as OpenSMTPD's table.c
/// does (the key lowercased first): `*` in a domain skips to the next character of the pattern,
/// so `*.example.org` is one label under example.org (Domain); CIDR blocks and addresses, IPv4
/// and IPv6 (Netaddr); `user`, `@domain`, `user@domain`, `user@*.domain`, `@` (Mailaddr, the
/// key's `+tag` ignored unless the entry has one); an extended regex, `(?i)` for no case (Regex);
/// otherwise an exact comparison without case.
[[nodiscard]] bool service_match(Service service, std::string_view pattern, std::string_view key,
                                 char subaddress_delim = '+');

} // namespace smtpd::rt::table
