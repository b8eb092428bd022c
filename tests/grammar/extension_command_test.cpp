// Unit tests of the extensions' command lines in parse_command (grammar/src/command.cpp) and of
// the AUTH exchange's lines (grammar/src/sasl.cpp): EXPN (RFC 5321 §4.1.1.7), STARTTLS
// (RFC 3207 §4), AUTH and its responses (RFC 4954 §4, sasl-mech of RFC 4422 §3.1), BDAT
// (RFC 3030 §2), and the SMTPUTF8 grammar (RFC 6531 §3.3) behind Syntax::Utf8.
#include "parse_expect.hpp"
#include "smtpd/grammar/command.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

namespace smtpd::grammar {
namespace {

using namespace std::string_view_literals;

Command accepted(std::string_view line, Syntax syntax = Syntax::Ascii) {
    return testing::expect_accepted([&](std::string_view l) { return parse_command(l, syntax); },
                                    line);
}

ParseError refused(std::string_view line, Syntax syntax = Syntax::Ascii) {
    return testing::expect_refused([&](std::string_view l) { return parse_command(l, syntax); },
                                   line);
}

TEST(ExtensionCommands, ExpnCarriesItsString) {
    Command const c = accepted("EXPN staff");
    EXPECT_EQ(c.verb, Verb::Expn);
    EXPECT_EQ(c.text, "staff");
    EXPECT_EQ(refused("EXPN").kind, ErrorKind::Syntax); // RFC 5321: "EXPN" SP String CRLF
}

TEST(ExtensionCommands, StarttlsTakesNoParameters) {
    EXPECT_EQ(accepted("STARTTLS").verb, Verb::Starttls);
    EXPECT_EQ(accepted("starttls").verb, Verb::Starttls);
    // RFC 3207 §4: "501 Syntax error (no parameters allowed)".
    EXPECT_EQ(refused("STARTTLS now"), (ParseError{8, "CRLF", ErrorKind::Syntax}));
}

TEST(ExtensionCommands, AuthCarriesMechanismAndInitialResponse) {
    Command const plain = accepted("AUTH PLAIN AHVzZXIAcGFzcw==");
    EXPECT_EQ(plain.verb, Verb::Auth);
    EXPECT_EQ(plain.mechanism, "PLAIN");
    EXPECT_EQ(plain.initial_response, "AHVzZXIAcGFzcw==");
    Command const login = accepted("auth LOGIN");
    EXPECT_EQ(login.mechanism, "LOGIN");
    EXPECT_EQ(login.initial_response, std::nullopt);
    EXPECT_EQ(accepted("AUTH PLAIN =").initial_response, "=");
    EXPECT_EQ(accepted("AUTH SCRAM-SHA-256").mechanism, "SCRAM-SHA-256");
    EXPECT_EQ(accepted("AUTH X_12345678901234567").mechanism, "X_12345678901234567");
}

TEST(ExtensionCommands, AuthRefusesBadMechanismsAndResponses) {
    // RFC 4422 §3.1: 1 to 20 upper-case letters, digits, "-" or "_".
    EXPECT_EQ(refused("AUTH plain").kind, ErrorKind::Syntax);
    EXPECT_EQ(refused("AUTH ABCDEFGHIJKLMNOPQRSTU").kind, ErrorKind::Syntax); // 21
    EXPECT_EQ(refused("AUTH").kind, ErrorKind::Syntax);
    EXPECT_EQ(refused("AUTH PLAIN abc").kind, ErrorKind::Syntax);  // not a base64 group
    EXPECT_EQ(refused("AUTH PLAIN ab=c").kind, ErrorKind::Syntax); // "=" only at the end
    EXPECT_EQ(refused("AUTH PLAIN a b").kind, ErrorKind::Syntax);
}

TEST(ExtensionCommands, BdatCarriesSizeAndLast) {
    Command const last = accepted("BDAT 1000 LAST");
    EXPECT_EQ(last.verb, Verb::Bdat);
    EXPECT_EQ(last.chunk_size, 1000U);
    EXPECT_TRUE(last.last);
    Command const more = accepted("bdat 0");
    EXPECT_EQ(more.chunk_size, 0U);
    EXPECT_FALSE(more.last);
    EXPECT_EQ(accepted("BDAT 007 last").chunk_size, 7U);
    EXPECT_EQ(refused("BDAT").kind, ErrorKind::Syntax);
    EXPECT_EQ(refused("BDAT 10 FIRST").kind, ErrorKind::Syntax);
    EXPECT_EQ(refused("BDAT -1").kind, ErrorKind::Syntax);
}

TEST(ExtensionCommands, BdatSizesBeyondUint64Saturate) {
    constexpr auto kMax = std::numeric_limits<std::uint64_t>::max();
    EXPECT_EQ(accepted("BDAT 18446744073709551615").chunk_size, kMax);
    EXPECT_EQ(accepted("BDAT 18446744073709551616").chunk_size, kMax);
    EXPECT_EQ(accepted("BDAT 99999999999999999999999999 LAST").chunk_size, kMax);
    EXPECT_EQ(accepted("BDAT 1844674407370955161").chunk_size, 1844674407370955161U);
}

TEST(ExtensionCommands, FormatGivesBackTheNewVerbs) {
    for (auto line : {"EXPN staff"sv, "STARTTLS"sv, "AUTH PLAIN AHVzZXIAcGFzcw=="sv, "AUTH LOGIN"sv,
                      "BDAT 10 LAST"sv, "BDAT 0"sv}) {
        EXPECT_EQ(format_command(accepted(line)), line);
    }
    EXPECT_EQ(format_command(accepted("bdat 007 last")), "BDAT 7 LAST");
}

TEST(SaslResponses, DecodeBase64CancelAndEmpty) {
    auto const plain = parse_sasl_response("AHVzZXIAcGFzcw==");
    ASSERT_TRUE(plain.ok());
    EXPECT_EQ(plain.value(), (SaslResponse{false, std::string("\0user\0pass", 10)}));
    EXPECT_EQ(parse_sasl_response("dXNlcg==").value().decoded, "user");
    EXPECT_EQ(parse_sasl_response("dXNlcjE=").value().decoded, "user1");
    EXPECT_EQ(parse_sasl_response("dXNlcjEy").value().decoded, "user12");
    EXPECT_EQ(parse_sasl_response("").value(), (SaslResponse{false, ""}));
    EXPECT_EQ(parse_sasl_response("*").value(), (SaslResponse{true, ""}));
}

TEST(SaslResponses, RefuseWhatIsNotBase64) {
    for (auto line : {"dXNlcg="sv, "dXNl cg=="sv, "**"sv, "="sv, "dXNlcg==dXNl"sv, "d\xc3\xa9"sv,
                      "dXNlcg==\r"sv}) {
        EXPECT_FALSE(parse_sasl_response(line).ok()) << line;
    }
}

TEST(SaslResponses, InitialResponseEqualsSignIsEmpty) {
    EXPECT_EQ(decode_initial_response("="), "");
    EXPECT_EQ(decode_initial_response("AHVzZXIAcGFzcw=="), std::string("\0user\0pass", 10));
    EXPECT_EQ(decode_initial_response("=="), std::nullopt);
    EXPECT_EQ(decode_initial_response(""), std::nullopt);
    EXPECT_EQ(decode_initial_response("abc"), std::nullopt);
}

TEST(Utf8Syntax, AcceptsUtf8AddressesOnlyUnderSmtputf8) {
    std::string_view const line = "MAIL FROM:<j\xc3\xb6rg@b\xc3\xbc"
                                  "cher.example> SMTPUTF8";
    EXPECT_EQ(refused(line).kind, ErrorKind::Syntax);
    Command const c = accepted(line, Syntax::Utf8);
    ASSERT_TRUE(c.path.mailbox.has_value());
    EXPECT_EQ(c.path.mailbox->local_part, "j\xc3\xb6rg");
    EXPECT_EQ(c.path.mailbox->domain, "b\xc3\xbc"
                                      "cher.example");
    ASSERT_EQ(c.params.size(), 1U);
    EXPECT_EQ(c.params[0].keyword, "SMTPUTF8");
    Command const r = accepted("RCPT TO:<\xe7\x94\xa8\xe6\x88\xb7@example.com>", Syntax::Utf8);
    EXPECT_EQ(r.path.mailbox->local_part, "\xe7\x94\xa8\xe6\x88\xb7");
    EXPECT_EQ(accepted("VRFY J\xc3\xb6rg", Syntax::Utf8).text, "J\xc3\xb6rg");
    EXPECT_EQ(accepted("EXPN \xc3\xa9quipe", Syntax::Utf8).text, "\xc3\xa9quipe");
}

TEST(Utf8Syntax, StillRefusesMalformedUtf8AndAsciiOnlyVerbs) {
    // RFC 3629: an overlong form and a lone continuation byte are not UTF-8.
    EXPECT_EQ(refused("MAIL FROM:<\xc0\xafx@b>", Syntax::Utf8).kind, ErrorKind::Syntax);
    EXPECT_EQ(refused("RCPT TO:<\x80@b>", Syntax::Utf8).kind, ErrorKind::Syntax);
    // Verbs whose arguments RFC 6531 does not change keep the ASCII grammar.
    EXPECT_EQ(refused("HELO b\xc3\xbc"
                      "cher.example",
                      Syntax::Utf8)
                  .kind,
              ErrorKind::Syntax);
    EXPECT_EQ(accepted("DATA", Syntax::Utf8).verb, Verb::Data);
}

TEST(Utf8Syntax, ULabelsMustBeValidIdna2008) {
    // RFC 6531 §3.3: a U-label as RFC 5890 defines it; RFC 5891 §4.2: NFC, lower case, no
    // disallowed code point, bidi rules.
    EXPECT_TRUE(parse_domain("\xe6\x97\xa5\xe6\x9c\xac.example", Syntax::Utf8).ok());
    EXPECT_TRUE(parse_domain("stra\xc3\x9f"
                             "e.example",
                             Syntax::Utf8)
                    .ok());
    EXPECT_EQ(parse_domain("B\xc3\x9c"
                           "CHER.example",
                           Syntax::Utf8)
                  .error(),
              (ParseError{0, "U-label", ErrorKind::Syntax}));
    EXPECT_FALSE(parse_domain("u\xcc\x88"
                              "ber.example",
                              Syntax::Utf8)
                     .ok()); // not NFC
    EXPECT_EQ(refused("RCPT TO:<a@B\xc3\x9c"
                      "CHER.example>",
                      Syntax::Utf8),
              (ParseError{11, "U-label", ErrorKind::Syntax}));
    EXPECT_EQ(parse_mailbox("a@u\xcc\x88"
                            "ber.example",
                            Syntax::Utf8)
                  .error(),
              (ParseError{2, "U-label", ErrorKind::Syntax}));
}

TEST(Utf8Syntax, MailboxAndDomainEntries) {
    EXPECT_FALSE(parse_mailbox("j\xc3\xb6rg@example.com").ok());
    EXPECT_EQ(parse_mailbox("j\xc3\xb6rg@example.com", Syntax::Utf8).value().local_part,
              "j\xc3\xb6rg");
    EXPECT_FALSE(parse_domain("b\xc3\xbc"
                              "cher.example")
                     .ok());
    EXPECT_EQ(parse_domain("b\xc3\xbc"
                           "cher.example",
                           Syntax::Utf8)
                  .value(),
              "b\xc3\xbc"
              "cher.example");
}

} // namespace
} // namespace smtpd::grammar
