// The route to a mail domain (RFC 5321 §5.1, RFC 7505): from the domain and its MX answer to the
// ordered hosts to try, then from the hosts' A and AAAA answers to the addresses to connect to.
// Pure and I/O-free: the answers come in as values (the resolver gets them), randomness through an
// injected source, so that every rule is tested without a nameserver.
// Invariants of a Route: hosts non-empty, preferences ascending, no host named twice, none of ours.
// Depends on: common/result.hpp, dns_error.hpp, rdata.hpp, Boost.Asio's ip::address (no I/O).
#pragma once

#include "common/result.hpp"
#include "dns/rdata.hpp"

#include <boost/asio/ip/address.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace smtpd::rt::dns {

/// The MX answer of a domain: its records (empty: the name exists without MX records, "no data"),
/// or why there are none (DnsErrc::NxDomain, ServFail, Timeout, ...).
using MxAnswer = Result<std::vector<MxRecord>>;

/// One host of a route, with the preference of its MX record (0 for the implicit MX).
struct RouteHost {
    std::string name;
    std::uint16_t preference = 0;
    bool operator==(RouteHost const&) const = default;
};

/// Where mail for a domain goes: the MX hosts in the order to try, or one address literal.
struct Route {
    std::vector<RouteHost> hosts;
    std::optional<boost::asio::ip::address> literal; ///< `[192.0.2.1]`, `[IPv6:2001:db8::1]`
    bool implicit = false;                           ///< no MX: the domain itself, preference 0
};

/// Who we are, for RFC 5321 §5.1's rule on MX records that name us.
struct RoutePolicy {
    std::vector<std::string> our_names;   ///< this host's names (case-insensitive, no final dot)
    std::optional<std::string> backup_mx; ///< `relay backup mx NAME`: also ours
};

/// A uniformly random 64-bit value; equal preferences are shuffled with it.
using RandomSource = std::function<std::uint64_t()>;

/// True when `domain` is an address literal (RFC 5321 §4.1.3): it starts with '['.
[[nodiscard]] bool is_address_literal(std::string_view domain);

/// The address of `[IPv4]` or `[IPv6:...]`; DnsErrc::BadDomain for anything else.
[[nodiscard]] Result<boost::asio::ip::address> address_literal(std::string_view domain);

/// The route of `domain` given its MX answer (ignored for an address literal).
[[nodiscard]] Result<Route> mx_route(std::string_view domain, MxAnswer const& mx,
                                     RoutePolicy const& policy, RandomSource const& random);

/// The A and AAAA answers of one host: addresses (empty: no data), or why there are none.
struct HostAnswers {
    Result<std::vector<boost::asio::ip::address>> aaaa;
    Result<std::vector<boost::asio::ip::address>> a;
};

/// One address to connect to, and the host it belongs to (for the logs and TLS names).
struct Destination {
    std::string host;
    boost::asio::ip::address address;
    bool operator==(Destination const&) const = default;
};

/// Every address of every host of `route`, in the route's order; within a host IPv6 first, then
/// IPv4 (RFC 6724 §6's default policy), each address once. `answers[i]` belongs to
/// `route.hosts[i]`. With no address at all: the first temporary failure of a lookup if there was
/// one, else DnsErrc::NoAddress.
[[nodiscard]] Result<std::vector<Destination>> destinations(Route const& route,
                                                            std::span<HostAnswers const> answers);

} // namespace smtpd::rt::dns
