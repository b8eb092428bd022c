// sm::ServerConnection, the object every server driver uses: the dialogue transcripts replayed
// in memory split at every byte offset (the same actions whatever the split, Beast's
// parsegrind), and its contract: NeedData when no command is whole (RFC 2920: flush then), Paused
// while a question is unanswered, Finished once closed, STARTTLS dropping what was pipelined after
// it (RFC 3207 §4.2), the framer's actions kept inside, traces through the observer, and the
// table it is given driven. Depends on: statemachine/, replay.hpp, GoogleTest.
#include "replay.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <string>
#include <vector>

namespace smtpd::sm {
namespace {

using testing::first_split_difference;

struct Dialogue {
    std::string_view name;
    std::string client;
    SessionParams params;
};

SessionParams with_tls_and_auth() {
    SessionParams p;
    p.implicit_tls = true;
    p.auth = AuthPolicy::Optional;
    return p;
}

SessionParams with_starttls() {
    SessionParams p;
    p.tls_offered = true;
    return p;
}

std::vector<Dialogue> dialogues() {
    return {
        {"pipelined transaction, refused and malformed RCPTs, dot-stuffed content",
         "EHLO c.example\r\nMAIL FROM:<a@example.org> SIZE=100 BODY=8BITMIME\r\n"
         "RCPT TO:<b@example.net> NOTIFY=SUCCESS\r\nRCPT TO:<Green@example.net>\r\n"
         "RCPT TO:<broken@x\r\nDATA\r\nSubject: x\r\n\r\n..leading dot\r\nbare\nlf\r\n.\r\n"
         "MAIL FROM:<>\r\nRCPT TO:<c@example.net>\r\nDATA\r\nsecond\r\n.\r\nQUIT\r\n",
         {}},
        {"BDAT chunks, a refused chunk skipped, BDAT LAST",
         "EHLO c\r\nMAIL FROM:<>\r\nBDAT 3\r\nxyzRCPT TO:<a@b.example>\r\nBDAT 5\r\nab\r\nc"
         "BDAT 0 LAST\r\nMAIL FROM:<x@y.example>\r\nRCPT TO:<z@y.example>\r\n"
         "BDAT 4 LAST\r\n.\r\n\r\nRSET\r\nQUIT\r\n",
         {}},
        {"AUTH PLAIN refused, AUTH cancelled, AUTH LOGIN accepted, then mail",
         "EHLO c\r\nAUTH PLAIN AGJhZABwdw==\r\nAUTH LOGIN\r\n*\r\nAUTH LOGIN\r\nZ29vZA==\r\n"
         "cHc=\r\nAUTH PLAIN\r\nMAIL FROM:<a@b.example> AUTH=<>\r\nRCPT TO:<c@d.example>\r\n"
         "DATA\r\nx\r\n.\r\nQUIT\r\n",
         with_tls_and_auth()},
        {"errors: order, syntax, unknown verbs, an over-long line, HELO, VRFY, HELP, NOOP",
         "DATA\r\nXYZZY\r\nHELO c\r\nMAIL FROM: <a@b>\r\nNOOP " + std::string(600, 'x') +
             "\r\nVRFY postmaster\r\nHELP\r\nNOOP\r\nRCPT TO:<a@b>\r\nMAIL FROM:<a@b>\r\n"
             "MAIL FROM:<a@b>\r\nRSET\r\nQUIT\r\n",
         {}},
        {"STARTTLS with nothing pipelined after it", "EHLO c\r\nNOOP\r\nSTARTTLS\r\n",
         with_starttls()},
        {"content without QUIT: the peer closes in DATA",
         "EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\nunfinished\r\n",
         {}},
    };
}

TEST(ServerConnection, DialoguesTakeTheSameActionsAtEverySplit) {
    for (auto const& d : dialogues()) {
        EXPECT_EQ(first_split_difference(d.client, d.params), std::string_view::npos) << d.name;
    }
}

TEST(ServerConnection, SplitReplayLogsEveryKindOfAction) {
    std::string const client = dialogues().front().client;
    std::array<std::string_view, 1> const bytes{client};
    auto const log = testing::replay(bytes);
    auto has = [&](std::string_view prefix) {
        return std::any_of(log.begin(), log.end(),
                           [&](std::string const& e) { return e.starts_with(prefix); });
    };
    EXPECT_TRUE(has("220 ") && has("check <Green@example.net>") && has("550 ") && has("open ") &&
                has("data Subject: x\r\n\r\n.leading dot\r\nbare\nlf\r\n") && has("commit") &&
                has("221 ") && has("close"));
}

/// The action after the markers: returns the next action that is not a reply, collecting replies.
ServerNext skip_replies(ServerConnection& c, std::vector<ReplyId>& replies) {
    for (;;) {
        ServerNext next = c.next_action();
        if (auto const* r = std::get_if<ReplyAction>(&next)) {
            replies.push_back(r->reply.id);
            continue;
        }
        return next;
    }
}

TEST(ServerConnection, NeedsDataUntilACommandIsWhole) {
    ServerConnection c({});
    std::vector<ReplyId> replies;
    EXPECT_TRUE(std::holds_alternative<NeedData>(c.next_action())); // not started
    c.start();
    EXPECT_TRUE(std::holds_alternative<NeedData>(skip_replies(c, replies)));
    EXPECT_EQ(replies, std::vector<ReplyId>{ReplyId::Greeting});
    c.receive("NOOP\r");
    EXPECT_TRUE(std::holds_alternative<NeedData>(skip_replies(c, replies)));
    EXPECT_EQ(c.buffered(), 5U);
    c.receive("\nNO");
    // RFC 2920: the 250 is batched; NeedData says no command is whole, so flush now.
    EXPECT_TRUE(std::holds_alternative<NeedData>(skip_replies(c, replies)));
    EXPECT_EQ(replies.back(), ReplyId::Ok);
    EXPECT_EQ(c.buffered(), 2U);
}

TEST(ServerConnection, PausesUntilTheRecipientIsAnsweredThenReadsOn) {
    ServerConnection c({});
    std::vector<ReplyId> replies;
    c.start();
    c.receive("HELO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<x@y>\r\nNOOP\r\n");
    ServerNext next = skip_replies(c, replies);
    auto const* check = std::get_if<CheckRecipient>(&next);
    ASSERT_NE(check, nullptr);
    EXPECT_EQ(check->recipient.mailbox->local_part, "x");
    EXPECT_TRUE(std::holds_alternative<Paused>(c.next_action()));
    EXPECT_TRUE(std::holds_alternative<Paused>(c.next_action()));
    EXPECT_EQ(c.buffered(), 6U); // NOOP waits for the answer
    c.answer(RcptVerdict{RcptVerdict::Kind::RelayDenied});
    EXPECT_TRUE(std::holds_alternative<NeedData>(skip_replies(c, replies)));
    ASSERT_GE(replies.size(), 2U);
    EXPECT_EQ(replies[replies.size() - 2], ReplyId::RelayDenied);
    EXPECT_EQ(replies.back(), ReplyId::Ok);
}

TEST(ServerConnection, StartTlsDropsWhatWasPipelinedAfterIt) {
    ServerConnection c(with_starttls());
    std::vector<ReplyId> replies;
    c.start();
    c.receive("EHLO c\r\nSTARTTLS\r\nMAIL FROM:<evil@example>\r\n");
    EXPECT_TRUE(std::holds_alternative<StartTls>(skip_replies(c, replies)));
    EXPECT_EQ(c.buffered(), 0U); // RFC 3207 §4.2
    EXPECT_TRUE(std::holds_alternative<Paused>(c.next_action()));
    c.answer(TlsDone{true});
    EXPECT_TRUE(std::holds_alternative<NeedData>(skip_replies(c, replies)));
    EXPECT_TRUE(c.session().tls);
    EXPECT_FALSE(c.session().sender.has_value());
}

TEST(ServerConnection, FramerModesStayInside) {
    ServerConnection c({});
    std::vector<ReplyId> replies;
    c.start();
    c.receive("HELO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<x@y>\r\n");
    ASSERT_TRUE(std::holds_alternative<CheckRecipient>(skip_replies(c, replies)));
    c.answer(RcptVerdict{});
    c.receive("DATA\r\nMAIL FROM:<not@command>\r\n");
    ASSERT_TRUE(std::holds_alternative<OpenMessage>(skip_replies(c, replies)));
    EXPECT_EQ(c.framer_mode(), FramerMode::Data);
    ServerNext const data = skip_replies(c, replies);
    ASSERT_TRUE(std::holds_alternative<WriteData>(data));
    EXPECT_EQ(std::get<WriteData>(data).bytes, "MAIL FROM:<not@command>\r\n");
}

TEST(ServerConnection, FinishedAfterQuitAndAfterTimeout) {
    ServerConnection c({});
    std::vector<ReplyId> replies;
    c.start();
    c.receive("QUIT\r\nNOOP\r\n");
    EXPECT_TRUE(std::holds_alternative<CloseConnection>(skip_replies(c, replies)));
    EXPECT_TRUE(std::holds_alternative<Finished>(c.next_action()));
    EXPECT_EQ(replies.back(), ReplyId::Bye);

    ServerConnection idle({});
    idle.start();
    replies.clear();
    EXPECT_TRUE(std::holds_alternative<NeedData>(skip_replies(idle, replies)));
    idle.timeout();
    EXPECT_TRUE(std::holds_alternative<CloseConnection>(skip_replies(idle, replies)));
    EXPECT_EQ(reply_text(replies.back()).code, 421);
    EXPECT_TRUE(std::holds_alternative<Finished>(idle.next_action()));
}

TEST(ServerConnection, ObserverSeesFramesAndSteps) {
    ServerConnection c({});
    std::vector<std::string> trace;
    c.set_observer(ServerObserver{[&](Frame const& f, FramerMode) {
                                      trace.push_back("frame " + std::get<LineFrame>(f).text);
                                  },
                                  [&](StepRecord const& r) {
                                      trace.push_back(std::string(state_name(r.from)) + " -> " +
                                                      std::string(state_name(r.step.next.state)) +
                                                      " [" + std::string(r.step.row) + "]");
                                  }});
    c.start();
    c.receive("HELO c\r\n");
    std::vector<ReplyId> replies;
    (void)skip_replies(c, replies);
    ASSERT_EQ(trace.size(), 3U);
    EXPECT_TRUE(trace[0].starts_with("Start -> Connected ["));
    EXPECT_EQ(trace[1], "frame HELO c");
    EXPECT_TRUE(trace[2].starts_with("Connected -> Greeted ["));
}

TEST(ServerConnection, DrivesTheTableItIsGiven) {
    std::vector<StepError> errors;
    ServerConnection mutant({}, std::span<Row const>{});
    mutant.set_observer(
        ServerObserver{{}, [&](StepRecord const& r) { errors.push_back(r.step.error); }});
    mutant.start();
    EXPECT_EQ(errors, std::vector<StepError>{StepError::UnexpectedEvent}); // no row greets

    errors.clear();
    ServerConnection real({});
    real.set_observer(
        ServerObserver{{}, [&](StepRecord const& r) { errors.push_back(r.step.error); }});
    real.start();
    EXPECT_EQ(errors, std::vector<StepError>{StepError::None});
}

TEST(ServerConnection, AnswerWithoutAQuestionIsRefusedNotApplied) {
    ServerConnection c({});
    std::vector<StepError> errors;
    c.set_observer(
        ServerObserver{{}, [&](StepRecord const& r) { errors.push_back(r.step.error); }});
    c.start();
    c.answer(RcptVerdict{});
    EXPECT_EQ(errors.back(), StepError::UnexpectedEvent);
    EXPECT_EQ(c.session().state, State::Connected);
}

} // namespace
} // namespace smtpd::sm
