// The MX route of a domain and its destinations (see mx_route.hpp). RFC 5321 §5.1 (MX order,
// implicit MX, MX records naming us), RFC 7505 (null MX), RFC 5321 §4.1.3 (address literals).
// Depends on: mx_route.hpp, dns_error.hpp.
#include "dns/mx_route.hpp"

#include "dns/dns_error.hpp"

#include <algorithm>
#include <cstddef>
#include <utility>

namespace smtpd::rt::dns {

namespace {

std::string normalized(std::string_view name) {
    if (name.ends_with('.')) {
        name.remove_suffix(1);
    }
    std::string out(name);
    std::transform(out.begin(), out.end(), out.begin(), [](char c) {
        return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    });
    return out;
}

bool is_ours(std::string const& name, RoutePolicy const& policy) {
    auto const same = [&](std::string const& ours) { return normalized(ours) == name; };
    return std::any_of(policy.our_names.begin(), policy.our_names.end(), same) ||
           (policy.backup_mx && same(*policy.backup_mx));
}

// RFC 6761 §6.3: localhost and every name under it are the loopback host.
bool is_localhost(std::string_view name) {
    return name == "localhost" || name.ends_with(".localhost");
}

// Fisher-Yates inside each run of equal preferences (RFC 5321 §5.1: "randomize them").
void shuffle_ties(std::vector<RouteHost>& hosts, RandomSource const& random) {
    std::size_t begin = 0;
    while (begin < hosts.size()) {
        std::size_t end = begin + 1;
        while (end < hosts.size() && hosts[end].preference == hosts[begin].preference) {
            ++end;
        }
        for (std::size_t i = end - 1; i > begin; --i) {
            auto const j = begin + static_cast<std::size_t>(random() % (i - begin + 1));
            std::swap(hosts[i], hosts[j]);
        }
        begin = end;
    }
}

Failure route_failure(DnsErrc code, std::string_view domain, std::string_view why) {
    return failure(code, std::string(domain) + ": " + std::string(why));
}

} // namespace

bool is_address_literal(std::string_view domain) {
    return domain.starts_with('[');
}

Result<boost::asio::ip::address> address_literal(std::string_view domain) {
    if (domain.size() < 3 || !domain.starts_with('[') || !domain.ends_with(']')) {
        return route_failure(DnsErrc::BadDomain, domain, "not an address literal");
    }
    std::string_view inner = domain.substr(1, domain.size() - 2);
    boost::system::error_code ec;
    // RFC 5321 §4.1.3: IPv6-address-literal = "IPv6:" IPv6-addr; the tag is case-insensitive.
    constexpr std::string_view kTag = "ipv6:";
    if (inner.size() > kTag.size() && normalized(inner.substr(0, kTag.size())) == kTag) {
        auto const v6 =
            boost::asio::ip::make_address_v6(std::string(inner.substr(kTag.size())), ec);
        if (!ec) {
            return boost::asio::ip::address(v6);
        }
    } else {
        auto const v4 = boost::asio::ip::make_address_v4(std::string(inner), ec);
        if (!ec) {
            return boost::asio::ip::address(v4);
        }
    }
    return route_failure(DnsErrc::BadDomain, domain, "address literal not IPv4 or IPv6");
}

Result<Route> mx_route(std::string_view domain, MxAnswer const& mx, RoutePolicy const& policy,
                       RandomSource const& random) {
    if (is_address_literal(domain)) {
        auto address = address_literal(domain);
        if (!address) {
            return address.error();
        }
        return Route{{}, address.value(), false};
    }
    std::string const name = normalized(domain);
    if (name.empty()) {
        return route_failure(DnsErrc::BadDomain, domain, "empty domain");
    }
    if (!mx) {
        return failure(mx.error().code, name + ": MX lookup: " + mx.error().message);
    }
    std::vector<MxRecord> const& records = mx.value();
    // RFC 5321 §5.1: no MX records: the domain itself is the implicit MX, preference 0.
    if (records.empty()) {
        if (is_ours(name, policy)) {
            return route_failure(DnsErrc::MxLoop, name, "no MX, and the domain is this host");
        }
        return Route{{RouteHost{name, 0}}, std::nullopt, true};
    }
    // RFC 7505 §3: a null MX ("." as exchange) says the domain accepts no mail; one beside other
    // records (which §3 forbids) is just not a host.
    std::vector<RouteHost> hosts;
    for (MxRecord const& record : records) {
        if (!normalized(record.exchange).empty()) {
            hosts.push_back(RouteHost{normalized(record.exchange), record.preference});
        }
    }
    if (hosts.empty()) {
        return route_failure(DnsErrc::NullMx, name, "null MX: the domain accepts no mail");
    }
    std::stable_sort(hosts.begin(), hosts.end(), [](RouteHost const& x, RouteHost const& y) {
        return x.preference < y.preference;
    });
    // RFC 5321 §5.1: if we are an MX of the domain, discard every record of our preference or
    // worse (we would relay to ourselves, or to a less preferred host than ourselves).
    auto const ours = std::find_if(hosts.begin(), hosts.end(),
                                   [&](RouteHost const& h) { return is_ours(h.name, policy); });
    if (ours != hosts.end()) {
        std::uint16_t const our_preference = ours->preference;
        std::erase_if(hosts, [&](RouteHost const& h) { return h.preference >= our_preference; });
        if (hosts.empty()) {
            return route_failure(DnsErrc::MxLoop, name, "we are its best MX");
        }
    }
    std::erase_if(hosts, [](RouteHost const& h) { return is_localhost(h.name); });
    if (hosts.empty()) {
        return route_failure(DnsErrc::MxIsLocalhost, name, "every MX points to localhost");
    }
    // A host named twice keeps its best preference (the list is sorted: the first one).
    std::vector<RouteHost> unique;
    for (RouteHost& host : hosts) {
        bool const seen = std::any_of(unique.begin(), unique.end(),
                                      [&](RouteHost const& u) { return u.name == host.name; });
        if (!seen) {
            unique.push_back(std::move(host));
        }
    }
    shuffle_ties(unique, random);
    return Route{std::move(unique), std::nullopt, false};
}

Result<std::vector<Destination>> destinations(Route const& route,
                                              std::span<HostAnswers const> answers) {
    std::vector<Destination> out;
    if (route.literal) {
        out.push_back(Destination{route.literal->to_string(), *route.literal});
        return out;
    }
    std::optional<Failure> temporary;
    auto const add = [&](std::string const& host, auto const& answer) {
        if (!answer) {
            if (!temporary && !is_permanent(answer.error().code)) {
                temporary = failure(answer.error().code, host + ": " + answer.error().message);
            }
            return;
        }
        for (auto const& address : answer.value()) {
            bool const seen = std::any_of(
                out.begin(), out.end(), [&](Destination const& d) { return d.address == address; });
            if (!seen) {
                out.push_back(Destination{host, address});
            }
        }
    };
    for (std::size_t i = 0; i < route.hosts.size() && i < answers.size(); ++i) {
        add(route.hosts[i].name, answers[i].aaaa);
        add(route.hosts[i].name, answers[i].a);
    }
    if (out.empty()) {
        if (temporary) {
            return *temporary;
        }
        std::string const first = route.hosts.empty() ? std::string() : route.hosts[0].name;
        return failure(DnsErrc::NoAddress, first + ": no A or AAAA record for any MX host");
    }
    return out;
}

} // namespace smtpd::rt::dns
