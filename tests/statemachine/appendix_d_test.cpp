// The scenarios of RFC 5321 Appendix D, run through the framer and the session with a matching
// configuration (Green has no mailbox), comparing the code of every reply. The transcripts are
// the RFC's, client and server lines as printed; D.4's VRFY answer follows our VRFY policy (252,
// RFC 5321 §3.5.3 allows it) instead of the RFC's 250. Each is also replayed split at every byte
// offset, in memory against sm::ServerConnection.
#include "replay.hpp"
#include "wire.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

namespace smtpd::sm {
namespace {

/// The client's bytes, and the code of each server reply (the last line of a multi-line one).
struct Transcript {
    std::string client;
    std::vector<int> codes;
};

Transcript read(std::string_view text) {
    Transcript t;
    std::istringstream in{std::string(text)};
    std::string line;
    while (std::getline(in, line)) {
        auto const at = line.find_first_not_of(' ');
        if (at == std::string::npos) {
            continue;
        }
        std::string_view const l = std::string_view(line).substr(at);
        if (l.starts_with("C: ") || l == "C:") {
            t.client += std::string(l.substr(l.size() > 2 ? 3 : 2)) + "\r\n";
        } else if (l.starts_with("S: ") && (l.size() < 7 || l[6] != '-')) {
            t.codes.push_back(std::stoi(std::string(l.substr(3, 3))));
        }
    }
    return t;
}

std::vector<int> run(Transcript const& t) {
    testing::Wire wire;
    wire.lookup = [](grammar::Path const& p) {
        return p.mailbox && p.mailbox->local_part == "Green" ? RcptVerdict::Kind::UnknownUser
                                                             : RcptVerdict::Kind::Accepted;
    };
    wire.send(t.client);
    return wire.codes();
}

constexpr std::string_view kD1 = R"(
      S: 220 foo.com Simple Mail Transfer Service Ready
      C: EHLO bar.com
      S: 250-foo.com greets bar.com
      S: 250-8BITMIME
      S: 250-SIZE
      S: 250-DSN
      S: 250 HELP
      C: MAIL FROM:<Smith@bar.com>
      S: 250 OK
      C: RCPT TO:<Jones@foo.com>
      S: 250 OK
      C: RCPT TO:<Green@foo.com>
      S: 550 No such user here
      C: RCPT TO:<Brown@foo.com>
      S: 250 OK
      C: DATA
      S: 354 Start mail input; end with <CRLF>.<CRLF>
      C: Blah blah blah...
      C: ...etc. etc. etc.
      C: .
      S: 250 OK
      C: QUIT
      S: 221 foo.com Service closing transmission channel
)";

constexpr std::string_view kD2 = R"(
      S: 220 foo.com Simple Mail Transfer Service Ready
      C: EHLO bar.com
      S: 250-foo.com greets bar.com
      S: 250-8BITMIME
      S: 250-SIZE
      S: 250-DSN
      S: 250 HELP
      C: MAIL FROM:<Smith@bar.com>
      S: 250 OK
      C: RCPT TO:<Jones@foo.com>
      S: 250 OK
      C: RCPT TO:<Green@foo.com>
      S: 550 No such user here
      C: RSET
      S: 250 OK
      C: QUIT
      S: 221 foo.com Service closing transmission channel
)";

constexpr std::string_view kD3Step1 = R"(
      S: 220 foo.com Simple Mail Transfer Service Ready
      C: EHLO bar.com
      S: 250-foo.com greets bar.com
      S: 250-8BITMIME
      S: 250-SIZE
      S: 250-DSN
      S: 250 HELP
      C: MAIL FROM:<JQP@bar.com>
      S: 250 OK
      C: RCPT TO:<Jones@XYZ.COM>
      S: 250 OK
      C: DATA
      S: 354 Start mail input; end with <CRLF>.<CRLF>
      C: Date: Thu, 21 May 1998 05:33:29 -0700
      C: From: John Q. Public <JQP@bar.com>
      C: Subject: The Next Meeting of the Board
      C: To: Jones@xyz.com
      C:
      C: Bill:
      C: The next meeting of the board of directors will be
      C: on Tuesday.
      C: John.
      C: .
      S: 250 OK
      C: QUIT
      S: 221 foo.com Service closing transmission channel
)";

