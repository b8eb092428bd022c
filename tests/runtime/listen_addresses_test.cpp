// Tests of the listen targets (runtime/io/listen_addresses.cpp): the default-route reading behind
// "egress", and the addresses of literals, "localhost" and the loopback interface "lo" (present
// in every Linux network namespace). No host name here is ever given to a resolver.
// Depends on: io/listen_addresses.hpp, GoogleTest.
#include "io/listen_addresses.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace smtpd::rt {
namespace {

using Family = conf::Listen::Family;
namespace ip = boost::asio::ip;

constexpr std::string_view kRoute =
    "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
    "eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
    "eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"
    "wg0\t00000000\t00000000\t0000\t0\t0\t0\t00000000\t0\t0\t0\n"; // down: not counted
constexpr std::string_view kIpv6Route =
    "fd000000000000000000000000000000 40 00000000000000000000000000000000 00 "
    "00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth1\n"
    "00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
    "fd000000000000000000000000000001 00000400 00000003 00000000 00000003     eth1\n"
    "00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
    "00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo\n";

TEST(ListenEgress, InterfacesHoldingAnUpDefaultRouteOfEitherFamily) {
    EXPECT_EQ(default_route_interfaces(kRoute, kIpv6Route),
              (std::vector<std::string>{"eth0", "eth1"}));
    EXPECT_EQ(default_route_interfaces(kRoute, ""), (std::vector<std::string>{"eth0"}));
    EXPECT_TRUE(default_route_interfaces("", "").empty());
    EXPECT_TRUE(default_route_interfaces("Iface\n", "garbage\n").empty());
}

std::vector<std::string> texts(std::vector<ip::address> const& addresses) {
    std::vector<std::string> out;
    out.reserve(addresses.size());
    for (auto const& a : addresses) {
        out.push_back(a.to_string());
    }
    std::sort(out.begin(), out.end());
    return out;
}

TEST(ListenAddresses, LiteralsAndLocalhost) {
    EXPECT_EQ(texts(listen_addresses("192.0.2.1", Family::Any).value()),
              (std::vector<std::string>{"192.0.2.1"}));
    EXPECT_EQ(texts(listen_addresses("localhost", Family::Any).value()),
              (std::vector<std::string>{"127.0.0.1", "::1"}));
    EXPECT_EQ(texts(listen_addresses("localhost", Family::Inet6).value()),
              (std::vector<std::string>{"::1"}));
}

TEST(ListenAddresses, TheLoopbackInterfaceHoldsTheLoopbackAddresses) {
    auto const v4 = texts(listen_addresses("lo", Family::Inet4).value());
    EXPECT_NE(std::find(v4.begin(), v4.end(), "127.0.0.1"), v4.end());
    for (auto const& a : v4) {
        EXPECT_EQ(a.find(':'), std::string::npos) << a;
    }
    auto const any = texts(listen_addresses("lo", Family::Any).value());
    EXPECT_GE(any.size(), v4.size());
}

TEST(ListenAddresses, AFamilyTheTargetLacksIsAnError) {
    auto const r = listen_addresses("127.0.0.1", Family::Inet6);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().what(), "address 127.0.0.1 has no IPv6 address");
}

} // namespace
} // namespace smtpd::rt
