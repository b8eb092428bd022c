// The resolver's set-up (runtime/dns/resolver): the nameservers it reads from a resolv.conf (and
// logs), and its refusal of an unreadable one. Queries against a real nameserver are in
// tests/integration/test_dns.py, inside a private namespace (no test here may resolve a name).
#include "dns/resolver.hpp"

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

namespace smtpd::rt::dns {
namespace {

TEST(DnsResolver, ReadsNameserverLinesInOrder) {
    EXPECT_EQ(nameservers_of("# comment\nsearch example\nnameserver 127.0.0.53\n"
                             "  nameserver   ::1  # trailing\noptions ndots:1\nnameserver\n"),
              (std::vector<std::string>{"127.0.0.53", "::1"}));
    EXPECT_TRUE(nameservers_of("").empty());
    EXPECT_TRUE(nameservers_of("nameservers 1.2.3.4\n;nameserver 1.2.3.4\n").empty());
}

TEST(DnsResolver, RefusesAnUnreadableResolvConf) {
    boost::asio::io_context io;
    ResolverOptions options;
    options.resolv_conf = "/nonexistent/resolv.conf";
    auto const resolver = Resolver::create(io.get_executor(), options);
    ASSERT_FALSE(resolver.has_value());
    EXPECT_NE(resolver.error().message.find("/nonexistent/resolv.conf"), std::string::npos);
}

} // namespace
} // namespace smtpd::rt::dns
