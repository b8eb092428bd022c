// The resolver (runtime/dns/resolver) without any real nameserver: the nameservers it reads from a
// resolv.conf, its refusal of an unreadable one, answers from its hosts file through the Asio
// loop, a time-out against a loopback socket that never answers (after which the loop has nothing
// left to wait for), and destruction with a query pending. Packets go only to 127.0.0.1; queries
// against a real nameserver are in tests/integration/test_dns.py, in a private namespace.
#include "dns/dns_error.hpp"
#include "dns/resolver.hpp"
#include "temp_dir.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <gtest/gtest.h>

#include <fstream>
#include <optional>

namespace smtpd::rt::dns {
namespace {

using boost::asio::ip::make_address;

// A nameserver that never answers: a UDP socket of this test on loopback that nothing reads. A
// resolv.conf cannot name its port (libunbound reads only the address): it is given as a
// forwarder.
struct SilentNameserver {
    boost::asio::io_context io;
    boost::asio::ip::udp::socket socket{io, {make_address("127.0.0.1"), 0}};
    testing::TempDir dir;
    std::string hosts = dir.path() + "/hosts";

    SilentNameserver() {
        std::ofstream(hosts) << "192.0.2.5 mx.hosts.example\n2001:db8::5 mx.hosts.example\n";
    }

    [[nodiscard]] ResolverOptions options(std::chrono::milliseconds timeout) const {
        auto const port = std::to_string(socket.local_endpoint().port());
        // The forwarder replaces the resolv.conf, which is not even read.
        return ResolverOptions{"/nonexistent/resolv.conf", hosts, timeout, {"127.0.0.1@" + port}};
    }
};

TEST(DnsResolver, ReadsNameserverLinesInOrder) {
    EXPECT_EQ(nameservers_of("# comment\nsearch example\nnameserver 127.0.0.53\n"
                             "  nameserver   ::1  # trailing\noptions ndots:1\nnameserver\n"),
              (std::vector<std::string>{"127.0.0.53", "::1"}));
    EXPECT_EQ(nameservers_of("\tnameserver 192.0.2.1%eth0\nnameserver fe80::1%lo\n"),
              (std::vector<std::string>{"192.0.2.1", "fe80::1"}));
    // libunbound's default without a nameserver line: 127.0.0.1.
    EXPECT_EQ(nameservers_of(""), std::vector<std::string>{"127.0.0.1"});
    EXPECT_EQ(nameservers_of("nameservers 192.0.2.1\n;nameserver 192.0.2.1\n"),
              std::vector<std::string>{"127.0.0.1"});
}

TEST(DnsResolver, RefusesAnUnreadableResolvConf) {
    boost::asio::io_context io;
    ResolverOptions options;
    options.resolv_conf = "/nonexistent/resolv.conf";
    auto const resolver = Resolver::create(io.get_executor(), options);
    ASSERT_FALSE(resolver.has_value());
    EXPECT_NE(resolver.error().message.find("/nonexistent/resolv.conf"), std::string::npos);
}

TEST(DnsResolver, AnswersFromItsHostsFileThroughTheLoop) {
    SilentNameserver ns;
    auto resolver = Resolver::create(ns.io.get_executor(), ns.options(std::chrono::seconds{10}));
    ASSERT_TRUE(resolver.has_value()) << resolver.error().message;
    EXPECT_EQ(resolver.value()->nameservers().size(), 1U);
    std::optional<AddressAnswer> v4;
    std::optional<AddressAnswer> v6;
    resolver.value()->addresses("MX.hosts.example", AddressFamily::V4,
                                [&](AddressAnswer a) { v4 = std::move(a); });
    resolver.value()->addresses("mx.hosts.example", AddressFamily::V6,
                                [&](AddressAnswer a) { v6 = std::move(a); });
    ns.io.run_for(std::chrono::seconds{10});
    ASSERT_TRUE(v4 && v6);
    ASSERT_TRUE(v4->has_value()) << v4->error().message;
    ASSERT_TRUE(v6->has_value()) << v6->error().message;
    EXPECT_EQ(v4->value(), std::vector{make_address("192.0.2.5")});
    EXPECT_EQ(v6->value(), std::vector{make_address("2001:db8::5")});
    EXPECT_EQ(resolver.value()->pending(), 0U);
}

TEST(Regression, ResolverTimeOutIsTemporaryAndLeavesNothingToWaitFor) {
    SilentNameserver ns;
    auto resolver =
        Resolver::create(ns.io.get_executor(), ns.options(std::chrono::milliseconds{300}));
    ASSERT_TRUE(resolver.has_value()) << resolver.error().message;
    std::optional<MxAnswer> mx;
    resolver.value()->mx("silent.example", [&](MxAnswer a) { mx = std::move(a); });
    auto const start = std::chrono::steady_clock::now();
    // The loop runs out of work only when the descriptor wait ended with the last query.
    ns.io.run_for(std::chrono::seconds{10});
    EXPECT_TRUE(ns.io.stopped());
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds{5});
    EXPECT_GT(ns.socket.available(), 0U); // the query went to the loopback socket, nowhere else
    ASSERT_TRUE(mx.has_value());
    ASSERT_FALSE(mx->has_value());
    EXPECT_EQ(mx->error().code, make_error_code(DnsErrc::Timeout));
    EXPECT_FALSE(is_permanent(mx->error().code));
    EXPECT_EQ(resolver.value()->pending(), 0U);
}

TEST(DnsResolver, DestroyedWithAQueryPendingNeverCallsBack) {
    SilentNameserver ns;
    bool called = false;
    {
        auto resolver =
            Resolver::create(ns.io.get_executor(), ns.options(std::chrono::seconds{30}));
        ASSERT_TRUE(resolver.has_value()) << resolver.error().message;
        resolver.value()->mx("silent.example", [&](MxAnswer) { called = true; });
        ns.io.run_for(std::chrono::milliseconds{100});
        EXPECT_EQ(resolver.value()->pending(), 1U);
    }
    ns.io.run_for(std::chrono::milliseconds{100});
    EXPECT_FALSE(called);
}

} // namespace
} // namespace smtpd::rt::dns
