// Several transactions on one client connection: the next message after a 250, RSET after a
// transaction left open (MAIL refused, every RCPT refused, DATA refused: RFC 5321 §4.1.1.5);
// 452 to a RCPT defers the rest to a new transaction (§4.5.3.1.10); the body streamed in BDAT
// chunks (RFC 3030 §2); a message the peer cannot take fails before MAIL and the connection
// goes on (RFC 1870, RFC 6531 §3.2: 5.6.7); DSN only when offered, and the "relayed" flag
// (RFC 3461 §6.2.3); SNI on STARTTLS.
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

TEST(ClientTransactions, NextMessageAfterA250NeedsNoRset) {
    ClientWire w(client_params(), client_message({"b"}, "one\r\n"));
    w.queued.push_back(client_message({"c"}, "two\r\n"));
    run_transcript(w, std::string(kEhloPlain) + R"(C: MAIL FROM:<a@example.org>
S: 250 ok
C: RCPT TO:<b@example.net>
S: 250 ok
C: DATA
S: 354 go
C: one
C: .
S: 250 queued
C: MAIL FROM:<a@example.org>
S: 250 ok
C: RCPT TO:<c@example.net>
S: 250 ok
C: DATA
S: 354 go
C: two
C: .
S: 250 queued
C: QUIT
S: 221 bye
)");
    expect_done(w, 2, 0, 0);
    EXPECT_EQ(w.session.transactions, 2U);
}

TEST(ClientTransactions, RsetAfterEveryRecipientWasRefused) {
    ClientWire w(client_params(), client_message({"b"}));
    w.queued.push_back(client_message({"c"}));
    run_transcript(w, std::string(kEhloPlain) + R"(C: MAIL FROM:<a@example.org>
S: 250 ok
C: RCPT TO:<b@example.net>
S: 550 no such user
C: RSET
S: 250 reset
C: MAIL FROM:<a@example.org>
S: 250 ok
C: RCPT TO:<c@example.net>
S: 250 ok
C: DATA
S: 354 go
C: Subject: hi
C: 
C: hello
C: .
S: 250 queued
C: QUIT
S: 221 bye
)");
    expect_done(w, 1, 0, 1);
}

TEST(ClientTransactions, RsetAfterMailRefusedAndARefusedRsetEndsTheConnection) {
    ClientWire w(client_params(), client_message({"b"}));
    w.queued.push_back(client_message({"c", "d"}));
    run_transcript(w, std::string(kEhloPlain) + R"(C: MAIL FROM:<a@example.org>
S: 451 try later
C: RSET
S: 554 no
C: QUIT
S: 221 bye
)");
    expect_done(w, 0, 3, 0);
}

TEST(ClientTransactions, DataRefusedLeavesTheTransactionOpen) {
    ClientWire w(client_params(), client_message({"b"}));
    w.queued.push_back(client_message({"c"}));
    run_transcript(w, std::string(kEhloPlain) + R"(C: MAIL FROM:<a@example.org>
S: 250 ok
C: RCPT TO:<b@example.net>
S: 250 ok
C: DATA
S: 554 no data today
C: RSET
S: 250 ok
C: MAIL FROM:<a@example.org>
S: 421 closing
)");
    expect_done(w, 0, 1, 1);
}

TEST(ClientTransactions, TooManyRecipientsDefersTheRestToTheNextTransaction) {
    ClientWire w(client_params(), client_message({"b", "c", "d"}));
    run_transcript(w, std::string(kEhloPlain) + R"(C: MAIL FROM:<a@example.org>
S: 250 ok
C: RCPT TO:<b@example.net>
S: 250 ok
C: RCPT TO:<c@example.net>
S: 452 4.5.3 Too many recipients
C: DATA
S: 354 go
C: Subject: hi
C: 
C: hello
C: .
S: 250 queued
C: QUIT
S: 221 bye
)");
    expect_done(w, 1, 0, 0, 2);
    EXPECT_EQ(w.outcome(0), O::Delivered);
    EXPECT_EQ(w.outcome(1), O::Deferred);
    EXPECT_EQ(w.outcome(2), O::Deferred); // never sent
}

