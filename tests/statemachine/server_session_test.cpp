// Behaviour of the server session across several steps: the defaults (503, error values), the
// extensions end to end in the machine (SIZE, DSN, SMTPUTF8, BDAT, STARTTLS, AUTH PLAIN and
// LOGIN, tls-require), the error limit, the per-verb line limits, and the rendered replies.
#include "smtpd/sm/session.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace smtpd::sm {
namespace {

using grammar::Extension;

/// Drives a session event by event, keeping every action.
struct Driver {
    Session s;
    std::vector<Action> actions;
    std::string_view row;

    explicit Driver(SessionParams params = {}) {
        s.params = params;
        feed(Connected{});
    }
    Driver& feed(Event const& e) {
        Step r = step(s, e);
        EXPECT_EQ(r.error, StepError::None) << "in " << state_name(s.state);
        s = std::move(r.next);
        row = r.row;
        actions = std::move(r.actions);
        return *this;
    }
    Driver& line(std::string text) {
        return feed(to_event(LineFrame{std::move(text)}, line_context(s)));
    }
    /// The reply ids of the last step.
    [[nodiscard]] std::vector<ReplyId> replies() const {
        std::vector<ReplyId> out;
        for (auto const& a : actions) {
            if (auto const* r = std::get_if<ReplyAction>(&a)) {
                out.push_back(r->reply.id);
            }
        }
        return out;
    }
    [[nodiscard]] ReplyId reply() const {
        auto const r = replies();
        return r.size() == 1 ? r.front() : ReplyId::None;
    }
    template <class T> [[nodiscard]] T const* action() const {
        for (auto const& a : actions) {
            if (auto const* t = std::get_if<T>(&a)) {
                return t;
            }
        }
        return nullptr;
    }
};

SessionParams secure_params() {
    SessionParams p;
    p.tls_offered = true;
    p.auth = AuthPolicy::Optional;
    return p;
}

/// EHLO'd, then STARTTLS'd and EHLO'd again.
Driver over_tls(SessionParams p = secure_params()) {
    Driver d(p);
    d.line("EHLO c.example").line("STARTTLS").feed(TlsDone{true}).line("EHLO c.example");
    return d;
}

TEST(ServerSession, MailBeforeHeloIsBadSequence) {
    Driver d;
    d.line("MAIL FROM:<a@b.example>");
    EXPECT_EQ(d.row, "default-bad-sequence");
    EXPECT_EQ(d.reply(), ReplyId::BadSequence);
    EXPECT_EQ(d.s.state, State::Connected);
}

TEST(ServerSession, DataWithoutRecipientIsNoValidRecipients) {
    Driver d;
    d.line("EHLO c").line("MAIL FROM:<>").line("DATA");
    EXPECT_EQ(d.reply(), ReplyId::NoValidRecipients); // RFC 5321 §3.3: 554
    EXPECT_EQ(d.s.state, State::Transaction);
}

TEST(ServerSession, NestedMailIsBadSequence) {
    Driver d;
    d.line("EHLO c").line("MAIL FROM:<>").line("MAIL FROM:<a@b.example>");
    EXPECT_EQ(d.reply(), ReplyId::BadSequence);
}

TEST(ServerSession, StaleAnswersAreErrorValues) {
    Session s;
    s.state = State::Greeted;
    for (Event const& e : {Event{RcptVerdict{}}, Event{QueueVerdict{}}, Event{AuthVerdict{}},
                           Event{TlsDone{}}, Event{DataChunk{"x"}}, Event{ChunkEnd{1}}}) {
        Step const r = step(s, e);
        EXPECT_EQ(r.error, StepError::UnexpectedEvent);
        EXPECT_TRUE(r.actions.empty());
        EXPECT_EQ(r.next.state, State::Greeted);
    }
}

TEST(ServerSession, EventsAfterCloseAreRefused) {
    Session s;
    s.state = State::Closed;
    Step const r = step(s, PeerClosed{});
    EXPECT_EQ(r.error, StepError::SessionClosed);
    EXPECT_TRUE(r.actions.empty());
}

TEST(ServerSession, AMessageFromMailToQueued) {
    Driver d;
    d.line("EHLO c.example")
        .line("MAIL FROM:<a@b.example> SIZE=100 BODY=8BITMIME RET=HDRS ENVID=x+2By");
    EXPECT_EQ(d.reply(), ReplyId::SenderOk);
    d.line("RCPT TO:<r@d.example> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;r@d.example");
    EXPECT_NE(d.action<CheckRecipient>(), nullptr);
    d.feed(RcptVerdict{RcptVerdict::Kind::Accepted}).line("DATA");
    EXPECT_EQ(d.reply(), ReplyId::StartData);
    auto const* open = d.action<OpenMessage>();
    ASSERT_NE(open, nullptr);
    Envelope const& env = open->envelope;
    EXPECT_EQ(env.helo, "c.example");
    EXPECT_TRUE(env.esmtp);
    EXPECT_EQ(env.mail.size, 100U);
    EXPECT_EQ(env.mail.body, Body::EightBitMime);
    EXPECT_EQ(env.mail.ret, Ret::Headers);
    EXPECT_EQ(env.mail.envid, "x+2By");
    ASSERT_EQ(env.recipients.size(), 1U);
    EXPECT_EQ(env.recipients[0].options.notify, kNotifySuccess | kNotifyFailure);
    EXPECT_EQ(env.recipients[0].options.orcpt, "rfc822;r@d.example");
    d.feed(DataChunk{"Subject: x\r\n\r\nbody\r\n"}).feed(DataEnd{false, 20});
    EXPECT_NE(d.action<CommitMessage>(), nullptr);
    d.feed(QueueVerdict{QueueVerdict::Kind::Queued, "abc"});
    EXPECT_EQ(d.reply(), ReplyId::MessageAccepted);
    EXPECT_EQ(d.s.messages, 1U);
    EXPECT_FALSE(d.s.sender.has_value());
}

TEST(ServerSession, SizeIsCheckedAtMailAndAtTheEndOfData) {
    SessionParams p;
    p.max_message_size = 1000;
    Driver d(p);
    d.line("EHLO c").line("MAIL FROM:<> SIZE=1001");
    EXPECT_EQ(d.reply(), ReplyId::MessageTooBig); // RFC 1870 §6: 552
    d.line("MAIL FROM:<> SIZE=1000").line("RCPT TO:<a@b>").feed(RcptVerdict{}).line("DATA");
    d.feed(DataChunk{std::string(1001, 'x')}).feed(DataEnd{false, 1001});
    EXPECT_EQ(d.replies(), (std::vector{ReplyId::MessageTooBig}));
    EXPECT_NE(d.action<AbortMessage>(), nullptr);
    EXPECT_EQ(d.s.state, State::Greeted);
}

TEST(ServerSession, ParametersNeedTheirExtensionAdvertised) {
    Driver helo;
    helo.line("HELO c").line("MAIL FROM:<> SIZE=10");
    EXPECT_EQ(helo.reply(), ReplyId::ParameterNotImplemented); // no EHLO, no extensions
    SessionParams no_dsn;
    no_dsn.dsn = false;
    Driver d(no_dsn);
    d.line("EHLO c").line("MAIL FROM:<> RET=FULL");
    EXPECT_EQ(d.reply(), ReplyId::ParameterNotImplemented);
    d.line("MAIL FROM:<> SIZE=1 SIZE=2");
    EXPECT_EQ(d.reply(), ReplyId::ParameterInvalid);
    d.line("MAIL FROM:<> SMTPUTF8=yes");
    EXPECT_EQ(d.reply(), ReplyId::ParameterInvalid);
}

TEST(ServerSession, Smtputf8TransactionsTakeUtf8Addresses) {
    Driver d;
    d.line("EHLO c").line("MAIL FROM:<j\xc3\xb6rg@example.org>");
    EXPECT_EQ(d.reply(), ReplyId::SenderNonAscii); // RFC 6531 §3.5: 550 5.6.7
    d.line("MAIL FROM:<a@example.org>").line("RCPT TO:<\xc3\xa9@example.org>");
    EXPECT_EQ(d.reply(), ReplyId::RecipientNonAscii); // 553 5.6.7
    d.line("RSET").line("MAIL FROM:<j\xc3\xb6rg@example.org> SMTPUTF8");
    EXPECT_EQ(d.reply(), ReplyId::SenderOk);
    EXPECT_TRUE(d.s.mail.smtputf8);
    d.line("RCPT TO:<\xc3\xa9@b\xc3\xbc"
           "cher.example>");
    ASSERT_NE(d.action<CheckRecipient>(), nullptr);
    EXPECT_EQ(d.action<CheckRecipient>()->recipient.mailbox->local_part, "\xc3\xa9");
}

TEST(ServerSession, BdatChunksThenLast) {
    Driver d;
    d.line("EHLO c").line("MAIL FROM:<>").line("RCPT TO:<a@b>").feed(RcptVerdict{});
    d.line("BDAT 5");
    EXPECT_TRUE(d.replies().empty()); // RFC 3030 §2: the reply comes after the chunk
    ASSERT_NE(d.action<ReadChunk>(), nullptr);
    EXPECT_EQ(d.action<ReadChunk>()->octets, 5U);
    EXPECT_FALSE(d.action<ReadChunk>()->skip);
    EXPECT_NE(d.action<OpenMessage>(), nullptr);
    d.feed(DataChunk{"ab\r\nc"}).feed(ChunkEnd{5});
    EXPECT_EQ(d.reply(), ReplyId::ChunkAccepted);
    EXPECT_EQ(render_reply(std::get<ReplyAction>(d.actions[0]).reply, "mx"),
              "250 2.0.0 5 octets received\r\n");
    d.line("DATA");
    EXPECT_EQ(d.reply(), ReplyId::BadSequence); // RFC 3030 §2: no DATA after BDAT
    d.line("BDAT 0 LAST").feed(ChunkEnd{0});
    EXPECT_NE(d.action<CommitMessage>(), nullptr);
    d.feed(QueueVerdict{QueueVerdict::Kind::Queued, "q1"});
    EXPECT_EQ(d.reply(), ReplyId::MessageAccepted);
}

TEST(ServerSession, RefusedBdatSkipsItsChunkBeforeReplying) {
    Driver d;
    d.line("EHLO c").line("BDAT 100 LAST");
    EXPECT_TRUE(d.replies().empty());
    ASSERT_NE(d.action<ReadChunk>(), nullptr);
    EXPECT_TRUE(d.action<ReadChunk>()->skip);
    EXPECT_EQ(d.s.state, State::SkipChunk);
    d.feed(ChunkEnd{100});
    EXPECT_EQ(d.reply(), ReplyId::BadSequence);
    EXPECT_EQ(d.s.state, State::Greeted);
}

TEST(ServerSession, BdatOverTheSizeLimitIsSkippedAndRefused) {
    SessionParams p;
    p.max_message_size = 10;
    Driver d(p);
    d.line("EHLO c").line("MAIL FROM:<>").line("RCPT TO:<a@b>").feed(RcptVerdict{});
    d.line("BDAT 11 LAST");
    EXPECT_TRUE(d.action<ReadChunk>()->skip);
    d.feed(ChunkEnd{11});
    EXPECT_EQ(d.reply(), ReplyId::MessageTooBig);
    EXPECT_EQ(d.s.state, State::Greeted);
}

TEST(ServerSession, StarttlsDropsEverythingTheClientSaid) {
    Driver d(secure_params());
    d.line("EHLO c.example");
    EXPECT_TRUE(d.s.advertised.has(Extension::StartTls));
    EXPECT_FALSE(d.s.advertised.has(Extension::Auth)); // AUTH only over TLS, as OpenSMTPD
    d.line("STARTTLS");
    EXPECT_EQ(d.reply(), ReplyId::ReadyForTls);
    EXPECT_NE(d.action<StartTls>(), nullptr);
    EXPECT_TRUE(awaiting_answer(d.s));
    d.feed(TlsDone{true});
    EXPECT_TRUE(d.replies().empty()); // RFC 3207 §4.2: no new greeting
    EXPECT_EQ(d.s.state, State::Connected);
    EXPECT_TRUE(d.s.helo.empty());
    EXPECT_TRUE(d.s.tls);
    d.line("MAIL FROM:<>");
    EXPECT_EQ(d.reply(), ReplyId::BadSequence); // EHLO must be repeated
    d.line("EHLO c.example");
    EXPECT_FALSE(d.s.advertised.has(Extension::StartTls));
    EXPECT_TRUE(d.s.advertised.has(Extension::Auth));
    d.line("STARTTLS");
    EXPECT_EQ(d.reply(), ReplyId::TlsAlreadyActive);
}

TEST(ServerSession, StarttlsFailureCloses) {
    Driver d(secure_params());
    d.line("EHLO c").line("STARTTLS").feed(TlsDone{false});
    EXPECT_EQ(d.s.state, State::Closed);
    EXPECT_NE(d.action<CloseConnection>(), nullptr);
}

TEST(ServerSession, TlsRequireAllowsOnlyNoopEhloStarttlsQuit) {
    SessionParams p = secure_params();
    p.tls_required = true;
    Driver d(p);
    d.line("EHLO c");
    EXPECT_EQ(d.reply(), ReplyId::EhloOk);
    d.line("NOOP");
    EXPECT_EQ(d.reply(), ReplyId::Ok);
    for (auto const* line : {"MAIL FROM:<>", "HELO c", "RSET", "HELP", "VRFY a", "AUTH PLAIN"}) {
        d.line(line);
        EXPECT_EQ(d.reply(), ReplyId::TlsRequired) << line; // RFC 3207 §4: 530 5.7.0
    }
    d.line("STARTTLS").feed(TlsDone{true}).line("EHLO c").line("MAIL FROM:<>");
    EXPECT_EQ(d.reply(), ReplyId::SenderOk);
}

TEST(ServerSession, AuthPlainWithInitialResponse) {
    Driver d = over_tls();
    d.line("AUTH PLAIN AHVzZXIAcGFzcw==");
    auto const* check = d.action<CheckCredentials>();
    ASSERT_NE(check, nullptr);
    EXPECT_EQ(check->user, "user");
    EXPECT_EQ(check->password, "pass");
    EXPECT_EQ(d.s.state, State::AwaitAuth);
    d.feed(AuthVerdict{AuthVerdict::Kind::Accepted});
    EXPECT_EQ(d.reply(), ReplyId::AuthOk);
    EXPECT_EQ(d.s.auth_user, "user");
    d.line("AUTH PLAIN AHVzZXIAcGFzcw==");
    EXPECT_EQ(d.reply(), ReplyId::AlreadyAuthenticated); // RFC 4954 §4: 503
    d.line("MAIL FROM:<a@b> AUTH=a@b").line("RCPT TO:<c@d>").feed(RcptVerdict{}).line("DATA");
    EXPECT_EQ(d.action<OpenMessage>()->envelope.auth_user, "user");
    EXPECT_EQ(d.action<OpenMessage>()->envelope.mail.auth, "a@b");
}

TEST(ServerSession, AuthPlainWithAChallenge) {
    Driver d = over_tls();
    d.line("AUTH PLAIN");
    EXPECT_EQ(d.reply(), ReplyId::AuthChallenge);
    EXPECT_EQ(render_reply(std::get<ReplyAction>(d.actions[0]).reply, "mx"), "334 \r\n");
    EXPECT_EQ(d.action<SetFramerMode>()->mode, FramerMode::AuthLine);
    d.line("dXNlcgB1c2VyAHBhc3M="); // "user\0user\0pass": authzid = authcid is allowed
    EXPECT_EQ(d.action<CheckCredentials>()->user, "user");
    EXPECT_EQ(d.action<SetFramerMode>()->mode, FramerMode::Command);
    d.feed(AuthVerdict{AuthVerdict::Kind::Rejected});
    EXPECT_EQ(d.reply(), ReplyId::AuthFailed); // 535 5.7.8
    EXPECT_FALSE(d.s.auth_user.has_value());
}

TEST(ServerSession, AuthLoginAsksForUserAndPassword) {
    Driver d = over_tls();
    d.line("AUTH LOGIN");
    EXPECT_EQ(d.reply(), ReplyId::AuthUsername);
    d.line("dXNlcg==");
    EXPECT_EQ(d.reply(), ReplyId::AuthPassword);
    d.line("cGFzcw==");
    auto const* check = d.action<CheckCredentials>();
    ASSERT_NE(check, nullptr);
    EXPECT_EQ(check->user, "user");
    EXPECT_EQ(check->password, "pass");
    d.feed(AuthVerdict{AuthVerdict::Kind::TempFail});
    EXPECT_EQ(d.reply(), ReplyId::AuthTempFail);
}

TEST(ServerSession, AuthRefusals) {
    Driver d = over_tls();
    d.line("AUTH LOGIN").line("*");
    EXPECT_EQ(d.reply(), ReplyId::AuthCancelled); // RFC 4954 §4: 501
    d.line("AUTH PLAIN").line("%%%");
    EXPECT_EQ(d.reply(), ReplyId::AuthBadResponse);
    d.line("AUTH PLAIN").feed(LineTooLong{});
    EXPECT_EQ(d.reply(), ReplyId::AuthLineTooLong); // 500 5.5.6
    d.line("AUTH PLAIN YQBiAGM=");
    EXPECT_EQ(d.reply(), ReplyId::AuthBadResponse); // authzid "a" is not authcid "b"
    d.line("MAIL FROM:<>").line("AUTH PLAIN");
    EXPECT_EQ(d.reply(), ReplyId::BadSequence); // not inside a transaction
    Driver clear(secure_params());
    clear.line("EHLO c").line("AUTH PLAIN");
    EXPECT_EQ(clear.reply(), ReplyId::AuthNeedsTls); // 538 5.7.11
}

TEST(ServerSession, AuthRequiredBeforeMail) {
    SessionParams p = secure_params();
    p.auth = AuthPolicy::Required;
    Driver d = over_tls(p);
    d.line("MAIL FROM:<>");
    EXPECT_EQ(d.reply(), ReplyId::AuthRequired); // RFC 4954 §6: 530 5.7.0
    d.line("AUTH PLAIN AHVzZXIAcGFzcw==").feed(AuthVerdict{}).line("MAIL FROM:<>");
    EXPECT_EQ(d.reply(), ReplyId::SenderOk);
}

TEST(ServerSession, TooManyErrorsCloseTheSession) {
    SessionParams p;
    p.max_errors = 3;
    Driver d(p);
    d.line("EHLO c").line("FOO").line("BAR").line("MAIL FROM:<x");
    EXPECT_EQ(d.s.errors, 3U);
    d.line("NOOP");
    EXPECT_EQ(d.reply(), ReplyId::TooManyErrors);
    EXPECT_EQ(d.s.state, State::Closed);
}

TEST(ServerSession, ExtensionsLengthenOnlyMailAndRcpt) {
    Driver d;
    d.line("EHLO c");
    d.line("MAIL FROM:<> SIZE=1 BODY=7BIT RET=FULL ENVID=" + std::string(100, 'e'));
    EXPECT_EQ(d.reply(), ReplyId::SenderOk);
    // RFC 3461 §5.4: NOTIFY and ORCPT may add 530 characters to RCPT.
    std::string const rcpt = "RCPT TO:<" + std::string(60, 'a') +
                             "@b.example> NOTIFY=SUCCESS,FAILURE,DELAY ORCPT=rfc822;" +
                             std::string(480, 'o');
    ASSERT_GT(rcpt.size() + 2, 512U);
    d.line(rcpt);
    EXPECT_NE(d.action<CheckRecipient>(), nullptr);
    d.feed(RcptVerdict{});
    d.line("NOOP " + std::string(600, 'x'));
    EXPECT_EQ(d.reply(), ReplyId::LineTooLong);
}

TEST(ServerSession, QuitRepliesThenCloses) {
    Driver d;
    d.line("QUIT");
    ASSERT_EQ(d.actions.size(), 2U);
    EXPECT_EQ(d.reply(), ReplyId::Bye);
    EXPECT_TRUE(std::holds_alternative<CloseConnection>(d.actions[1]));
}

TEST(ServerSession, PeerClosedDuringDataAbortsTheMessage) {
    Driver d;
    d.line("EHLO c").line("MAIL FROM:<>").line("RCPT TO:<a@b>").feed(RcptVerdict{}).line("DATA");
    d.feed(PeerClosed{});
    EXPECT_NE(d.action<AbortMessage>(), nullptr);
    EXPECT_NE(d.action<CloseConnection>(), nullptr);
}

TEST(ServerSession, AcceptsAtLeastOneHundredRecipients) {
    Driver d;
    d.line("EHLO c").line("MAIL FROM:<>");
    for (int i = 0; i < 100; ++i) {
        d.line("RCPT TO:<u" + std::to_string(i) + "@example.org>");
        ASSERT_EQ(d.row, "rcpt");
        d.feed(RcptVerdict{});
    }
    EXPECT_EQ(d.s.recipients.size(), 100U);
}

TEST(Replies, RenderedRepliesCarryEnhancedCodesExceptGreetingAndHelo) {
    EXPECT_EQ(render_reply({ReplyId::Greeting, {}, {}}, "mx.example"),
              "220 mx.example ESMTP smtpd\r\n");
    EXPECT_EQ(render_reply({ReplyId::BadSequence, {}, {}}, "mx"),
              "503 5.5.1 Bad sequence of commands\r\n");
    EXPECT_EQ(render_reply({ReplyId::MessageAccepted, "abc", {}}, "mx"),
              "250 2.0.0 abc: Message accepted for delivery\r\n");
    EXPECT_EQ(render_reply({ReplyId::EhloOk, "c.example", {"PIPELINING", "SIZE 10"}}, "mx"),
              "250-mx Hello c.example\r\n250-PIPELINING\r\n250 SIZE 10\r\n");
    EXPECT_EQ(render_reply({ReplyId::EhloOk, "c.example", {}}, "mx"), "250 mx Hello c.example\r\n");
    EXPECT_EQ(render_reply({ReplyId::AuthNeedsTls, {}, {}}, "mx"),
              "538 5.7.11 Encryption required for requested authentication mechanism\r\n");
}

TEST(Replies, EhloListsTheAdvertisedExtensionsWithTheirParameters) {
    Driver d = over_tls();
    Reply const r = std::get<ReplyAction>(d.actions.at(0)).reply;
    EXPECT_EQ(r.lines, (std::vector<std::string>{"PIPELINING", "SIZE 36700160", "8BITMIME",
                                                 "ENHANCEDSTATUSCODES", "DSN", "SMTPUTF8",
                                                 "CHUNKING", "AUTH PLAIN LOGIN", "HELP"}));
}

} // namespace
} // namespace smtpd::sm
