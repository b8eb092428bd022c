// What the target of a `listen on` line names (smtpd.conf(5)): an IP address; "localhost"
// (127.0.0.1 and ::1, without asking a resolver); an interface (its addresses now, from
// getifaddrs(3), IPv6 link-local ones with their scope); "egress", which on OpenBSD is the group
// of the interfaces a default route points through and here the interfaces that hold a default
// route in the main table (/proc/net/route, /proc/net/ipv6_route); else a host name, resolved
// once at start by getaddrinfo(3) with AI_ADDRCONFIG as OpenSMTPD does (nsswitch.conf decides:
// /etc/hosts, then DNS). `inet4` / `inet6` keep the addresses of one family.
// Depends on: grammar/ (conf AST), common/result.hpp, Boost.Asio addresses, the C library.
#pragma once

#include "common/result.hpp"
#include "conf/ast.hpp"

#include <boost/asio/ip/address.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace smtpd::rt {

/// The interfaces holding a default route, from the text of /proc/net/route (IPv4: destination
/// and mask 0, up) and /proc/net/ipv6_route (::/0, up, not a reject route), each name once.
[[nodiscard]] std::vector<std::string> default_route_interfaces(std::string_view route,
                                                                std::string_view ipv6_route);

/// The addresses `target` names, of `family` only. A Failure says why none: no interface, host
/// or address of that name, or none of that family.
[[nodiscard]] Result<std::vector<boost::asio::ip::address>>
listen_addresses(std::string const& target, conf::Listen::Family family);

} // namespace smtpd::rt
