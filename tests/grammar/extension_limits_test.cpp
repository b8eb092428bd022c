// Unit tests of the command-line limits (grammar/src/extensions.cpp, limits.hpp): RFC 5321
// §4.5.3.1.4's 512 octets, raised for MAIL and RCPT by each advertised extension by the figure its
// RFC gives, and the EHLO keywords.
#include "smtpd/grammar/extensions.hpp"
#include "smtpd/grammar/limits.hpp"

#include <gtest/gtest.h>

namespace smtpd::grammar {
namespace {

using E = Extension;

TEST(CommandLineLimits, AreRfc5321sWithoutExtensions) {
    for (std::size_t v = 0; v < kVerbCount; ++v) {
        EXPECT_EQ(max_command_line(static_cast<Verb>(v), {}), 512U);
    }
    EXPECT_EQ(max_command_line(Extensions{}), 512U);
}

TEST(CommandLineLimits, EachExtensionAddsItsRfcFigureToMail) {
    EXPECT_EQ(max_command_line(Verb::Mail, {E::Size}), 512U + 26);     // RFC 1870 §3 (5)
    EXPECT_EQ(max_command_line(Verb::Mail, {E::SmtpUtf8}), 512U + 10); // RFC 6531 §3.1 (5)
    EXPECT_EQ(max_command_line(Verb::Mail, {E::Auth}), 512U + 500);    // RFC 4954 §3 (5)
    EXPECT_EQ(max_command_line(Verb::Mail, {E::EightBitMime}), 512U + 16);
    // RFC 3461 §5.4: RET 8 and ENVID 100, with " RET=" and " ENVID=".
    EXPECT_EQ(max_command_line(Verb::Mail, {E::Dsn}), 512U + 120);
    EXPECT_EQ(max_command_line(Verb::Mail, {E::Size, E::Auth, E::Dsn}), 512U + 26 + 500 + 120);
}

TEST(CommandLineLimits, DsnRaisesRcptToAtLeastRfc3461s1036) {
    EXPECT_EQ(max_command_line(Verb::Rcpt, {E::Size, E::Auth}), 512U);
    EXPECT_GE(max_command_line(Verb::Rcpt, {E::Dsn}), 1036U);
    EXPECT_EQ(max_command_line(Verb::Rcpt, {E::Dsn}), 512U + 543);
}

TEST(CommandLineLimits, OtherVerbsAndAuthLinesKeep512) {
    Extensions const all{E::Pipelining, E::Size,     E::EightBitMime, E::EnhancedStatusCodes,
                         E::Dsn,        E::SmtpUtf8, E::Chunking,     E::StartTls,
                         E::Auth,       E::Help};
    for (Verb v : {Verb::Helo, Verb::Ehlo, Verb::Auth, Verb::Bdat, Verb::Noop, Verb::Starttls}) {
        EXPECT_EQ(max_command_line(v, all), 512U);
    }
    // The framer's limit is the longest verb's.
    EXPECT_EQ(max_command_line(all), 512U + 26 + 16 + 120 + 10 + 500);
    EXPECT_EQ(kMaxSaslLine, 12288U); // RFC 4954 §4
}

TEST(Extensions, SetOperations) {
    Extensions const none;
    EXPECT_TRUE(none.empty());
    Extensions const some = none.with(E::Size).with(E::Dsn);
    EXPECT_TRUE(some.has(E::Size));
    EXPECT_TRUE(some.has(E::Dsn));
    EXPECT_FALSE(some.has(E::Auth));
    EXPECT_EQ(some.without(E::Size), Extensions{E::Dsn});
    EXPECT_FALSE(some == none);
}

TEST(Extensions, KeywordsAreTheEhloKeywords) {
    EXPECT_EQ(extension_keyword(E::Pipelining), "PIPELINING");
    EXPECT_EQ(extension_keyword(E::Size), "SIZE");
    EXPECT_EQ(extension_keyword(E::EightBitMime), "8BITMIME");
    EXPECT_EQ(extension_keyword(E::EnhancedStatusCodes), "ENHANCEDSTATUSCODES");
    EXPECT_EQ(extension_keyword(E::Dsn), "DSN");
    EXPECT_EQ(extension_keyword(E::SmtpUtf8), "SMTPUTF8");
    EXPECT_EQ(extension_keyword(E::Chunking), "CHUNKING");
    EXPECT_EQ(extension_keyword(E::StartTls), "STARTTLS");
    EXPECT_EQ(extension_keyword(E::Auth), "AUTH");
    EXPECT_EQ(extension_keyword(E::Help), "HELP");
}

} // namespace
} // namespace smtpd::grammar
