// -T smtp's view of a session (runtime/dispatcher/smtp_trace.hpp): command lines escaped so that
// no byte can forge a log line, and no AUTH secret logged: not an initial response in any case
// of the verb, not a line of the exchange.
#include "dispatcher/smtp_trace.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>

namespace smtpd::rt {
namespace {

TEST(SmtpTrace, CommandsAreShownAsSent) {
    EXPECT_EQ(traced_command("EHLO client.example", false), "EHLO client.example");
    EXPECT_EQ(traced_command("MAIL FROM:<j\xC3\xB6rg@example.org> SMTPUTF8", false),
              "MAIL FROM:<j\xC3\xB6rg@example.org> SMTPUTF8");
}

TEST(SmtpTrace, ControlsAndBackslashesAreEscaped) {
    EXPECT_EQ(traced_command(std::string("RCPT\r\nTO:\0<a>\x7F\\", 15), false),
              "RCPT\\x0D\\x0ATO:\\x00<a>\\x7F\\x5C");
    EXPECT_EQ(trace_visible("a\tb"), "a\\x09b");
}

TEST(SmtpTrace, AnAuthInitialResponseIsMasked) {
    EXPECT_EQ(traced_command("AUTH PLAIN AGFsaWNlAHNlY3JldA==", false), "AUTH PLAIN ********");
    EXPECT_EQ(traced_command("auth plain AGFsaWNlAHNlY3JldA==", false), "auth plain ********");
    EXPECT_EQ(traced_command("AuTh LOGIN YWxpY2U=", false), "AuTh LOGIN ********");
    EXPECT_EQ(traced_command("AUTH LOGIN", false), "AUTH LOGIN");
    EXPECT_EQ(traced_command("AUTH PLAIN =", false), "AUTH PLAIN ********");
}

TEST(SmtpTrace, EveryLineOfAnAuthExchangeIsMasked) {
    EXPECT_EQ(traced_command("c2VjcmV0", true), "********");
    EXPECT_EQ(traced_command("*", true), "********");
    EXPECT_EQ(traced_command("QUIT", true), "********");
}

TEST(SmtpTrace, OtherVerbsStartingLikeAuthAreNotMasked) {
    EXPECT_EQ(traced_command("AUTHX y", false), "AUTHX y");
    EXPECT_EQ(traced_command("AUT", false), "AUT");
}

RC_GTEST_PROP(SmtpTraceProps, NoControlOctetSurvives, (std::string const& line, bool auth)) {
    std::string const out = traced_command(line, auth);
    RC_ASSERT(std::none_of(out.begin(), out.end(), [](char c) {
        auto const u = static_cast<unsigned char>(c);
        return u < 0x20 || u == 0x7F;
    }));
}

RC_GTEST_PROP(SmtpTraceProps, AnInitialResponseNeverAppears, (std::string const& response)) {
    RC_PRE(!response.empty() && response.find(' ') == std::string::npos);
    RC_PRE(response != "*" && response.find("********") == std::string::npos);
    std::string const out = traced_command("AUTH PLAIN " + response, false);
    RC_ASSERT(out == "AUTH PLAIN ********");
}

} // namespace
} // namespace smtpd::rt
