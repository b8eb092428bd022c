// Unit tests of parse_command (grammar/src/command.cpp): each command of RFC 5321 §4.1.1 with
// accepted and refused arguments, the verb rules of §2.4 and §4.1.1, the error kinds, offsets and
// rule names, and the size limits of §4.5.3.1.3. Mailbox, Domain and address-literal details are
// in mailbox_test.cpp.
#include "parse_expect.hpp"
#include "smtpd/grammar/command.hpp"
#include "smtpd/grammar/limits.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>

namespace smtpd::grammar {
namespace {

using namespace std::string_view_literals;

Command accepted(std::string_view line) {
    return testing::expect_accepted([](std::string_view l) { return parse_command(l); }, line);
}

ParseError refused(std::string_view line) {
    return testing::expect_refused([](std::string_view l) { return parse_command(l); }, line);
}

/// A syntactically valid Domain of exactly `n` octets (63-octet labels).
std::string domain_of(std::size_t n) {
    std::string domain(n, 'a');
    for (std::size_t i = 63; i + 1 < n; i += 64) {
        domain[i] = '.';
    }
    return domain;
}

TEST(CommandGrammar, AcceptsHeloWithDomain) {
    Command const c = accepted("HELO mail.example.com");
    EXPECT_EQ(c.verb, Verb::Helo);
    EXPECT_EQ(c.domain, "mail.example.com");
}

TEST(CommandGrammar, AcceptsEhloWithDomainOrAddressLiteral) {
    EXPECT_EQ(accepted("EHLO example.com").domain, "example.com");
    EXPECT_EQ(accepted("EHLO [192.0.2.1]").domain, "[192.0.2.1]");
    EXPECT_EQ(accepted("EHLO [IPv6:2001:db8::1]").domain, "[IPv6:2001:db8::1]");
    EXPECT_EQ(accepted("EHLO [IPv6:2001:db8::1]").verb, Verb::Ehlo);
}

TEST(CommandGrammar, RefusesHeloWithAddressLiteral) {
    EXPECT_EQ(refused("HELO [192.0.2.1]"), (ParseError{5, "Domain", ErrorKind::Syntax}));
}

TEST(CommandGrammar, RefusesHeloAndEhloWithoutArgument) {
    EXPECT_EQ(refused("HELO"), (ParseError{4, "SP", ErrorKind::Syntax}));
    // The furthest failure names the last alternative tried there.
    EXPECT_EQ(refused("EHLO "), (ParseError{5, "address-literal", ErrorKind::Syntax}));
    EXPECT_EQ(refused("EHLO  example.com").kind, ErrorKind::Syntax);
    EXPECT_EQ(refused("EHLO example.com ").kind, ErrorKind::Syntax);
    EXPECT_EQ(refused("EHLO [192.0.2.256]").rule, "address-literal");
}

TEST(CommandGrammar, AcceptsLowercaseAndMixedCaseVerbs) {
    EXPECT_EQ(accepted("helo x").verb, Verb::Helo);
    EXPECT_EQ(accepted("mail from:<a@b>").verb, Verb::Mail);
    EXPECT_EQ(accepted("Rcpt To:<a@b>").verb, Verb::Rcpt);
    EXPECT_EQ(accepted("data").verb, Verb::Data);
    EXPECT_EQ(accepted("rSeT").verb, Verb::Rset);
    EXPECT_EQ(accepted("Quit").verb, Verb::Quit);
}

TEST(CommandGrammar, AcceptsMailWithNullReversePath) {
    Command const c = accepted("MAIL FROM:<>");
    EXPECT_EQ(c.verb, Verb::Mail);
    EXPECT_TRUE(c.path.is_null());
    EXPECT_TRUE(c.params.empty());
}

TEST(CommandGrammar, AcceptsMailWithMailbox) {
    Command const c = accepted("MAIL FROM:<Smith@bar.com>");
    EXPECT_EQ(c.path.mailbox, (std::optional<Mailbox>{{"Smith", "bar.com", false}}));
    EXPECT_TRUE(c.path.source_route.empty());
}

TEST(CommandGrammar, AcceptsSourceRouteFromRfc5321) {
    // RFC 5321 §3.3 and Appendix C: the route is kept in source_route, to be ignored.
    Command const c = accepted("MAIL FROM:<@ONE,@TWO:JOE@THREE>");
    EXPECT_EQ(c.path.source_route, (std::vector<std::string>{"ONE", "TWO"}));
    EXPECT_EQ(c.path.mailbox, (std::optional<Mailbox>{{"JOE", "THREE", false}}));
    Command const r = accepted("RCPT TO:<@hosta.int,@jkl.org:userc@d.bar.org>");
    EXPECT_EQ(r.path.source_route, (std::vector<std::string>{"hosta.int", "jkl.org"}));
    EXPECT_EQ(r.path.mailbox, (std::optional<Mailbox>{{"userc", "d.bar.org", false}}));
}

TEST(CommandGrammar, RefusesMalformedSourceRoute) {
    EXPECT_EQ(refused("MAIL FROM:<@:a@b>"), (ParseError{12, "Domain", ErrorKind::Syntax}));
    EXPECT_EQ(refused("MAIL FROM:<@a,:b@c>"), (ParseError{14, "At-domain", ErrorKind::Syntax}));
    EXPECT_EQ(refused("MAIL FROM:<@a b@c>"), (ParseError{13, "Path", ErrorKind::Syntax}));
    EXPECT_EQ(refused("MAIL FROM:<@a:>").rule, "Mailbox");
}

TEST(CommandGrammar, AcceptsMailParameters) {
    Command const c = accepted("MAIL FROM:<a@b> SIZE=1000 BODY=8BITMIME SMTPUTF8");
    ASSERT_EQ(c.params.size(), 3U);
    EXPECT_EQ(c.params[0], (EsmtpParam{"SIZE", "1000"}));
    EXPECT_EQ(c.params[1], (EsmtpParam{"BODY", "8BITMIME"}));
    EXPECT_EQ(c.params[2], (EsmtpParam{"SMTPUTF8", std::nullopt}));
}

TEST(CommandGrammar, RefusesMalformedParameters) {
    EXPECT_EQ(refused("MAIL FROM:<a@b> "), (ParseError{16, "Mail-parameters", ErrorKind::Syntax}));
    EXPECT_EQ(refused("MAIL FROM:<a@b>  SIZE=1").rule, "Mail-parameters");
    EXPECT_EQ(refused("MAIL FROM:<a@b> SIZE=").rule, "esmtp-value");
    EXPECT_EQ(refused("MAIL FROM:<a@b> SIZE=1=2"), (ParseError{22, "CRLF", ErrorKind::Syntax}));
    EXPECT_EQ(refused("MAIL FROM:<a@b> -SIZE=1").rule, "Mail-parameters");
    EXPECT_EQ(refused("MAIL FROM:<a@b> SIZE=1 ").rule, "esmtp-param");
    EXPECT_EQ(refused("MAIL FROM:<a@b>SIZE=1").rule, "CRLF");
    EXPECT_EQ(refused("RCPT TO:<a@b> NOTIFY=").rule, "esmtp-value");
}

TEST(CommandGrammar, RefusesSpaceAroundTheColon) {
    // RFC 5321 §4.1.2: no space is allowed between the colon and the path, nor before it.
    EXPECT_EQ(refused("MAIL FROM: <a@b>"), (ParseError{10, "Reverse-path", ErrorKind::Syntax}));
    EXPECT_EQ(refused("MAIL FROM :<a@b>"), (ParseError{9, "mail", ErrorKind::Syntax}));
    EXPECT_EQ(refused("RCPT TO: <a@b>"), (ParseError{8, "Forward-path", ErrorKind::Syntax}));
    EXPECT_EQ(refused("MAIL  FROM:<a@b>"), (ParseError{5, "mail", ErrorKind::Syntax}));
}

TEST(CommandGrammar, RefusesPathWithoutBrackets) {
    EXPECT_EQ(refused("MAIL FROM:a@b"), (ParseError{10, "Reverse-path", ErrorKind::Syntax}));
    EXPECT_EQ(refused("MAIL FROM:<a@b"), (ParseError{14, "Path", ErrorKind::Syntax}));
    EXPECT_EQ(refused("MAIL FROM:"), (ParseError{10, "Reverse-path", ErrorKind::Syntax}));
    EXPECT_EQ(refused("MAIL FROM:<a@b..c>"), (ParseError{15, "sub-domain", ErrorKind::Syntax}));
}

TEST(CommandGrammar, AcceptsRcptPostmasterWithoutDomainInAnyCase) {
    for (auto line :
         {"RCPT TO:<Postmaster>"sv, "RCPT TO:<postmaster>"sv, "rcpt to:<POSTMASTER>"sv}) {
        Command const c = accepted(line);
        EXPECT_TRUE(c.path.postmaster);
        EXPECT_FALSE(c.path.mailbox);
        EXPECT_FALSE(c.path.is_null());
    }
}

TEST(CommandGrammar, AcceptsRcptPostmasterAtDomain) {
    Command const c = accepted("RCPT TO:<postMaster@example.com>");
    EXPECT_FALSE(c.path.postmaster);
    EXPECT_EQ(c.path.mailbox, (std::optional<Mailbox>{{"postMaster", "example.com", false}}));
    Command const l = accepted("RCPT TO:<Postmaster@[192.0.2.1]> NOTIFY=NEVER");
    EXPECT_EQ(l.path.mailbox, (std::optional<Mailbox>{{"Postmaster", "[192.0.2.1]", true}}));
    EXPECT_EQ(l.params, (std::vector<EsmtpParam>{{"NOTIFY", "NEVER"}}));
}

TEST(CommandGrammar, AcceptsRcptWithParameters) {
    Command const c = accepted("RCPT TO:<a@b> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;a+40b@c");
    EXPECT_EQ(c.params, (std::vector<EsmtpParam>{{"NOTIFY", "SUCCESS,FAILURE"},
                                                 {"ORCPT", "rfc822;a+40b@c"}}));
}

TEST(CommandGrammar, RefusesRcptWithNullPath) {
    EXPECT_EQ(refused("RCPT TO:<>"), (ParseError{9, "Mailbox", ErrorKind::Syntax}));
    EXPECT_EQ(refused("RCPT TO:<Postmaster"), (ParseError{19, "Mailbox", ErrorKind::Syntax}));
}

TEST(CommandGrammar, AcceptsCommandsWithoutArguments) {
    EXPECT_EQ(accepted("DATA").verb, Verb::Data);
    EXPECT_EQ(accepted("RSET").verb, Verb::Rset);
    EXPECT_EQ(accepted("QUIT").verb, Verb::Quit);
}

TEST(CommandGrammar, RefusesAnythingAfterDataRsetQuit) {
    EXPECT_EQ(refused("DATA "), (ParseError{4, "CRLF", ErrorKind::Syntax}));
    EXPECT_EQ(refused("RSET now"), (ParseError{4, "CRLF", ErrorKind::Syntax}));
    // The rule sees the line with its CRLF: a stray CR is followed by CR, not LF.
    EXPECT_EQ(refused("QUIT\r"), (ParseError{5, "LF", ErrorKind::Syntax}));
    EXPECT_EQ(refused("DATA\0"sv), (ParseError{4, "CRLF", ErrorKind::Syntax}));
    EXPECT_EQ(refused("QUIT:").kind, ErrorKind::Syntax);
}

TEST(CommandGrammar, AcceptsNoopWithAnyPrintableArgumentAndIgnoresIt) {
    // RFC 5321 §4.1.1.9: "If a parameter string is specified, servers SHOULD ignore it."
    for (auto line : {"NOOP"sv, "NOOP hello"sv, "NOOP \"hello world\""sv, "NOOP a b"sv, "NOOP "sv,
                      "noop two words: and <more>"sv}) {
        EXPECT_EQ(accepted(line).verb, Verb::Noop) << line;
        EXPECT_EQ(accepted(line).text, "") << line;
    }
}

TEST(CommandGrammar, RefusesNoopWithControlsOrAMissingSpace) {
    EXPECT_EQ(refused("NOOP a\tb").kind, ErrorKind::Syntax);
    EXPECT_EQ(refused("NOOP \xc3\xa9"sv).kind, ErrorKind::Syntax);
    EXPECT_EQ(refused("NOOPx").kind, ErrorKind::UnknownVerb);
}

TEST(CommandGrammar, AcceptsHelpWithOptionalString) {
    EXPECT_EQ(accepted("HELP").verb, Verb::Help);
    EXPECT_EQ(accepted("HELP MAIL").text, "MAIL");
}

TEST(CommandGrammar, RefusesHelpWithMoreThanOneString) {
    EXPECT_EQ(refused("HELP a.b").kind, ErrorKind::Syntax);
    EXPECT_EQ(refused("HELP \"a").rule, "DQUOTE");
}

TEST(CommandGrammar, AcceptsVrfyWithString) {
    EXPECT_EQ(accepted("VRFY Smith").text, "Smith");
    EXPECT_EQ(accepted("VRFY \"John Smith\"").text, "\"John Smith\"");
}

TEST(CommandGrammar, RefusesVrfyWithoutString) {
    EXPECT_EQ(refused("VRFY"), (ParseError{4, "SP", ErrorKind::Syntax}));
    EXPECT_EQ(refused("VRFY "), (ParseError{5, "String", ErrorKind::Syntax}));
    EXPECT_EQ(refused("VRFY john@example.com").kind, ErrorKind::Syntax);
}

TEST(CommandGrammar, ReportsUnknownVerbs) {
    for (auto line : {"XYZZY"sv, "STARTTLSX"sv, "AUTHPLAIN"sv, "EXP"sv, ""sv, " MAIL FROM:<>"sv,
                      "DATAX"sv, "MAILFROM:<a@b>"sv, "\xc3\xa9HLO x"sv, "X-FOO"sv, "\r\n"sv}) {
        EXPECT_EQ(refused(line), (ParseError{0, "command", ErrorKind::UnknownVerb})) << line;
    }
}

TEST(CommandGrammar, RefusesControlsAnd8BitInArguments) {
    EXPECT_EQ(refused("MAIL FROM:<a\0b@c>"sv).kind, ErrorKind::Syntax);
    EXPECT_EQ(refused("MAIL FROM:<a@b>\r"sv).kind, ErrorKind::Syntax);
    EXPECT_EQ(refused("MAIL FROM:<a@b>\r\n"sv).kind, ErrorKind::Syntax);
    EXPECT_EQ(refused("MAIL FROM:<j\xc3\xb6rg@b>"sv),
              (ParseError{12, "Mailbox", ErrorKind::Syntax}));
    EXPECT_EQ(refused("HELO ex\x80mple.com"sv).kind, ErrorKind::Syntax);
    EXPECT_EQ(refused("NOOP \"\x7f\""sv).kind, ErrorKind::Syntax);
    EXPECT_EQ(refused("MAIL\tFROM:<a@b>"sv).kind, ErrorKind::Syntax);
}

TEST(CommandGrammar, VerbNamesAreSpelledAsInRfc5321) {
    EXPECT_EQ(verb_name(Verb::Helo), "HELO");
    EXPECT_EQ(verb_name(Verb::Ehlo), "EHLO");
    EXPECT_EQ(verb_name(Verb::Mail), "MAIL");
    EXPECT_EQ(verb_name(Verb::Rcpt), "RCPT");
    EXPECT_EQ(verb_name(Verb::Data), "DATA");
    EXPECT_EQ(verb_name(Verb::Rset), "RSET");
    EXPECT_EQ(verb_name(Verb::Noop), "NOOP");
    EXPECT_EQ(verb_name(Verb::Quit), "QUIT");
    EXPECT_EQ(verb_name(Verb::Vrfy), "VRFY");
    EXPECT_EQ(verb_name(Verb::Help), "HELP");
    EXPECT_EQ(verb_name(Verb::Expn), "EXPN");
    EXPECT_EQ(verb_name(Verb::Starttls), "STARTTLS");
    EXPECT_EQ(verb_name(Verb::Auth), "AUTH");
    EXPECT_EQ(verb_name(Verb::Bdat), "BDAT");
}

TEST(CommandLimits, AcceptsPathOf256Octets) {
    std::string const path = "<" + std::string(64, 'l') + "@" + domain_of(189) + ">";
    ASSERT_EQ(path.size(), kMaxPath);
    EXPECT_TRUE(parse_command("MAIL FROM:" + path).ok());
    EXPECT_TRUE(parse_command("RCPT TO:" + path + " NOTIFY=NEVER").ok());
}

TEST(CommandLimits, RefusesPathOver256Octets) {
    std::string const path = "<" + std::string(64, 'l') + "@" + domain_of(190) + ">";
    EXPECT_EQ(refused("MAIL FROM:" + path), (ParseError{10, "Path", ErrorKind::PathTooLong}));
    EXPECT_EQ(refused("RCPT TO:" + path), (ParseError{8, "Path", ErrorKind::PathTooLong}));
    std::string const routed = "<@" + domain_of(220) + ",@" + domain_of(40) + ":a@b>";
    EXPECT_EQ(refused("RCPT TO:" + routed).kind, ErrorKind::PathTooLong);
    std::string const postmaster = "<Postmaster@" + domain_of(250) + ">";
    EXPECT_EQ(refused("RCPT TO:" + postmaster).kind, ErrorKind::PathTooLong);
}

TEST(CommandLimits, SyntaxErrorsWinOverLength) {
    std::string const path = "<" + std::string(300, 'l') + " @b>";
    EXPECT_EQ(refused("MAIL FROM:" + path).kind, ErrorKind::Syntax);
}

TEST(CommandLimits, RefusesLocalPartOver64Octets) {
    EXPECT_TRUE(parse_command("MAIL FROM:<" + std::string(64, 'l') + "@b>").ok());
    EXPECT_EQ(refused("MAIL FROM:<" + std::string(65, 'l') + "@b>"),
              (ParseError{11, "Local-part", ErrorKind::LocalPartTooLong}));
    EXPECT_EQ(refused("RCPT TO:<@r:" + std::string(65, 'l') + "@b>"),
              (ParseError{12, "Local-part", ErrorKind::LocalPartTooLong}));
}

TEST(CommandLimits, RefusesEhloDomainOver255Octets) {
    EXPECT_TRUE(parse_command("EHLO " + domain_of(kMaxDomain)).ok());
    EXPECT_EQ(refused("EHLO " + domain_of(256)),
              (ParseError{5, "Domain", ErrorKind::DomainTooLong}));
    EXPECT_EQ(refused("HELO " + domain_of(256)).kind, ErrorKind::DomainTooLong);
}

} // namespace
} // namespace smtpd::grammar