// What the queue hears of a recipient (one enum for the relay, LMTP and local deliveries): a
// deferred recipient is tried again later. The numbers are ipc::DeliveryStatus's wire bytes.
TEST(ClientTransactions, ADeferredRecipientIsATemporaryFailureForTheQueue) {
    EXPECT_EQ(delivery_status(O::Delivered), DeliveryStatus::Delivered);
    EXPECT_EQ(delivery_status(O::TempFail), DeliveryStatus::TempFail);
    EXPECT_EQ(delivery_status(O::PermFail), DeliveryStatus::PermFail);
    EXPECT_EQ(delivery_status(O::Deferred), DeliveryStatus::TempFail);
    EXPECT_EQ(static_cast<int>(DeliveryStatus::Delivered), 0);
    EXPECT_EQ(static_cast<int>(DeliveryStatus::TempFail), 1);
    EXPECT_EQ(static_cast<int>(DeliveryStatus::PermFail), 2);
}

TEST(ClientTransactions, TheDriverResubmitsDeferredRecipientsOnTheSameConnection) {
    ClientWire w(client_params(), client_message({"b", "c"}));
    w.queued.push_back(client_message({"c"}));
    run_transcript(w, R"(S: 220 mx
C: EHLO client.example
S: 250-mx
S: 250 PIPELINING
C: MAIL FROM:<a@example.org>
C: RCPT TO:<b@example.net>
C: RCPT TO:<c@example.net>
C: DATA
S: 250 ok
S: 250 ok
S: 452 too many
S: 354 go
C: Subject: hi
C: 
C: hello
C: .
S: 250 queued
C: MAIL FROM:<a@example.org>
C: RCPT TO:<c@example.net>
C: DATA
S: 250 ok
S: 250 ok
S: 354 go
C: Subject: hi
C: 
C: hello
C: .
S: 250 queued
C: QUIT
S: 221 bye
)");
    expect_done(w, 2, 0, 0, 1);
    ASSERT_EQ(w.results.size(), 3U);
    EXPECT_EQ(w.results[0].outcome, O::Deferred); // at its RCPT reply
    EXPECT_EQ(w.results[0].index, 1U);
    EXPECT_EQ(w.results[1].outcome, O::Delivered); // b, at the content's reply
    EXPECT_EQ(w.results[2].outcome, O::Delivered); // c, in the second transaction
}

TEST(ClientTransactions, PipelinedBdatStreamsChunksAndReadsTheirReplies) {
    ClientWire w(client_params(), client_message({"b"}, "abcdef\n.gh"));
    w.piece = 4;
    run_transcript(w, R"(S: 220 mx
C: EHLO client.example
S: 250-mx
S: 250-PIPELINING
S: 250 CHUNKING
C: MAIL FROM:<a@example.org>
C: RCPT TO:<b@example.net>
S: 250 ok
S: 250 ok
C: BDAT 4
C: abcdBDAT 5
C: ef
C: .BDAT 4 LAST
C: gh
S: 250 chunk 1
S: 250 chunk 2
S: 250 2.0.0 queued
C: QUIT
)");
    ASSERT_EQ(w.bodies.size(), 1U);
    EXPECT_EQ(w.bodies[0].framing, BodyFraming::Bdat);
    EXPECT_EQ(w.session.bdat_commands, 3U);
    EXPECT_EQ(w.outcome(0), O::Delivered);
}

TEST(ClientTransactions, ARefusedChunkFailsTheMessageAndEndsTheConnection) {
    ClientWire w(client_params(), client_message({"b"}, "abcdefgh"));
    w.piece = 4;
    w.queued.push_back(client_message({"c"}));
    run_transcript(w, R"(S: 220 mx
C: EHLO client.example
S: 250-mx
S: 250-PIPELINING
S: 250 CHUNKING
C: MAIL FROM:<a@example.org>
C: RCPT TO:<b@example.net>
S: 250 ok
S: 250 ok
C: BDAT 4
C: abcdBDAT 6 LAST
C: efgh
S: 552 5.3.4 too big
C: QUIT
S: 503 after a failed chunk
)");
    expect_done(w, 0, 0, 1);
}

