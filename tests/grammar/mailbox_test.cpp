// Unit tests of parse_mailbox and parse_domain (grammar/src/command.cpp): Local-part (Dot-string,
// Quoted-string), Domain (sub-domain, Ldh-str) and the address literals of RFC 5321 §4.1.2 and
// §4.1.3, with the RFC's own examples where it gives them, and the limits of §4.5.3.1.1/.2.
#include "parse_expect.hpp"
#include "smtpd/grammar/command.hpp"
#include "smtpd/grammar/limits.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace smtpd::grammar {
namespace {

using namespace std::string_view_literals;

Mailbox accepted(std::string_view text) {
    return testing::expect_accepted([](std::string_view t) { return parse_mailbox(t); }, text);
}

ParseError refused(std::string_view text) {
    return testing::expect_refused([](std::string_view t) { return parse_mailbox(t); }, text);
}

bool literal_ok(std::string_view literal) {
    auto parsed = parse_mailbox("a@" + std::string(literal));
    return parsed.ok() && parsed.value().domain == literal && parsed.value().domain_is_literal;
}

bool domain_ok(std::string_view domain) {
    return parse_domain(domain).ok();
}

TEST(MailboxGrammar, AcceptsDotString) {
    EXPECT_EQ(accepted("john.q.public@example.com"),
              (Mailbox{"john.q.public", "example.com", false}));
}

TEST(MailboxGrammar, AcceptsEveryAtextSpecial) {
    EXPECT_EQ(accepted("!#$%&'*+-/=?^_`{|}~@x").local_part, "!#$%&'*+-/=?^_`{|}~");
}

TEST(MailboxGrammar, AcceptsQuotedLocalPartWithSpace) {
    EXPECT_EQ(accepted("\"a b\"@x"), (Mailbox{"\"a b\"", "x", false}));
}

TEST(MailboxGrammar, AcceptsQuotedLocalPartWithEscapedQuote) {
    EXPECT_EQ(accepted(R"("a\"b"@x)").local_part, R"("a\"b")");
    EXPECT_EQ(accepted(R"("a\\b"@x)").local_part, R"("a\\b")");
}

TEST(MailboxGrammar, AcceptsRfcExampleWithQuotedComma) {
    // RFC 5321 §4.1.2: "Joe\,Smith" is a nine-character user name.
    EXPECT_EQ(accepted(R"("Joe\,Smith"@example.com)").local_part, R"("Joe\,Smith")");
}

TEST(MailboxGrammar, AcceptsEmptyQuotedString) {
    EXPECT_EQ(accepted("\"\"@x").local_part, "\"\"");
}

TEST(MailboxGrammar, RefusesMalformedDotString) {
    EXPECT_EQ(refused(".a@b"), (ParseError{0, "Mailbox", ErrorKind::Syntax}));
    EXPECT_EQ(refused("a.@b"), (ParseError{2, "Atom", ErrorKind::Syntax}));
    EXPECT_EQ(refused("a..b@c").offset, 2U);
    EXPECT_EQ(refused("@b").offset, 0U);
    EXPECT_EQ(refused("ab").offset, 2U);
    EXPECT_EQ(refused("").offset, 0U);
}

TEST(MailboxGrammar, RefusesSpecialsOutsideQuotes) {
    for (auto text : {"a(b)@c"sv, "a,b@c"sv, "a b@c"sv, "a[b@c"sv, R"(a"b@c)"sv, R"(a\b@c)"sv,
                      "a:b@c"sv, "a;b@c"sv, "a<b@c"sv, "a@b@c"sv}) {
        EXPECT_EQ(refused(text).kind, ErrorKind::Syntax) << text;
    }
}

TEST(MailboxGrammar, RefusesMalformedQuotedString) {
    EXPECT_EQ(refused(R"("ab@x)").kind, ErrorKind::Syntax);
    EXPECT_EQ(refused(R"("a\"@x)").kind, ErrorKind::Syntax);
    EXPECT_EQ(refused("\"a\\\tb\"@x").kind, ErrorKind::Syntax);
    EXPECT_EQ(refused("\"a\tb\"@x").kind, ErrorKind::Syntax);
    EXPECT_EQ(refused("\"a\"b@x").kind, ErrorKind::Syntax);
    EXPECT_EQ(refused("\"a\".b@x").kind, ErrorKind::Syntax);
}

TEST(MailboxGrammar, RefusesControlsAnd8Bit) {
    for (auto text : {"j\xc3\xb6rg@example.com"sv, "a\0b@c"sv, "a@b\0"sv, "a@b\r\n"sv,
                      "\"a\x7f\"@b"sv, "\"\xe2\x82\xac\"@b"sv, "a@b\xff"sv, "\x80@b"sv}) {
        EXPECT_EQ(refused(text).kind, ErrorKind::Syntax) << text;
    }
}

TEST(MailboxGrammar, ReportsRuleAndOffsetOfDomainErrors) {
    EXPECT_EQ(refused("a@"), (ParseError{2, "address-literal", ErrorKind::Syntax}));
    EXPECT_EQ(refused("a@-b"), (ParseError{2, "address-literal", ErrorKind::Syntax}));
    EXPECT_EQ(refused("a@b..c"), (ParseError{4, "sub-domain", ErrorKind::Syntax}));
    EXPECT_EQ(refused("a@[1.2.3]"), (ParseError{8, "IPv4-address-literal", ErrorKind::Syntax}));
}

TEST(MailboxGrammar, RefusesLocalPartOver64Octets) {
    EXPECT_TRUE(parse_mailbox(std::string(kMaxLocalPart, 'x') + "@b").ok());
    EXPECT_EQ(refused(std::string(65, 'x') + "@b"),
              (ParseError{0, "Local-part", ErrorKind::LocalPartTooLong}));
    // Measured as sent: the quotes count.
    EXPECT_EQ(refused("\"" + std::string(63, 'x') + "\"@b").kind, ErrorKind::LocalPartTooLong);
}

TEST(MailboxGrammar, RefusesDomainOver255Octets) {
    std::string domain(kMaxDomain, 'd');
    domain[100] = '.';
    EXPECT_TRUE(parse_mailbox("a@" + domain).ok());
    EXPECT_EQ(refused("ab@" + domain + "d"), (ParseError{3, "Domain", ErrorKind::DomainTooLong}));
}

TEST(DomainGrammar, AcceptsRfcShapedDomains) {
    for (auto domain : {"localhost"sv, "example.com"sv, "mail.example.com"sv, "3com.com"sv, "a"sv,
                        "123"sv, "a-b.c"sv, "a--b.c"sv, "xn--bcher-kva.example"sv, "A.B.C.D"sv}) {
        EXPECT_TRUE(domain_ok(domain)) << domain;
    }
    EXPECT_EQ(parse_domain("Example.COM").value(), "Example.COM");
}

TEST(DomainGrammar, RefusesLdhStrEndingInHyphen) {
    EXPECT_EQ(parse_domain("example-").error(), (ParseError{8, "Ldh-str", ErrorKind::Syntax}));
    EXPECT_FALSE(domain_ok("a-.com"));
    EXPECT_FALSE(domain_ok("a.b-"));
}

TEST(DomainGrammar, RefusesMalformedLabels) {
    // RFC 5321 §4.1.2: "In particular, the underscore character is not permitted."
    for (auto domain : {"-a"sv, "a_b.com"sv, "example.com."sv, ".example.com"sv, "a..b"sv, ""sv,
                        "a b"sv, "[192.0.2.1]"sv, "ex\xc3\xa4mple.com"sv, "a\0"sv, "a.-b"sv}) {
        EXPECT_FALSE(domain_ok(domain)) << domain;
    }
    EXPECT_EQ(parse_domain("").error(), (ParseError{0, "Domain", ErrorKind::Syntax}));
}

TEST(DomainGrammar, RefusesDomainOver255Octets) {
    std::string domain(kMaxDomain, 'a');
    domain[63] = '.';
    EXPECT_TRUE(domain_ok(domain));
    EXPECT_EQ(parse_domain(domain + "a").error(),
              (ParseError{0, "Domain", ErrorKind::DomainTooLong}));
}

TEST(MailboxAddressLiteral, AcceptsIpv4) {
    EXPECT_EQ(accepted("a@[192.0.2.1]"), (Mailbox{"a", "[192.0.2.1]", true}));
    // RFC 5321 §4.1.3's example, the extremes, and leading zeros (Snum = 1*3DIGIT).
    for (auto literal :
         {"[123.255.37.2]"sv, "[0.0.0.0]"sv, "[255.255.255.255]"sv, "[001.02.3.4]"sv}) {
        EXPECT_TRUE(literal_ok(literal)) << literal;
    }
}

TEST(MailboxAddressLiteral, RefusesSnumAbove255AndWrongShapes) {
    for (auto literal :
         {"[256.1.1.1]"sv, "[1.2.3.256]"sv, "[1.2.3.999]"sv, "[1.2.3]"sv, "[1.2.3.4.5]"sv,
          "[1234.1.1.1]"sv, "[1.2.3.4"sv, "[]"sv, "[1..2.3]"sv, "[ 1.2.3.4]"sv, "[1.2.3.-1]"sv}) {
        EXPECT_FALSE(literal_ok(literal)) << literal;
    }
}

TEST(MailboxAddressLiteral, AcceptsIpv6Forms) {
    for (auto literal :
         {"[IPv6:2001:db8::1]"sv, "[IPv6:::1]"sv, "[IPv6:::]"sv, "[ipv6:2001:DB8::1]"sv,
          "[IPv6:2001:db8:0:0:0:0:0:1]"sv, "[IPv6:1:2:3:4:5:6::]"sv, "[IPv6:1::2:3:4:5:6]"sv,
          "[IPv6:::1:2:3:4:5:6]"sv, "[IPv6:ffff::]"sv, "[IPv6:::ffff:192.0.2.1]"sv,
          "[IPv6:0:0:0:0:0:ffff:192.0.2.1]"sv, "[IPv6:::192.0.2.1]"sv, "[IPv6:a:b::c:1.2.3.4]"sv,
          "[IPv6:1:2::3:4:1.2.3.4]"sv, "[IPv6:1:2:3:4::1.2.3.4]"sv}) {
        EXPECT_TRUE(literal_ok(literal)) << literal;
    }
}

TEST(MailboxAddressLiteral, RefusesIpv6WithTooManyGroups) {
    // RFC 5321 §4.1.3: IPv6-full has 8 groups; IPv6-comp at most 6 besides "::"; IPv6v4-full 6
    // before the IPv4 part; IPv6v4-comp at most 4 besides "::" and the IPv4 part.
    for (auto literal :
         {"[IPv6:1:2:3:4:5:6:7:8:9]"sv, "[IPv6:1:2:3:4:5:6:7]"sv, "[IPv6:1:2:3:4::5:6:7]"sv,
          "[IPv6:1:2:3:4:5:6:7::]"sv, "[IPv6:::1:2:3:4:5:6:7]"sv, "[IPv6:1:2:3::4:5:1.2.3.4]"sv,
          "[IPv6:1:2:3:4:5::1.2.3.4]"sv, "[IPv6:1:2:3:4:5:6:7:1.2.3.4]"sv,
          "[IPv6:1:2:3:4:5:1.2.3.4]"sv}) {
        EXPECT_FALSE(literal_ok(literal)) << literal;
    }
}

TEST(MailboxAddressLiteral, RefusesMalformedIpv6) {
    for (auto literal : {"[IPv6:12345::1]"sv, "[IPv6:1:::2]"sv, "[IPv6:1::2::3]"sv, "[IPv6:g::1]"sv,
                         "[IPv6:::ffff:1.2.3.256]"sv, "[IPv6:]"sv, "[IPv6::1]"sv, "[IPv6:1:]"sv,
                         "[IPv6 ::1]"sv, "[IPv6:::1.2.3]"sv}) {
        EXPECT_FALSE(literal_ok(literal)) << literal;
    }
}

TEST(MailboxAddressLiteral, AcceptsGeneralAddressLiteral) {
    EXPECT_TRUE(literal_ok("[x-tag:some-content]"));
    EXPECT_TRUE(literal_ok("[X400:c=us;a=;p=x]"));
    EXPECT_TRUE(literal_ok("[tag:a:b/c]"));
}

TEST(MailboxAddressLiteral, RefusesMalformedGeneralAddressLiteral) {
    for (auto literal : {"[tag:]"sv, "[tag-:x]"sv, "[tag:a b]"sv, "[tag:a[b]"sv, R"([tag:a\b])"sv,
                         "[t_g:x]"sv, "[:x]"sv, "[tag]"sv}) {
        EXPECT_FALSE(literal_ok(literal)) << literal;
    }
}

} // namespace
} // namespace smtpd::grammar