constexpr std::string_view kD3Step2 = R"(
           S: 220 xyz.com Simple Mail Transfer Service Ready
           C: EHLO foo.com
           S: 250 xyz.com is on the air
           C: MAIL FROM:<JQP@bar.com>
           S: 250 OK
           C: RCPT TO:<Jones@XYZ.COM>
           S: 250 OK
           C: DATA
           S: 354 Start mail input; end with <CRLF>.<CRLF>
           C: Received: from bar.com by foo.com ; Thu, 21 May 1998
           C:     05:33:29 -0700
           C: Date: Thu, 21 May 1998 05:33:22 -0700
           C: From: John Q. Public <JQP@bar.com>
           C: Subject:  The Next Meeting of the Board
           C: To: Jones@xyz.com
           C:
           C: Bill:
           C: The next meeting of the board of directors will be
           C: on Tuesday.
           C:                         John.
           C: .
           S: 250 OK
           C: QUIT
           S: 221 foo.com Service closing transmission channel
)";

// D.4 as printed, but for VRFY: "S: 250 Mark Crispin <Admin.MRC@foo.com>" becomes our 252.
constexpr std::string_view kD4 = R"(
      S: 220 foo.com Simple Mail Transfer Service Ready
      C: EHLO bar.com
      S: 250-foo.com greets bar.com
      S: 250-8BITMIME
      S: 250-SIZE
      S: 250-DSN
      S: 250-VRFY
      S: 250 HELP
      C: VRFY Crispin
      S: 252 Cannot VRFY user, but will accept message and attempt delivery
      C: MAIL FROM:<EAK@bar.com>
      S: 250 OK
      C: RCPT TO:<Admin.MRC@foo.com>
      S: 250 OK
      C: DATA
      S: 354 Start mail input; end with <CRLF>.<CRLF>
      C: Blah blah blah...
      C: ...etc. etc. etc.
      C: .
      S: 250 OK
      C: QUIT
      S: 221 foo.com Service closing transmission channel
)";

TEST(AppendixD, D1TypicalTransaction) {
    Transcript const t = read(kD1);
    ASSERT_EQ(t.codes.size(), 9U);
    EXPECT_EQ(run(t), t.codes);
}

TEST(AppendixD, D2AbortedTransaction) {
    Transcript const t = read(kD2);
    EXPECT_EQ(run(t), t.codes);
}

TEST(AppendixD, D3RelayedMailBothSteps) {
    for (auto text : {kD3Step1, kD3Step2}) {
        Transcript const t = read(text);
        EXPECT_EQ(run(t), t.codes);
    }
}

TEST(AppendixD, D3MessageArrivesAsSent) {
    testing::Wire wire;
    wire.send(read(kD3Step2).client);
    ASSERT_EQ(wire.queued.size(), 1U);
    EXPECT_EQ(wire.content.substr(0, 55),
              "Received: from bar.com by foo.com ; Thu, 21 May 1998\r\n ");
    EXPECT_TRUE(wire.content.ends_with("                        John.\r\n"));
}

TEST(AppendixD, D4VerifyingAndSending) {
    Transcript const t = read(kD4);
    EXPECT_EQ(run(t), t.codes);
}

// Beast's parsegrind: every transcript split in two at every byte offset takes the same actions
// (replies, questions, content) as the transcript in one piece.
TEST(AppendixD, EverySplitTakesTheSameActions) {
    for (auto text : {kD1, kD2, kD3Step1, kD3Step2, kD4}) {
        std::string const client = read(text).client;
        EXPECT_EQ(testing::first_split_difference(client), std::string_view::npos) << client;
    }
}

} // namespace
} // namespace smtpd::sm
