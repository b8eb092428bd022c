// Whole client dialogues as transcripts (S: the server, C: what the client must send): plain,
// pipelined (RFC 2920 §3.1), the HELO fallback (RFC 5321 §3.2), refused recipients, all refused,
// 421 midway (§3.8), timeouts and unexpected replies, with each recipient's result. The
// extensions' dialogues are in client_extensions_test.cpp.
#include "client_wire.hpp"

#include <gtest/gtest.h>

namespace smtpd::sm {
namespace {

using testing::client_message;
using testing::client_params;
using testing::ClientWire;
using testing::expect_done;
using testing::kEhloPlain;
using testing::run_transcript;
using O = ClientOutcome;

TEST(ClientSession, PlainDialogueDotStuffsTheBody) {
    ClientWire w(client_params(), client_message({"b"}, "Subject: hi\r\n\r\n.hidden\r\n"));
    run_transcript(w, std::string(kEhloPlain) + R"(C: MAIL FROM:<a@example.org>
S: 250 2.1.0 Ok
C: RCPT TO:<b@example.net>
S: 250 2.1.5 Ok
C: DATA
S: 354 End data with <CR><LF>.<CR><LF>
C: Subject: hi
C: 
C: ..hidden
C: .
S: 250 2.0.0 Ok: queued as 12345
C: QUIT
S: 221 2.0.0 Bye
)");
    expect_done(w, 1, 0, 0);
    ASSERT_EQ(w.results.size(), 1U);
    EXPECT_EQ(w.results[0].reply.code, 250U);
    EXPECT_EQ(w.results[0].reply.enhanced, (grammar::EnhancedCode{2, 0, 0}));
}

TEST(ClientSession, PipelinedGroupIsReadInOrder) {
    ClientWire w(client_params(), client_message({"b", "c"}));
    run_transcript(w, R"(S: 220 mx.example ESMTP
C: EHLO client.example
S: 250-mx.example
S: 250-PIPELINING
S: 250 SIZE 10000
C: MAIL FROM:<a@example.org> SIZE=22
C: RCPT TO:<b@example.net>
C: RCPT TO:<c@example.net>
C: DATA
S: 250 2.1.0 Ok
S: 250 2.1.5 Ok
S: 550 5.1.1 <c@example.net>: no such user
S: 354 go ahead
C: Subject: hi
C: 
C: hello
C: .
S: 250 2.0.0 queued
C: QUIT
S: 221 bye
)");
    expect_done(w, 1, 0, 1);
    EXPECT_EQ(w.outcome(0), O::Delivered);
    EXPECT_EQ(w.outcome(1), O::PermFail);
    EXPECT_EQ(w.results[0].reply.lines.at(0), "5.1.1 <c@example.net>: no such user");
}

TEST(ClientSession, HeloFallbackWhenEhloIsRefused) {
    ClientWire w;
    run_transcript(w, R"(S: 220 mx
C: EHLO client.example
S: 502 5.5.1 command not implemented
C: HELO client.example
S: 250 mx
C: MAIL FROM:<a@example.org>
S: 250 ok
C: RCPT TO:<b@example.net>
)");
    EXPECT_FALSE(w.session.esmtp);
}

TEST(ClientSession, OneRecipientRefusedTheOtherDelivered) {
    ClientWire w(client_params(), client_message({"b", "c"}));
    run_transcript(w, std::string(kEhloPlain) + R"(C: MAIL FROM:<a@example.org>
S: 250 ok
C: RCPT TO:<b@example.net>
S: 450 4.2.1 greylisted
C: RCPT TO:<c@example.net>
S: 250 ok
C: DATA
S: 354 go
C: Subject: hi
C: 
C: hello
C: .
S: 250 ok
C: QUIT
S: 221 bye
)");
    expect_done(w, 1, 1, 0);
    EXPECT_EQ(w.outcome(0), O::TempFail);
}

TEST(ClientSession, AllRecipientsRefusedSendsNoData) {
    ClientWire w(client_params(), client_message({"b", "c"}));
    run_transcript(w, std::string(kEhloPlain) + R"(C: MAIL FROM:<a@example.org>
S: 250 ok
C: RCPT TO:<b@example.net>
S: 550 no
C: RCPT TO:<c@example.net>
S: 551 no
C: QUIT
S: 221 bye
)");
    expect_done(w, 0, 0, 2);
}

constexpr std::string_view kPipelinedAllRefused = R"(S: 220 mx
C: EHLO client.example
S: 250-mx
S: 250 PIPELINING
C: MAIL FROM:<a@example.org>
C: RCPT TO:<b@example.net>
C: DATA
S: 250 ok
S: 550 no
)";

// RFC 2920 §3.1: "If the DATA command was properly rejected the client SMTP can just issue RSET";
// the session ends here, and QUIT drops the transaction as RSET would (RFC 5321 §4.1.1.10).
TEST(ClientSession, PipelinedAllRefusedAndDataRejected) {
    ClientWire w;
    run_transcript(w, std::string(kPipelinedAllRefused) + "S: 554 5.5.1 no valid recipients\n"
                                                          "C: QUIT\nS: 221 bye\n");
    expect_done(w, 0, 0, 1);
}

// RFC 2920 §3.1: "if the DATA command was accepted the client SMTP should send a single dot".
TEST(ClientSession, PipelinedAllRefusedButDataAcceptedSendsALoneDot) {
    ClientWire w;
    run_transcript(w, std::string(kPipelinedAllRefused) + "S: 354 go\nC: .\nS: 554 no\n"
                                                          "C: QUIT\nS: 221 bye\n");
    expect_done(w, 0, 0, 1);
}

TEST(ClientSession, PipelinedMailRefusedStillReadsEveryReply) {
    ClientWire w(client_params(), client_message({"b", "c"}));
    run_transcript(w, R"(S: 220 mx
C: EHLO client.example
S: 250-mx
S: 250 PIPELINING
C: MAIL FROM:<a@example.org>
C: RCPT TO:<b@example.net>
C: RCPT TO:<c@example.net>
C: DATA
S: 451 4.3.0 try later
S: 503 5.5.1 need MAIL
S: 250 odd but ignored
S: 503 5.5.1 need MAIL
C: QUIT
S: 221 bye
)");
    expect_done(w, 0, 2, 0);
}

TEST(ClientSession, ServiceClosingMidwayDefersTheRest) {
    ClientWire w(client_params(), client_message({"b", "c"}));
    run_transcript(w, std::string(kEhloPlain) + R"(C: MAIL FROM:<a@example.org>
S: 250 ok
C: RCPT TO:<b@example.net>
S: 550 no
C: RCPT TO:<c@example.net>
S: 421 4.3.2 shutting down
)");
    expect_done(w, 0, 1, 1);
    EXPECT_EQ(w.results[1].reply.code, 421U);
}

TEST(ClientSession, TimeoutDefersEveryPendingRecipient) {
    ClientWire w(client_params(), client_message({"b", "c"}));
    run_transcript(w, std::string(kEhloPlain) + "C: MAIL FROM:<a@example.org>\nE: timeout\n");
    expect_done(w, 0, 2, 0);
}

TEST(ClientSession, GreetingRefusedQuits) {
    ClientWire w;
    run_transcript(w, "S: 554 5.3.2 not now\nC: QUIT\nS: 221 bye\n");
    expect_done(w, 0, 0, 1);
}

TEST(ClientSession, UnexpectedReplyQuitsPolitely) {
    ClientWire w;
    run_transcript(w, std::string(kEhloPlain) + R"(C: MAIL FROM:<a@example.org>
S: 250 ok
C: RCPT TO:<b@example.net>
S: 250 ok
C: DATA
S: 250 what
C: QUIT
S: 221 bye
)");
    expect_done(w, 0, 1, 0);
}

} // namespace
} // namespace smtpd::sm
