// Tests of the event layer (statemachine/src/session.cpp): every frame becomes the event the
// table keys on (command lines parsed, parse failures split by error kind), and the names used
// in traces. Depends on: smtpd/sm/event.hpp, smtpd/sm/session.hpp, GoogleTest.
#include "smtpd/sm/event.hpp"
#include "smtpd/sm/session.hpp"

#include <gtest/gtest.h>

#include <string>

namespace smtpd::sm {
namespace {

EventKind kind_of_line(std::string line) {
    return kind_of(to_event(LineFrame{std::move(line)}));
}

TEST(Events, CommandLinesBecomeTheirVerbsOrTheirErrors) {
    EXPECT_EQ(kind_of_line("EHLO client.example"), EventKind::Ehlo);
    EXPECT_EQ(kind_of_line("mail from:<a@b>"), EventKind::Mail);
    EXPECT_EQ(kind_of_line("DATA x"), EventKind::SyntaxError);
    EXPECT_EQ(kind_of_line("XYZZY"), EventKind::Unknown);
    EXPECT_EQ(kind_of_line("MAIL FROM: <a@b>"), EventKind::MailSyntax);
    EXPECT_EQ(kind_of_line("MAIL FROM:<" + std::string(65, 'x') + "@b>"),
              EventKind::ArgumentTooLong);
    auto const bad = to_event(LineFrame{"RCPT TO:<a@@b>"});
    ASSERT_TRUE(std::holds_alternative<BadCommand>(bad));
    EXPECT_EQ(std::get<BadCommand>(bad).verb, grammar::Verb::Rcpt);
}

TEST(Events, OtherFramesBecomeTheirEvents) {
    EXPECT_EQ(kind_of(to_event(LineTooLongFrame{})), EventKind::LineTooLong);
    auto const chunk = to_event(DataChunkFrame{"Subject: x\r\n"});
    ASSERT_TRUE(std::holds_alternative<DataChunk>(chunk));
    EXPECT_EQ(std::get<DataChunk>(chunk).bytes, "Subject: x\r\n");
    auto const end = to_event(DataEndFrame{true, 1234});
    ASSERT_TRUE(std::holds_alternative<DataEnd>(end));
    EXPECT_TRUE(std::get<DataEnd>(end).line_too_long);
    EXPECT_EQ(std::get<DataEnd>(end).octets, 1234U);
}

TEST(Events, AwaitingAnAnswerHoldsTheNextFrame) {
    Session s;
    for (State const state : {State::AwaitRcpt, State::AwaitQueue}) {
        s.state = state;
        EXPECT_TRUE(awaiting_answer(s)) << state_name(state);
    }
    for (State const state : {State::Greeted, State::Data, State::Closed}) {
        s.state = state;
        EXPECT_FALSE(awaiting_answer(s)) << state_name(state);
    }
}

TEST(Events, StatesAndEventKindsHaveNames) {
    EXPECT_EQ(state_name(State::Greeted), "Greeted");
    EXPECT_EQ(state_name(State::Same), "Same");
    EXPECT_EQ(event_kind_name(EventKind::PeerClosed), "PeerClosed");
    EXPECT_EQ(event_kind_name(EventKind::Connected), "Connected");
}

} // namespace
} // namespace smtpd::sm
