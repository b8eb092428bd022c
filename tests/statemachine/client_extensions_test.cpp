// Client dialogues that use the extensions, as transcripts (S: the server, C: what the client
// must send): STARTTLS (RFC 3207), AUTH PLAIN and LOGIN (RFC 4954, RFC 4616), BDAT (RFC 3030),
// LMTP (RFC 2033), and the extensions a message needs: 8BITMIME (RFC 6152), SMTPUTF8 (RFC 6531
// §3.5: 5.6.7), SIZE (RFC 1870), DSN (RFC 3461).
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
TEST(ClientSession, StartTlsThenEhloAgain) {
    ClientWire w(client_params(ClientTlsPolicy::Opportunistic));
    run_transcript(w, R"(S: 220 mx.example ESMTP
C: EHLO client.example
S: 250-mx.example
S: 250 STARTTLS
C: STARTTLS
S: 220 2.0.0 Ready to start TLS
E: tls-ok
C: EHLO client.example
S: 250-mx.example
S: 250 8BITMIME
C: MAIL FROM:<a@example.org>
S: 250 ok
C: RCPT TO:<b@example.net>
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
    EXPECT_TRUE(w.tls_requested);
    EXPECT_TRUE(w.session.tls);
    expect_done(w, 1, 0, 0);
}

TEST(ClientSession, StartTlsRequiredButNotOfferedDefers) {
    ClientWire w(client_params(ClientTlsPolicy::Required));
    run_transcript(w, std::string(kEhloPlain) + "C: QUIT\nS: 221 bye\n");
    expect_done(w, 0, 1, 0);
    EXPECT_EQ(w.results[0].reply.enhanced, (grammar::EnhancedCode{4, 7, 10}));
}

TEST(ClientSession, StartTlsRefusedGoesOnInClearWhenOpportunistic) {
    ClientWire w(client_params(ClientTlsPolicy::Opportunistic));
    run_transcript(w, R"(S: 220 mx
C: EHLO client.example
S: 250-mx
S: 250 STARTTLS
C: STARTTLS
S: 454 4.7.0 TLS not available
C: MAIL FROM:<a@example.org>
)");
    EXPECT_FALSE(w.session.tls);
}

TEST(ClientSession, StartTlsRefusedDefersWhenRequired) {
    ClientWire w(client_params(ClientTlsPolicy::Required));
    run_transcript(w, R"(S: 220 mx
C: EHLO client.example
S: 250-mx
S: 250 STARTTLS
C: STARTTLS
S: 554 5.7.0 no
C: QUIT
S: 221 bye
)");
    expect_done(w, 0, 1, 0);
}

TEST(ClientSession, TlsHandshakeFailureDefersAndCloses) {
    ClientWire w(client_params(ClientTlsPolicy::Opportunistic));
    run_transcript(w, R"(S: 220 mx
C: EHLO client.example
S: 250-mx
S: 250 STARTTLS
C: STARTTLS
S: 220 go
E: tls-fail
)");
    expect_done(w, 0, 1, 0);
}

ClientParams with_credentials(bool tls) {
    ClientParams p = client_params();
    p.implicit_tls = tls;
    p.credentials = ClientCredentials{"user", "pass"};
    return p;
}

TEST(ClientSession, AuthPlainWithInitialResponse) {
    ClientWire w(with_credentials(true));
    run_transcript(w, R"(S: 220 mx
C: EHLO client.example
S: 250-mx
S: 250 AUTH LOGIN PLAIN
C: AUTH PLAIN AHVzZXIAcGFzcw==
S: 235 2.7.0 Authentication successful
C: MAIL FROM:<a@example.org>
)");
    EXPECT_TRUE(w.session.authenticated);
}

TEST(ClientSession, AuthLoginAnswersBothChallenges) {
    ClientWire w(with_credentials(true));
    run_transcript(w, R"(S: 220 mx
C: EHLO client.example
S: 250-mx
S: 250 AUTH LOGIN
C: AUTH LOGIN
S: 334 VXNlcm5hbWU6
C: dXNlcg==
S: 334 UGFzc3dvcmQ6
C: cGFzcw==
S: 235 ok
C: MAIL FROM:<a@example.org>
)");
}

TEST(ClientSession, AuthRejectedFailsTheWholeMessagePermanently) {
    ClientWire w(with_credentials(true), client_message({"b", "c"}));
    run_transcript(w, R"(S: 220 mx
C: EHLO client.example
S: 250-mx
S: 250 AUTH PLAIN
C: AUTH PLAIN AHVzZXIAcGFzcw==
S: 535 5.7.8 Authentication credentials invalid
C: QUIT
S: 221 bye
)");
    expect_done(w, 0, 0, 2);
    EXPECT_EQ(w.results[1].reply.enhanced, (grammar::EnhancedCode{5, 7, 8}));
}

TEST(ClientSession, AuthTemporaryFailureDefers) {
    ClientWire w(with_credentials(true));
    run_transcript(w, "S: 220 mx\nC: EHLO client.example\nS: 250-mx\nS: 250 AUTH PLAIN\n"
                      "C: AUTH PLAIN AHVzZXIAcGFzcw==\nS: 454 4.7.0 try later\nC: QUIT\n");
    EXPECT_EQ(w.outcome(0), O::TempFail);
}

TEST(ClientSession, AuthIsNeverSentInClear) {
    ClientWire w(with_credentials(false));
    run_transcript(w, "S: 220 mx\nC: EHLO client.example\nS: 250-mx\nS: 250 AUTH PLAIN\nC: QUIT\n");
    EXPECT_EQ(w.outcome(0), O::TempFail);
}

// RFC 3030 §2: without PIPELINING each chunk would wait for its reply; we send DATA instead.
TEST(ClientSession, ChunkingWithoutPipeliningSendsData) {
    ClientWire w(client_params(), client_message({"b"}, "x\r\n.y\r\n"));
    run_transcript(w, R"(S: 220 mx
C: EHLO client.example
S: 250-mx
S: 250 CHUNKING
C: MAIL FROM:<a@example.org>
S: 250 ok
C: RCPT TO:<b@example.net>
S: 250 ok
C: DATA
S: 354 go
C: x
C: ..y
C: .
S: 250 2.0.0 queued
C: QUIT
S: 221 bye
)");
    expect_done(w, 1, 0, 0);
}

TEST(ClientSession, PipelinedBdatWaitsForTheRecipients) {
    ClientWire w(client_params(), client_message({"b"}, "x\r\n"));
    run_transcript(w, R"(S: 220 mx
C: EHLO client.example
S: 250-mx
S: 250-PIPELINING
S: 250 CHUNKING
C: MAIL FROM:<a@example.org>
C: RCPT TO:<b@example.net>
S: 250 ok
S: 250 ok
C: BDAT 3 LAST
C: x
S: 250 ok
C: QUIT
)");
}

TEST(ClientSession, LmtpReadsOneReplyPerAcceptedRecipient) {
    ClientParams p = client_params();
    p.lmtp = true;
    ClientWire w(p, client_message({"b", "c", "d"}));
    run_transcript(w, R"(S: 220 lmtp.example LMTP
C: LHLO client.example
S: 250-lmtp.example
S: 250 PIPELINING
C: MAIL FROM:<a@example.org>
C: RCPT TO:<b@example.net>
C: RCPT TO:<c@example.net>
C: RCPT TO:<d@example.net>
C: DATA
S: 250 ok
S: 250 ok
S: 550 5.1.1 unknown
S: 250 ok
S: 354 go
C: Subject: hi
C: 
C: hello
C: .
S: 250 2.0.0 delivered to b
S: 452 4.2.2 mailbox of d is full
C: QUIT
S: 221 bye
)");
    expect_done(w, 1, 1, 1);
    EXPECT_EQ(w.outcome(0), O::Delivered);
    EXPECT_EQ(w.outcome(1), O::PermFail);
    EXPECT_EQ(w.outcome(2), O::TempFail);
}

TEST(ClientSession, LmtpHasNoHeloFallback) {
    ClientParams p = client_params();
    p.lmtp = true;
    ClientWire w(p);
    run_transcript(w, "S: 220 lmtp\nC: LHLO client.example\nS: 500 5.5.1 what\nC: QUIT\n");
    EXPECT_EQ(w.outcome(0), O::PermFail);
}

TEST(ClientSession, EightBitMessageNeedsEightBitMime) {
    auto m = client_message({"b"});
    m.mail.body = Body::EightBitMime;
    ClientWire refused(client_params(), m);
    run_transcript(refused, "S: 220 mx\nC: EHLO client.example\nS: 250 mx\nC: QUIT\n");
    EXPECT_EQ(refused.outcome(0), O::PermFail);
    ClientWire ok(client_params(), m);
    run_transcript(ok, std::string(kEhloPlain) + "C: MAIL FROM:<a@example.org> BODY=8BITMIME\n");
}

TEST(ClientSession, Utf8MessageNeedsSmtputf8) {
    auto m = client_message({"b"});
    m.mail.smtputf8 = true;
    ClientWire refused(client_params(), m);
    run_transcript(refused, std::string(kEhloPlain) + "C: QUIT\n");
    ASSERT_EQ(refused.results.size(), 1U);
    EXPECT_EQ(refused.results[0].reply.enhanced, (grammar::EnhancedCode{5, 6, 7}));
    ClientWire ok(client_params(), m);
    run_transcript(ok, "S: 220 mx\nC: EHLO client.example\nS: 250-mx\nS: 250 SMTPUTF8\n"
                       "C: MAIL FROM:<a@example.org> SMTPUTF8\n");
}

TEST(ClientSession, MessageOverTheServersSizeIsNotSent) {
    ClientWire w;
    run_transcript(w, "S: 220 mx\nC: EHLO client.example\nS: 250-mx\nS: 250 SIZE 10\nC: QUIT\n");
    ASSERT_EQ(w.results.size(), 1U);
    EXPECT_EQ(w.results[0].reply.enhanced, (grammar::EnhancedCode{5, 3, 4}));
}

TEST(ClientSession, DsnParametersOnlyWhenOffered) {
    auto m = client_message({"b"});
    m.mail.ret = Ret::Headers;
    m.mail.envid = "QQ314159";
    m.recipients[0].options = RcptOptions{kNotifySuccess | kNotifyFailure, "rfc822;b@example.net"};
    ClientWire w(client_params(), m);
    run_transcript(w, R"(S: 220 mx
C: EHLO client.example
S: 250-mx
S: 250 DSN
C: MAIL FROM:<a@example.org> RET=HDRS ENVID=QQ314159
S: 250 ok
C: RCPT TO:<b@example.net> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;b@example.net
)");
    ClientWire plain(client_params(), m);
    run_transcript(plain, std::string(kEhloPlain) + "C: MAIL FROM:<a@example.org>\nS: 250 ok\n"
                                                    "C: RCPT TO:<b@example.net>\n");
}

} // namespace
} // namespace smtpd::sm
