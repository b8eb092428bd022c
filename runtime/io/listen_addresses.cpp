// Resolving listen targets (see listen_addresses.hpp). The order is OpenSMTPD's: an address,
// else an interface (or group), else a host name; "localhost" is fixed so that a host whose
// /etc/hosts lacks "::1 localhost" still listens on both loopbacks.
#include "io/listen_addresses.hpp"

#include "common/fs.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <ifaddrs.h>
#include <net/if.h>
#include <net/route.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sstream>

namespace smtpd::rt {

namespace ip = boost::asio::ip;

namespace {

bool wanted(ip::address const& a, conf::Listen::Family family) {
    return family == conf::Listen::Family::Any ||
           (family == conf::Listen::Family::Inet4 ? a.is_v4() : a.is_v6());
}

std::optional<ip::address> to_address(sockaddr const* sa) {
    if (sa == nullptr) {
        return std::nullopt;
    }
    if (sa->sa_family == AF_INET) {
        auto const* in = reinterpret_cast<sockaddr_in const*>(sa);
        return ip::address(ip::address_v4(ntohl(in->sin_addr.s_addr)));
    }
    if (sa->sa_family == AF_INET6) {
        auto const* in6 = reinterpret_cast<sockaddr_in6 const*>(sa);
        ip::address_v6::bytes_type bytes{};
        std::copy_n(in6->sin6_addr.s6_addr, bytes.size(), bytes.begin());
        return ip::address(ip::address_v6(bytes, in6->sin6_scope_id));
    }
    return std::nullopt;
}

/// The addresses of the named interfaces, as getifaddrs(3) lists them now.
std::vector<ip::address> interface_addresses(std::vector<std::string> const& names) {
    std::vector<ip::address> out;
    ifaddrs* list = nullptr;
    if (::getifaddrs(&list) != 0) {
        return out;
    }
    for (ifaddrs const* i = list; i != nullptr; i = i->ifa_next) {
        if (std::find(names.begin(), names.end(), i->ifa_name) == names.end()) {
            continue;
        }
        if (auto a = to_address(i->ifa_addr)) {
            out.push_back(*a);
        }
    }
    ::freeifaddrs(list);
    return out;
}

std::string file_or_empty(std::string const& path) {
    auto text = read_file(path);
    return text ? std::move(text).value() : std::string();
}

/// getaddrinfo(3) as OpenSMTPD's host_dns: stream sockets, AI_ADDRCONFIG.
Result<std::vector<ip::address>> host_addresses(std::string const& name) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_ADDRCONFIG;
    addrinfo* res = nullptr;
    int const rc = ::getaddrinfo(name.c_str(), nullptr, &hints, &res);
    if (rc != 0) {
        return failure(
            std::make_error_code(std::errc::invalid_argument),
            fmt::format("no interface, address or host {}: {}", name, ::gai_strerror(rc)));
    }
    std::vector<ip::address> out;
    for (addrinfo const* r = res; r != nullptr; r = r->ai_next) {
        if (auto a = to_address(r->ai_addr);
            a && std::find(out.begin(), out.end(), *a) == out.end()) {
            out.push_back(*a);
        }
    }
    ::freeaddrinfo(res);
    return out;
}

std::string_view family_name(conf::Listen::Family family) {
    return family == conf::Listen::Family::Inet4 ? "IPv4" : "IPv6";
}

} // namespace

std::vector<std::string> default_route_interfaces(std::string_view route,
                                                  std::string_view ipv6_route) {
    std::vector<std::string> names;
    auto add = [&](std::string const& name) {
        if (!name.empty() && std::find(names.begin(), names.end(), name) == names.end()) {
            names.push_back(name);
        }
    };
    // Iface Destination Gateway Flags RefCnt Use Metric Mask ... (a header line first)
    std::istringstream v4{std::string(route)};
    std::string line;
    std::getline(v4, line);
    while (std::getline(v4, line)) {
        std::istringstream f(line);
        std::string iface, dest, gateway, flags, refcnt, use, metric, mask;
        if ((f >> iface >> dest >> gateway >> flags >> refcnt >> use >> metric >> mask) &&
            dest == "00000000" && mask == "00000000" &&
            (std::strtoul(flags.c_str(), nullptr, 16) & RTF_UP) != 0) {
            add(iface);
        }
    }
    // dest plen src plen nexthop metric refcnt use flags iface (no header)
    std::istringstream v6{std::string(ipv6_route)};
    while (std::getline(v6, line)) {
        std::istringstream f(line);
        std::array<std::string, 10> w;
        bool complete = true;
        for (auto& word : w) {
            complete = complete && static_cast<bool>(f >> word);
        }
        unsigned long const flags = std::strtoul(w[8].c_str(), nullptr, 16);
        if (complete && w[0] == std::string(32, '0') && w[1] == "00" && (flags & RTF_UP) != 0 &&
            (flags & RTF_REJECT) == 0) {
            add(w[9]);
        }
    }
    return names;
}

Result<std::vector<ip::address>> listen_addresses(std::string const& target,
                                                  conf::Listen::Family family) {
    std::vector<ip::address> found;
    boost::system::error_code ec;
    auto const literal = ip::make_address(target, ec);
    std::string_view what = "address";
    if (!ec) {
        found.push_back(literal);
    } else if (target == "localhost") {
        found = {ip::address(ip::address_v4::loopback()), ip::address(ip::address_v6::loopback())};
    } else if (::if_nametoindex(target.c_str()) != 0) {
        found = interface_addresses({target});
        what = "interface";
    } else if (target == "egress") {
        auto const names = default_route_interfaces(file_or_empty("/proc/net/route"),
                                                    file_or_empty("/proc/net/ipv6_route"));
        if (names.empty()) {
            return failure(std::make_error_code(std::errc::invalid_argument),
                           "egress: no interface holds a default route");
        }
        found = interface_addresses(names);
        what = "interface group";
    } else {
        auto resolved = host_addresses(target);
        if (!resolved) {
            return std::move(resolved).error();
        }
        found = std::move(resolved).value();
        what = "host";
    }
    std::erase_if(found, [&](ip::address const& a) { return !wanted(a, family); });
    if (found.empty()) {
        return failure(
            std::make_error_code(std::errc::invalid_argument),
            family == conf::Listen::Family::Any
                ? fmt::format("{} {} has no address", what, target)
                : fmt::format("{} {} has no {} address", what, target, family_name(family)));
    }
    return found;
}

} // namespace smtpd::rt
