// Unit tests of runtime/table/service.cpp: service_match per service, against the behaviour of
// OpenSMTPD's table.c and util.c (hostname_match, mailaddr_match, table_netaddr_match,
// table_regex_match), including their quirks.
// Depends on: runtime/table/service.hpp, GoogleTest.
#include "table/service.hpp"

#include <gtest/gtest.h>

namespace smtpd::rt::table {
namespace {

TEST(ServiceMatch, DomainIsExactWithoutCase) {
    EXPECT_TRUE(service_match(Service::Domain, "example.org", "Example.ORG"));
    EXPECT_FALSE(service_match(Service::Domain, "example.org", "example.org.evil"));
    EXPECT_FALSE(service_match(Service::Domain, "example.org", "mail.example.org"));
}

TEST(ServiceMatch, DomainWildcardIsOneLabel) {
    EXPECT_TRUE(service_match(Service::Domain, "*.example.org", "mail.example.org"));
    EXPECT_TRUE(service_match(Service::Domain, "*.example.org", "MAIL.example.org"));
    // hostname_match skips to the first '.', so deeper names and the apex do not match.
    EXPECT_FALSE(service_match(Service::Domain, "*.example.org", "a.b.example.org"));
    EXPECT_FALSE(service_match(Service::Domain, "*.example.org", "example.org"));
    EXPECT_TRUE(service_match(Service::Domain, "*", "anything.at.all"));
    EXPECT_TRUE(service_match(Service::Domain, "mail.*", "mail.example.org"));
}

TEST(ServiceMatch, NetaddrIpv4Blocks) {
    EXPECT_TRUE(service_match(Service::Netaddr, "192.168.1.0/24", "192.168.1.77"));
    EXPECT_FALSE(service_match(Service::Netaddr, "192.168.1.0/24", "192.168.2.1"));
    EXPECT_TRUE(service_match(Service::Netaddr, "10.0.0.0/8", "10.200.3.4"));
    EXPECT_TRUE(service_match(Service::Netaddr, "127.0.0.1", "127.0.0.1"));
    EXPECT_FALSE(service_match(Service::Netaddr, "127.0.0.1", "127.0.0.2"));
    EXPECT_TRUE(service_match(Service::Netaddr, "0.0.0.0/0", "203.0.113.9"));
    EXPECT_TRUE(service_match(Service::Netaddr, "203.0.113.8/29", "203.0.113.15"));
    EXPECT_FALSE(service_match(Service::Netaddr, "203.0.113.8/29", "203.0.113.16"));
}

TEST(ServiceMatch, NetaddrIpv6Blocks) {
    EXPECT_TRUE(service_match(Service::Netaddr, "2001:db8::/32", "2001:db8:1::5"));
    EXPECT_FALSE(service_match(Service::Netaddr, "2001:db8::/32", "2001:db9::5"));
    EXPECT_TRUE(service_match(Service::Netaddr, "::1", "::1"));
    EXPECT_TRUE(service_match(Service::Netaddr, "[::1]", "IPv6:::1"));
    EXPECT_TRUE(service_match(Service::Netaddr, "2001:db8::/33", "2001:db8:7fff::1"));
    EXPECT_FALSE(service_match(Service::Netaddr, "2001:db8::/33", "2001:db8:8000::1"));
}

TEST(ServiceMatch, NetaddrFamiliesNeverMix) {
    EXPECT_FALSE(service_match(Service::Netaddr, "::/0", "127.0.0.1"));
    EXPECT_FALSE(service_match(Service::Netaddr, "0.0.0.0/0", "::1"));
    EXPECT_FALSE(service_match(Service::Netaddr, "not-an-address", "127.0.0.1"));
    EXPECT_TRUE(service_match(Service::Netaddr, "local", "LOCAL")); // equal texts match
}

TEST(ServiceMatch, MailaddrForms) {
    EXPECT_TRUE(service_match(Service::Mailaddr, "@example.org", "joe@example.org"));
    EXPECT_FALSE(service_match(Service::Mailaddr, "@example.org", "joe@example.net"));
    EXPECT_TRUE(service_match(Service::Mailaddr, "joe", "Joe@anywhere.net"));
    EXPECT_FALSE(service_match(Service::Mailaddr, "joe", "jim@anywhere.net"));
    EXPECT_TRUE(service_match(Service::Mailaddr, "joe@example.org", "joe@EXAMPLE.org"));
    EXPECT_FALSE(service_match(Service::Mailaddr, "joe@example.org", "joe@example.net"));
    EXPECT_TRUE(service_match(Service::Mailaddr, "joe@*.example.org", "joe@mx.example.org"));
    EXPECT_FALSE(service_match(Service::Mailaddr, "joe@*.example.org", "joe@example.org"));
    EXPECT_TRUE(service_match(Service::Mailaddr, "@", "anyone@anywhere"));
}

TEST(ServiceMatch, MailaddrSubaddressTag) {
    EXPECT_TRUE(service_match(Service::Mailaddr, "joe@example.org", "joe+lists@example.org"));
    EXPECT_FALSE(service_match(Service::Mailaddr, "joe+a@example.org", "joe+b@example.org"));
    EXPECT_TRUE(service_match(Service::Mailaddr, "joe+a@example.org", "joe+a@example.org"));
    EXPECT_TRUE(service_match(Service::Mailaddr, "joe@example.org", "joe-x@example.org", '-'));
    EXPECT_FALSE(service_match(Service::Mailaddr, "joe@example.org", "joe+x@example.org", '-'));
}

TEST(ServiceMatch, RegexExtendedOnLoweredKey) {
    EXPECT_TRUE(service_match(Service::Regex, "^mx[0-9]+\\.example\\.org$", "mx12.example.org"));
    EXPECT_FALSE(service_match(Service::Regex, "^mx[0-9]+\\.example\\.org$", "mx.example.org"));
    EXPECT_TRUE(service_match(Service::Regex, "(a|b)c", "xbcx")); // unanchored, alternation
    // The key is lowercased as table_lookup() does: an upper-case pattern needs (?i).
    EXPECT_FALSE(service_match(Service::Regex, "^Joe", "Joe@example.org"));
    EXPECT_TRUE(service_match(Service::Regex, "(?i)^JOE", "joe@example.org"));
}

TEST(ServiceMatch, RegexBadPatternMatchesNothing) {
    EXPECT_FALSE(service_match(Service::Regex, "(unclosed", "(unclosed"));
    EXPECT_FALSE(service_match(Service::Regex, "[z-a]", "a"));
}

TEST(ServiceMatch, OtherServicesAreExactWithoutCase) {
    EXPECT_TRUE(service_match(Service::String, "Value", "value"));
    EXPECT_FALSE(service_match(Service::String, "*.example.org", "a.example.org"));
    EXPECT_FALSE(service_match(Service::Alias, "joe", "joe2"));
    EXPECT_TRUE(service_match(Service::Credentials, "joe", "JOE"));
}

TEST(ServiceNames, RoundTrip) {
    for (std::size_t i = 0; i < kServiceCount; ++i) {
        auto const s = static_cast<Service>(i);
        EXPECT_EQ(service_from_name(service_name(s)), s);
    }
    EXPECT_FALSE(service_from_name("nonsense").has_value());
}

} // namespace
} // namespace smtpd::rt::table
