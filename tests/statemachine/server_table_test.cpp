// One test per row of the server transition table (TEST_P over server_table(), named by row id):
// each row has a scenario here that must make exactly that row fire, so a new row without a test
// fails the suite. Plus the defaults: 503 for commands out of order, error values for events
// that cannot happen.
#include "smtpd/sm/session.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <map>

namespace smtpd::sm {
namespace {

Event cmd(std::string line) {
    return to_event(LineFrame{std::move(line)});
}

grammar::Path path(std::string local, std::string domain) {
    grammar::Path p;
    p.mailbox = grammar::Mailbox{std::move(local), std::move(domain), false};
    return p;
}

Session in(State state) {
    Session s;
    s.state = state;
    if (state != State::Start && state != State::Connected) {
        s.helo = "client.example";
    }
    if (state == State::Transaction || state == State::AwaitRcpt || state == State::Data ||
        state == State::AwaitQueue) {
        s.sender = path("a", "example.org");
    }
    if (state == State::Data || state == State::AwaitQueue) {
        s.recipients.push_back(path("b", "example.org"));
    }
    if (state == State::AwaitRcpt) {
        s.pending_recipient = path("b", "example.org");
    }
    return s;
}

Session with_recipient() {
    Session s = in(State::Transaction);
    s.recipients.push_back(path("b", "example.org"));
    return s;
}

struct Scenario {
    Session session;
    Event event;
};

std::map<std::string_view, std::function<Scenario()>> const& scenarios() {
    using RK = RcptVerdict::Kind;
    using QK = QueueVerdict::Kind;
    static std::map<std::string_view, std::function<Scenario()>> const m{
        {"greet",
         [] {
             return Scenario{in(State::Start), Connected{}};
         }},
        {"helo",
         [] {
             return Scenario{in(State::Connected), cmd("HELO client.example")};
         }},
        {"ehlo",
         [] {
             return Scenario{in(State::Transaction), cmd("EHLO client.example")};
         }},
        {"mail-too-many-messages",
         [] {
             Session s = in(State::Greeted);
             s.messages = s.params.max_messages;
             return Scenario{s, cmd("MAIL FROM:<a@example.org>")};
         }},
        {"mail-parameters",
         [] {
             return Scenario{in(State::Greeted), cmd("MAIL FROM:<a@example.org> SIZE=10")};
         }},
        {"mail",
         [] {
             return Scenario{in(State::Greeted), cmd("MAIL FROM:<>")};
         }},
        {"rcpt-parameters",
         [] {
             return Scenario{in(State::Transaction), cmd("RCPT TO:<b@example.org> X=1")};
         }},
        {"rcpt-too-many",
         [] {
             Session s = with_recipient();
             s.params.max_recipients = 1;
             return Scenario{s, cmd("RCPT TO:<c@example.org>")};
         }},
        {"rcpt",
         [] {
             return Scenario{in(State::Transaction), cmd("RCPT TO:<b@example.org>")};
         }},
        {"rcpt-accepted",
         [] {
             return Scenario{in(State::AwaitRcpt), RcptVerdict{RK::Accepted}};
         }},
        {"rcpt-unknown-user",
         [] {
             return Scenario{in(State::AwaitRcpt), RcptVerdict{RK::UnknownUser}};
         }},
        {"rcpt-relay-denied",
         [] {
             return Scenario{in(State::AwaitRcpt), RcptVerdict{RK::RelayDenied}};
         }},
        {"rcpt-tempfail",
         [] {
             return Scenario{in(State::AwaitRcpt), RcptVerdict{RK::TempFail}};
         }},
        {"data",
         [] {
             return Scenario{with_recipient(), cmd("DATA")};
         }},
        {"data-chunk",
         [] {
             return Scenario{in(State::Data), DataChunk{"Subject: x\r\n"}};
         }},
        {"data-line-too-long",
         [] {
             return Scenario{in(State::Data), DataEnd{true, 2000}};
         }},
        {"data-end",
         [] {
             return Scenario{in(State::Data), DataEnd{false, 10}};
         }},
        {"queued",
         [] {
             return Scenario{in(State::AwaitQueue), QueueVerdict{QK::Queued, "0123"}};
         }},
        {"queue-no-space",
         [] {
             return Scenario{in(State::AwaitQueue), QueueVerdict{QK::NoSpace, {}}};
         }},
        {"queue-tempfail",
         [] {
             return Scenario{in(State::AwaitQueue), QueueVerdict{QK::TempFail, {}}};
         }},
        {"rset-before-helo",
         [] {
             return Scenario{in(State::Connected), cmd("RSET")};
         }},
        {"rset",
         [] {
             return Scenario{with_recipient(), cmd("RSET")};
         }},
        {"noop",
         [] {
             return Scenario{in(State::Greeted), cmd("NOOP anything")};
         }},
        {"vrfy",
         [] {
             return Scenario{in(State::Greeted), cmd("VRFY root")};
         }},
        {"help",
         [] {
             return Scenario{in(State::Connected), cmd("HELP")};
         }},
        {"quit",
         [] {
             return Scenario{in(State::Transaction), cmd("QUIT")};
         }},
        {"unknown-command",
         [] {
             return Scenario{in(State::Greeted), cmd("FOO bar")};
         }},
        {"mail-syntax",
         [] {
             return Scenario{in(State::Greeted), cmd("MAIL FROM: <a@b>")};
         }},
        {"rcpt-syntax",
         [] {
             return Scenario{in(State::Transaction), cmd("RCPT TO:<a@>")};
         }},
        {"syntax",
         [] {
             return Scenario{in(State::Greeted), cmd("DATA now")};
         }},
        {"argument-too-long",
         [] {
             return Scenario{in(State::Transaction),
                             cmd("RCPT TO:<" + std::string(250, 'a') + "@example.org>")};
         }},
        {"line-too-long",
         [] {
             return Scenario{in(State::Greeted), LineTooLong{}};
         }},
        {"timeout",
         [] {
             return Scenario{in(State::Data), Timeout{}};
         }},
        {"peer-closed",
         [] {
             return Scenario{in(State::AwaitQueue), PeerClosed{}};
         }},
    };
    return m;
}

class ServerTableRow : public ::testing::TestWithParam<Row> {};

TEST_P(ServerTableRow, FiresForItsScenario) {
    Row const& row = GetParam();
    auto const it = scenarios().find(row.id);
    ASSERT_NE(it, scenarios().end()) << "row '" << row.id << "' has no scenario in this test";
    Scenario const sc = it->second();
    State const before = sc.session.state;
    Step const result = step(sc.session, sc.event);
    EXPECT_EQ(result.error, StepError::None);
    EXPECT_EQ(result.row, row.id);
    EXPECT_EQ(result.next.state, row.to == State::Same ? before : row.to);
    if (row.reply != ReplyId::None) {
        ASSERT_FALSE(result.actions.empty());
        auto const* reply = std::get_if<ReplyAction>(&result.actions.front());
        ASSERT_NE(reply, nullptr);
        EXPECT_EQ(reply->reply.id, row.reply);
    } else {
        for (auto const& a : result.actions) {
            EXPECT_FALSE(std::holds_alternative<ReplyAction>(a));
        }
    }
}

std::string row_name(::testing::TestParamInfo<Row> const& info) {
    std::string name;
    for (char c : info.param.id) {
        name += (c == '-') ? '_' : c;
    }
    return name;
}

INSTANTIATE_TEST_SUITE_P(AllRows, ServerTableRow,
                         ::testing::ValuesIn(server_table().begin(), server_table().end()),
                         row_name);

TEST(ServerTable, EveryScenarioNamesARow) {
    for (auto const& [id, make] : scenarios()) {
        bool found = false;
        for (Row const& row : server_table()) {
            found = found || row.id == id;
        }
        EXPECT_TRUE(found) << "scenario '" << id << "' names no row";
    }
}

TEST(ServerTable, RowIdsAreUnique) {
    std::map<std::string_view, int> seen;
    for (Row const& row : server_table()) {
        EXPECT_EQ(++seen[row.id], 1) << row.id;
    }
}

TEST(ServerSession, MailBeforeHeloIsBadSequence) {
    Step const r = step(in(State::Connected), cmd("MAIL FROM:<a@b.example>"));
    EXPECT_EQ(r.row, "default-bad-sequence");
    EXPECT_EQ(r.next.state, State::Connected);
    EXPECT_EQ(std::get<ReplyAction>(r.actions.at(0)).reply.id, ReplyId::BadSequence);
}

TEST(ServerSession, DataWithoutRecipientIsBadSequence) {
    Step const r = step(in(State::Transaction), cmd("DATA"));
    EXPECT_EQ(std::get<ReplyAction>(r.actions.at(0)).reply.id, ReplyId::BadSequence);
    EXPECT_EQ(r.next.state, State::Transaction);
}

TEST(ServerSession, NestedMailIsBadSequence) {
    Step const r = step(in(State::Transaction), cmd("MAIL FROM:<a@b.example>"));
    EXPECT_EQ(std::get<ReplyAction>(r.actions.at(0)).reply.id, ReplyId::BadSequence);
}

TEST(ServerSession, StaleRecipientVerdictIsAnErrorValue) {
    Session const s = in(State::Greeted);
    Step const r = step(s, RcptVerdict{RcptVerdict::Kind::Accepted});
    EXPECT_EQ(r.error, StepError::UnexpectedEvent);
    EXPECT_TRUE(r.actions.empty());
    EXPECT_EQ(r.next.state, State::Greeted);
}

TEST(ServerSession, EventsAfterCloseAreRefused) {
    Step const r = step(in(State::Closed), cmd("NOOP"));
    EXPECT_EQ(r.error, StepError::SessionClosed);
    EXPECT_TRUE(r.actions.empty());
}

TEST(ServerSession, DataOpensTheMessageWithTheEnvelopeAndSwitchesTheFramer) {
    Step const r = step(with_recipient(), cmd("DATA"));
    ASSERT_EQ(r.actions.size(), 3U);
    auto const& open = std::get<OpenMessage>(r.actions[1]);
    EXPECT_EQ(open.envelope.sender, path("a", "example.org"));
    EXPECT_EQ(open.envelope.recipients.size(), 1U);
    EXPECT_EQ(std::get<SetFramerMode>(r.actions[2]).mode, FramerMode::Data);
}

TEST(ServerSession, QuitRepliesThenCloses) {
    Step const r = step(in(State::Greeted), cmd("QUIT"));
    ASSERT_EQ(r.actions.size(), 2U);
    EXPECT_EQ(std::get<ReplyAction>(r.actions[0]).reply.id, ReplyId::Bye);
    EXPECT_TRUE(std::holds_alternative<CloseConnection>(r.actions[1]));
}

TEST(ServerSession, PeerClosedDuringDataAbortsTheMessage) {
    Step const r = step(in(State::Data), PeerClosed{});
    ASSERT_EQ(r.actions.size(), 2U);
    EXPECT_TRUE(std::holds_alternative<AbortMessage>(r.actions[0]));
}

TEST(ServerSession, EhloResetsTheTransaction) {
    Step const r = step(with_recipient(), cmd("EHLO again.example"));
    EXPECT_FALSE(r.next.sender.has_value());
    EXPECT_TRUE(r.next.recipients.empty());
    EXPECT_TRUE(r.next.esmtp);
}

TEST(ServerSession, AcceptedRecipientIsAddedAndRejectedOneIsNot) {
    Session s = in(State::Transaction);
    s = step(s, cmd("RCPT TO:<b@example.org>")).next;
    s = step(s, RcptVerdict{RcptVerdict::Kind::Accepted}).next;
    s = step(s, cmd("RCPT TO:<c@example.org>")).next;
    s = step(s, RcptVerdict{RcptVerdict::Kind::UnknownUser}).next;
    ASSERT_EQ(s.recipients.size(), 1U);
    EXPECT_EQ(s.recipients[0], path("b", "example.org"));
    EXPECT_EQ(s.state, State::Transaction);
}

TEST(ServerSession, AcceptsAtLeastOneHundredRecipients) {
    Session s = in(State::Transaction);
    for (int i = 0; i < 100; ++i) {
        Step const r = step(s, cmd("RCPT TO:<u" + std::to_string(i) + "@example.org>"));
        ASSERT_EQ(r.row, "rcpt");
        s = step(r.next, RcptVerdict{RcptVerdict::Kind::Accepted}).next;
    }
    EXPECT_EQ(s.recipients.size(), 100U);
}

TEST(Replies, RenderedRepliesCarryEnhancedCodesExceptGreetingAndHelo) {
    EXPECT_EQ(render_reply({ReplyId::Greeting, {}}, "mx.example"),
              "220 mx.example ESMTP smtpd\r\n");
    EXPECT_EQ(render_reply({ReplyId::BadSequence, {}}, "mx"),
              "503 5.5.1 Bad sequence of commands\r\n");
    EXPECT_EQ(render_reply({ReplyId::MessageAccepted, "abc"}, "mx"),
              "250 2.0.0 abc: Message accepted for delivery\r\n");
    EXPECT_EQ(render_reply({ReplyId::EhloOk, "c.example"}, "mx"),
              "250-mx Hello c.example\r\n250-PIPELINING\r\n250 ENHANCEDSTATUSCODES\r\n");
}

} // namespace
} // namespace smtpd::sm
