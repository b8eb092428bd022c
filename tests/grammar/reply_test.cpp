// Tests of parse_reply / parse_ehlo_line (grammar/src/reply.cpp): the reply syntax of RFC 5321
// §4.2 with the examples of its Appendix D, enhanced status codes (RFC 2034, RFC 3463), and the
// CVE-2020-8794 class: short, over-long, mixed-code and endless replies are errors.
// Depends on: smtpd/grammar/reply.hpp, GoogleTest.
#include "parse_expect.hpp"
#include "smtpd/grammar/limits.hpp"
#include "smtpd/grammar/reply.hpp"

#include <gtest/gtest.h>

#include <string>

namespace smtpd::grammar {
namespace {

Reply accepted(std::string_view text) {
    return testing::expect_accepted(parse_reply, text);
}
ParseError refused(std::string_view text) {
    return testing::expect_refused(parse_reply, text);
}

TEST(ReplyGrammar, ParsesSingleLineReplies) {
    // RFC 5321 Appendix D.1.
    EXPECT_EQ(accepted("220 foo.com Simple Mail Transfer Service Ready\r\n"),
              (Reply{220, std::nullopt, {"foo.com Simple Mail Transfer Service Ready"}}));
    EXPECT_EQ(accepted("354 Start mail input; end with <CRLF>.<CRLF>\r\n").code, 354U);
    EXPECT_EQ(accepted("250\r\n"), (Reply{250, std::nullopt, {""}}));
}

TEST(ReplyGrammar, ParsesMultilineReplies) {
    // RFC 5321 Appendix D.1's EHLO reply.
    Reply const r = accepted("250-foo.com greets bar.com\r\n250-8BITMIME\r\n250-SIZE\r\n"
                             "250-DSN\r\n250 HELP\r\n");
    EXPECT_EQ(r.code, 250U);
    EXPECT_EQ(r.lines, (std::vector<std::string>{"foo.com greets bar.com", "8BITMIME", "SIZE",
                                                 "DSN", "HELP"}));
    EXPECT_EQ(accepted("250-\r\n250 last\r\n").lines, (std::vector<std::string>{"", "last"}));
}

TEST(ReplyGrammar, ReadsEnhancedStatusCodesThatMatchTheReplyClass) {
    EXPECT_EQ(accepted("250 2.1.0 Sender ok\r\n").enhanced, (EnhancedCode{2, 1, 0}));
    EXPECT_EQ(accepted("550 5.7.1 Relaying denied\r\n").enhanced, (EnhancedCode{5, 7, 1}));
    EXPECT_EQ(accepted("452 4.5.3 Too many recipients\r\n").enhanced, (EnhancedCode{4, 5, 3}));
    EXPECT_EQ(accepted("250 4.1.0 contradicts\r\n").enhanced, std::nullopt);
    EXPECT_EQ(accepted("250 2.1 short\r\n").enhanced, std::nullopt);
    EXPECT_EQ(accepted("250 OK\r\n").enhanced, std::nullopt);
}

TEST(ReplyGrammar, RefusesMalformedReplies) {
    for (auto text : {"", "25 x\r\n", "2500 x\r\n", "600 x\r\n", "190 x\r\n", "250 x", "250 x\n",
                      "250-x\r\n", "250-x\r\n250-y\r\n", "250 \r\n", "250x\r\n", "250 a\rb\r\n",
                      "250 caf\xc3\xa9\r\n", "250 ok\r\n250 again\r\n"}) {
        EXPECT_EQ(refused(text).kind, ErrorKind::Syntax) << text;
    }
}

TEST(ReplyGrammar, RefusesLinesWithDifferentCodes) {
    EXPECT_EQ(refused("250-first\r\n251 second\r\n"),
              (ParseError{11, "Reply-code", ErrorKind::Syntax}));
}

TEST(ReplyGrammar, RefusesOverLongAndEndlessReplies) {
    std::string const long_line = "250 " + std::string(kMaxReplyLine - 6, 'x') + "\r\n";
    EXPECT_TRUE(parse_reply(long_line).ok());
    EXPECT_EQ(refused("250 x" + long_line).kind, ErrorKind::LineTooLong);
    std::string endless;
    for (std::size_t i = 0; i < kMaxReplyLines; ++i) {
        endless += "250-more\r\n";
    }
    EXPECT_EQ(refused(endless + "250 end\r\n").kind, ErrorKind::ReplyTooLong);
    EXPECT_EQ(refused(endless).kind, ErrorKind::Syntax); // it never ends: no last line
}

TEST(ReplyGrammar, FormatsBackToTheSameReply) {
    for (auto text : {"250 OK\r\n", "250\r\n", "250-a\r\n250-\r\n250 b c\r\n"}) {
        EXPECT_EQ(format_reply(accepted(text)), text);
    }
}

TEST(ReplyGrammar, TellsTheLastLine) {
    EXPECT_TRUE(is_last_reply_line("250 OK"));
    EXPECT_TRUE(is_last_reply_line("250"));
    EXPECT_FALSE(is_last_reply_line("250-more"));
}

TEST(EhloLineGrammar, SplitsKeywordAndParams) {
    EXPECT_EQ(testing::expect_accepted(parse_ehlo_line, "SIZE 10240000"),
              (EhloLine{"SIZE", {"10240000"}}));
    EXPECT_EQ(testing::expect_accepted(parse_ehlo_line, "AUTH PLAIN LOGIN"),
              (EhloLine{"AUTH", {"PLAIN", "LOGIN"}}));
    EXPECT_EQ(testing::expect_accepted(parse_ehlo_line, "PIPELINING"),
              (EhloLine{"PIPELINING", {}}));
    for (auto text : {"", "-X", "SIZE  1", "SIZE ", "X\x7f"}) {
        EXPECT_FALSE(parse_ehlo_line(text).ok()) << text;
    }
}

} // namespace
} // namespace smtpd::grammar
