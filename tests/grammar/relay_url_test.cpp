// Tests of parse_relay_url (grammar/conf/relay_url.hpp): every scheme and its TLS policy and
// default port, labels, host names, IPv4 and IPv6 literals, lmtp to host:port and to a unix
// socket, the canonical form, and each error with its message and byte offset.
// Depends on: grammar/conf/relay_url.hpp, GoogleTest.
#include "conf/relay_url.hpp"

#include <gtest/gtest.h>

#include <string>

namespace smtpd::conf {
namespace {

using P = RelayUrl::Protocol;
using H = RelayUrl::HostKind;
using T = RelayUrl::Tls;

RelayUrl ok(std::string const& text) {
    auto const r = parse_relay_url(text);
    EXPECT_TRUE(r.url.has_value()) << text << ": " << r.error << " at " << r.offset;
    return r.url.value_or(RelayUrl{});
}

struct Good {
    char const* text;
    char const* label;
    char const* host;
    char const* canonical;
    std::uint16_t port;
    P protocol;
    H kind;
    T tls;
};

// clang-format off
Good const kGood[] = {
    {"mx.example.org", "", "mx.example.org", "smtp://mx.example.org:25", 25, P::Smtp, H::Name, T::Opportunistic},
    {"smtp://mx.example.org", "", "mx.example.org", "smtp://mx.example.org:25", 25, P::Smtp, H::Name, T::Opportunistic},
    {"SMTP+TLS://bob@smtp.example.com:587", "bob", "smtp.example.com", "smtp+tls://bob@smtp.example.com:587", 587, P::SmtpTls, H::Name, T::Starttls},
    {"smtp+notls://relay_1.example", "", "relay_1.example", "smtp+notls://relay_1.example:25", 25, P::SmtpNoTls, H::Name, T::None},
    {"smtps://label@smtp.example.com", "label", "smtp.example.com", "smtps://label@smtp.example.com:465", 465, P::Smtps, H::Name, T::Implicit},
    {"smtps://smtp.example.com:2465", "", "smtp.example.com", "smtps://smtp.example.com:2465", 2465, P::Smtps, H::Name, T::Implicit},
    {"lmtp://127.0.0.1:24", "", "127.0.0.1", "lmtp://127.0.0.1:24", 24, P::Lmtp, H::Ipv4, T::None},
    {"lmtp:///var/run/dovecot/lmtp", "", "/var/run/dovecot/lmtp", "lmtp:///var/run/dovecot/lmtp", 0, P::Lmtp, H::UnixSocket, T::None},
    {"192.0.2.1:2525", "", "192.0.2.1", "smtp://192.0.2.1:2525", 2525, P::Smtp, H::Ipv4, T::Opportunistic},
    {"[192.0.2.1]", "", "192.0.2.1", "smtp://192.0.2.1:25", 25, P::Smtp, H::Ipv4, T::Opportunistic},
    {"smtp://[2001:db8::1]:26", "", "2001:db8::1", "smtp://[IPv6:2001:db8::1]:26", 26, P::Smtp, H::Ipv6, T::Opportunistic},
    {"smtp+tls://[IPv6:::1]", "", "::1", "smtp+tls://[IPv6:::1]:25", 25, P::SmtpTls, H::Ipv6, T::Starttls},
    {"lmtp://[ipv6:::1]:24", "", "::1", "lmtp://[IPv6:::1]:24", 24, P::Lmtp, H::Ipv6, T::None},
    {"localhost:65535", "", "localhost", "smtp://localhost:65535", 65535, P::Smtp, H::Name, T::Opportunistic},
};

struct Bad {
    char const* id;
    std::string text;
    char const* error;
    std::size_t offset;
};

Bad const kBad[] = {
    {"Empty", "", "empty relay URL", 0},
    {"UnknownScheme", "http://x", "unknown protocol \"http\": expected smtp, smtp+tls, smtp+notls, smtps or lmtp", 0},
    {"EmptyScheme", "://x", "unknown protocol \"\": expected smtp, smtp+tls, smtp+notls, smtps or lmtp", 0},
    {"LabelWithoutTls", "smtp://bob@mx.example", "a label (credentials) needs the smtp+tls:// or smtps:// protocol", 7},
    {"LabelWithoutScheme", "bob@mx.example", "a label (credentials) needs the smtp+tls:// or smtps:// protocol", 0},
    {"EmptyLabel", "smtps://@mx.example", "empty label before \"@\"", 8},
    {"BlankInLabel", "smtps://a b@mx.example", "invalid \" \" in the label", 9},
    {"MissingHost", "smtp://", "missing host", 7},
    {"MissingHostBeforePort", "smtp://:25", "invalid \":\" in host", 7},
    {"BadHostName", "smtp://-mx.example", "invalid host name \"-mx.example\"", 7},
    {"EmptyHostLabel", "smtp://mx..example", "invalid host name \"mx..example\"", 7},
    {"TrailingDot", "smtp://mx.example.", "invalid host name \"mx.example.\"", 7},
    {"PathAfterHost", "smtp://mx.example/x", "unexpected \"/\" after the host", 17},
    {"ControlAfterHost", std::string("smtp://mx\x01"), "unexpected byte 0x01 after the host", 9},
    {"PortZero", "smtp://mx:0", "invalid port \"0\": expected 1 to 65535", 10},
    {"PortTooLarge", "mx:65536", "invalid port \"65536\": expected 1 to 65535", 3},
    {"PortName", "mx:smtp", "invalid port \"smtp\": expected 1 to 65535", 3},
    {"EmptyPort", "mx:", "invalid port \"\": expected 1 to 65535", 3},
    {"SecondPort", "mx:25:26", "invalid port \"25:26\": expected 1 to 65535", 3},
    {"LmtpWithoutPort", "lmtp://localhost", "lmtp:// needs a port (or a unix socket path)", 16},
    {"UnclosedBracket", "smtp://[::1", "missing \"]\" after the address literal", 7},
    {"BadIpv6", "smtp://[IPv6:::g]", "invalid IPv6 address literal \"[IPv6:::g]\"", 7},
    {"TaggedIpv4", "smtp://[IPv6:192.0.2.1]", "invalid IPv6 address literal \"[IPv6:192.0.2.1]\"", 7},
    {"BadLiteral", "[mx.example]", "invalid IP address literal \"[mx.example]\"", 0},
    {"BareIpv6", "smtp://2001:db8::1", "invalid port \"db8::1\": expected 1 to 65535", 12},
    {"SocketNul", std::string("lmtp:///run/x\0y", 15), "NUL byte in the unix socket path", 13},
    {"SocketTooLong", "lmtp:///" + std::string(107, 's'), "unix socket path longer than 107 bytes", 7},
    {"TooLong", std::string(1024, 'a'), "relay URL longer than 1023 bytes", 0},
    // Found by relay_url_fuzzer: inet_pton(3) stopped at the NUL and took the rest for an address.
    {"NulInsideLiteral", std::string("[192.0.2.5\0\0\0" "1]", 15), R"(invalid IP address literal "[192.0.2.5\x00\x00\x001]")", 0},
    {"ControlInScheme", "\x01://x", R"(unknown protocol "\x01": expected smtp, smtp+tls, smtp+notls, smtps or lmtp)", 0},
};
// clang-format on

void PrintTo(Good const& c, std::ostream* os) {
    *os << c.text;
}
void PrintTo(Bad const& c, std::ostream* os) {
    *os << c.id;
}

class RelayUrlGood : public ::testing::TestWithParam<Good> {};

TEST_P(RelayUrlGood, ParsesEveryField) {
    Good const& c = GetParam();
    RelayUrl const url = ok(c.text);
    EXPECT_EQ(url.protocol, c.protocol);
    EXPECT_EQ(url.label, c.label);
    EXPECT_EQ(url.host_kind, c.kind);
    EXPECT_EQ(url.host, c.host);
    EXPECT_EQ(url.port, c.port);
    EXPECT_EQ(url.tls(), c.tls);
    EXPECT_EQ(url.to_string(), c.canonical);
    // The canonical form reads back as the same URL.
    EXPECT_EQ(ok(url.to_string()), url);
}

INSTANTIATE_TEST_SUITE_P(Rows, RelayUrlGood, ::testing::ValuesIn(kGood),
                         [](auto const& info) { return "Row" + std::to_string(info.index); });

class RelayUrlBad : public ::testing::TestWithParam<Bad> {};

TEST_P(RelayUrlBad, SaysWhatIsWrongAndWhere) {
    Bad const& c = GetParam();
    auto const r = parse_relay_url(c.text);
    EXPECT_FALSE(r.url.has_value());
    EXPECT_EQ(r.error, c.error);
    EXPECT_EQ(r.offset, c.offset);
}

INSTANTIATE_TEST_SUITE_P(Rows, RelayUrlBad, ::testing::ValuesIn(kBad),
                         [](auto const& info) { return std::string(info.param.id); });

TEST(RelayUrl, LongestSocketPathAndLabelAreAccepted) {
    EXPECT_EQ(ok("lmtp://" + std::string("/") + std::string(106, 's')).host.size(), 107u);
    EXPECT_EQ(ok("smtps://" + std::string(255, 'l') + "@mx").label.size(), 255u);
    EXPECT_FALSE(parse_relay_url("smtps://" + std::string(256, 'l') + "@mx").url.has_value());
}

TEST(RelayUrl, AddressesAreInetPtons) {
    EXPECT_TRUE(is_ipv4_address("192.0.2.1"));
    EXPECT_FALSE(is_ipv4_address("192.0.2"));
    EXPECT_FALSE(is_ipv4_address("::1"));
    EXPECT_TRUE(is_ipv6_address("::1"));
    EXPECT_TRUE(is_ipv6_address("2001:db8::192.0.2.1"));
    EXPECT_FALSE(is_ipv6_address("192.0.2.1"));
    EXPECT_FALSE(is_ipv4_address(std::string("192.0.2.1\0x", 11)));
    EXPECT_FALSE(is_ipv6_address(std::string("::1\0", 4)));
}

TEST(RelayUrl, HostNameFollowsResHnok) {
    EXPECT_TRUE(is_host_name("a"));
    EXPECT_TRUE(is_host_name("mail-1.ex_ample.org"));
    EXPECT_TRUE(is_host_name("c..d.")); // res_hnok(3) has no notion of empty labels
    for (char const* bad : {"", "-a", "a-", "_a", "a_", "a b", "a/b", "a.-b"}) {
        EXPECT_FALSE(is_host_name(bad)) << bad;
    }
}

TEST(RelayUrl, DomainNameIsAlsoFitForDns) {
    EXPECT_TRUE(is_domain_name("a"));
    EXPECT_TRUE(is_domain_name("mail-1.ex_ample.org"));
    EXPECT_TRUE(is_domain_name(std::string(63, 'a') + ".example"));
    EXPECT_FALSE(is_domain_name(std::string(64, 'a') + ".example"));
    EXPECT_FALSE(is_domain_name(std::string(126, 'a') + "." + std::string(126, 'a')));
    EXPECT_TRUE(is_domain_name(std::string(63, 'a') + "." + std::string(63, 'a') + "." +
                               std::string(63, 'a') + "." + std::string(61, 'a')));
    for (char const* bad : {"", ".", "a.", ".a", "a..b", "-a", "a-", "_a", "a b"}) {
        EXPECT_FALSE(is_domain_name(bad)) << bad;
    }
}

} // namespace
} // namespace smtpd::conf