TEST(ClientTransactions, AMessageThePeerCannotTakeFailsBeforeMailAndTheNextGoesOn) {
    auto big = client_message({"b"});
    big.size = 20000; // from the spool; the content is not in memory
    auto utf8 = client_message({"c", "d"});
    utf8.mail.smtputf8 = true;
    ClientWire w(client_params(), big);
    w.queued.push_back(utf8);
    w.queued.push_back(client_message({"e"}));
    run_transcript(w, R"(S: 220 mx
C: EHLO client.example
S: 250-mx
S: 250 SIZE 10000
C: MAIL FROM:<a@example.org> SIZE=22
S: 250 ok
C: RCPT TO:<e@example.net>
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
    expect_done(w, 1, 0, 3);
    ASSERT_EQ(w.results.size(), 4U);
    EXPECT_EQ(w.results[0].reply.enhanced, (grammar::EnhancedCode{5, 3, 4}));
    EXPECT_EQ(w.results[1].reply.enhanced, (grammar::EnhancedCode{5, 6, 7})); // RFC 6531 §3.2
    EXPECT_EQ(w.results[2].reply.enhanced, (grammar::EnhancedCode{5, 6, 7}));
}

TEST(ClientTransactions, EightBitWithoutEightBitMimeFailsRatherThanDowngrades) {
    auto m = client_message({"b"});
    m.mail.body = Body::EightBitMime;
    ClientWire w(client_params(), m);
    run_transcript(w, R"(S: 220 mx
C: EHLO client.example
S: 250 mx
C: QUIT
S: 221 bye
)");
    expect_done(w, 0, 0, 1);
    EXPECT_EQ(w.results[0].reply.enhanced, (grammar::EnhancedCode{5, 6, 3}));
}

TEST(ClientTransactions, NotifySuccessWithoutDsnIsFlaggedRelayed) {
    auto m = client_message({"b", "c"});
    m.recipients[0].options.notify = kNotifySuccess | kNotifyFailure;
    m.recipients[1].options.notify = kNotifyFailure;
    ClientWire plain(client_params(), m);
    run_transcript(plain, std::string(kEhloPlain) + R"(C: MAIL FROM:<a@example.org>
S: 250 ok
C: RCPT TO:<b@example.net>
S: 250 ok
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
)");
    ASSERT_EQ(plain.results.size(), 2U);
    EXPECT_TRUE(plain.results[0].relayed_without_dsn);
    EXPECT_FALSE(plain.results[1].relayed_without_dsn);
    ClientWire dsn(client_params(), m);
    run_transcript(dsn, R"(S: 220 mx
C: EHLO client.example
S: 250-mx
S: 250 DSN
C: MAIL FROM:<a@example.org>
S: 250 ok
C: RCPT TO:<b@example.net> NOTIFY=SUCCESS,FAILURE
S: 250 ok
C: RCPT TO:<c@example.net> NOTIFY=FAILURE
S: 250 ok
C: DATA
S: 354 go
C: Subject: hi
C: 
C: hello
C: .
S: 250 ok
C: QUIT
)");
    ASSERT_EQ(dsn.results.size(), 2U);
    EXPECT_FALSE(dsn.results[0].relayed_without_dsn);
}

TEST(ClientTransactions, StartTlsPresentsTheServerName) {
    ClientParams p = client_params(ClientTlsPolicy::Required);
    p.server_name = "mx.example.net";
    ClientWire w(p, client_message({"b"}));
    w.server("220 mx\r\n250-mx\r\n250 STARTTLS\r\n220 go\r\n");
    ASSERT_TRUE(w.tls_requested);
    bool found = false;
    for (auto const& a : w.actions) {
        if (auto const* t = std::get_if<ClientStartTls>(&a)) {
            EXPECT_EQ(t->server_name, "mx.example.net");
            found = true;
        }
    }
    EXPECT_TRUE(found);
}

} // namespace
} // namespace smtpd::sm
