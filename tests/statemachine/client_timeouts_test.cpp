// RFC 5321 §4.5.3.2: the client time-out the connection names in each state it waits in, and
// its length; and a server whose replies break the grammar (over-long lines, mixed codes, an
// endless multi-line reply: the CVE-2020-8794 class) in a later transaction ends the session
// with every undecided recipient TempFail and bounded, single-line result text.
#include "client_wire.hpp"

#include <gtest/gtest.h>

namespace smtpd::sm {
namespace {

using testing::client_message;
using testing::client_params;
using testing::ClientWire;
using T = ClientTimeoutKind;
using std::chrono::minutes;

struct Case {
    ClientState state;
    T kind;
    std::chrono::seconds length;
};

class ClientTimeouts : public ::testing::TestWithParam<Case> {};

TEST_P(ClientTimeouts, EachStateNamesItsTimeout) {
    Case const& c = GetParam();
    EXPECT_EQ(client_timeout_kind(c.state), c.kind);
    EXPECT_EQ(client_timeout_duration(c.kind), c.length);
}

std::string case_name(::testing::TestParamInfo<Case> const& info) {
    return std::string(client_state_name(info.param.state));
}

INSTANTIATE_TEST_SUITE_P(
    AllStates, ClientTimeouts,
    ::testing::Values(Case{ClientState::Greeting, T::Greeting, minutes{5}},
                      Case{ClientState::Ehlo, T::Command, minutes{5}},
                      Case{ClientState::Helo, T::Command, minutes{5}},
                      Case{ClientState::StartTls, T::Command, minutes{5}},
                      Case{ClientState::Handshake, T::Handshake, minutes{5}},
                      Case{ClientState::AuthLoginUser, T::Command, minutes{5}},
                      Case{ClientState::AuthLoginPass, T::Command, minutes{5}},
                      Case{ClientState::AuthResult, T::Command, minutes{5}},
                      Case{ClientState::Mail, T::Mail, minutes{5}},
                      Case{ClientState::Rcpt, T::Rcpt, minutes{5}},
                      Case{ClientState::Data, T::DataInit, minutes{2}},
                      Case{ClientState::Body, T::DataBlock, minutes{3}},
                      Case{ClientState::Content, T::DataTermination, minutes{10}},
                      Case{ClientState::Discard, T::DataTermination, minutes{10}},
                      Case{ClientState::Reset, T::Command, minutes{5}},
                      Case{ClientState::Quit, T::Quit, minutes{2}},
                      Case{ClientState::Idle, T::None, std::chrono::seconds{0}},
                      Case{ClientState::Closed, T::None, std::chrono::seconds{0}}),
    case_name);

TEST(ClientTimeoutsOnTheWire, TheConnectionNamesTheTimeoutOfTheReplyItAwaits) {
    ClientWire w(client_params(), client_message({"b"}));
    EXPECT_EQ(w.connection.current_timeout(), T::Greeting);
    w.server("220 mx\r\n");
    EXPECT_EQ(w.connection.current_timeout(), T::Command);
    w.server("250 mx\r\n");
    EXPECT_EQ(w.connection.current_timeout(), T::Mail);
    w.server("250 ok\r\n");
    EXPECT_EQ(w.connection.current_timeout(), T::Rcpt);
    w.server("250 ok\r\n");
    EXPECT_EQ(w.connection.current_timeout(), T::DataInit);
    w.server("354 go\r\n"); // the wire writes the body at once
    EXPECT_EQ(w.connection.current_timeout(), T::DataTermination);
    w.feed(ClientTimeout{});
    EXPECT_EQ(w.outcome(0), ClientOutcome::TempFail);
    EXPECT_EQ(w.results[0].reply.enhanced, (grammar::EnhancedCode{4, 4, 2}));
}

/// Two messages; the first delivered, then `hostile` answers the second's MAIL.
void expect_safe_end(std::string const& hostile) {
    ClientWire w(client_params(), client_message({"b"}));
    w.queued.push_back(client_message({"c", "d"}));
    w.server("220 mx\r\n250 mx\r\n250 ok\r\n250 ok\r\n354 go\r\n250 queued\r\n");
    ASSERT_EQ(w.outcome(0), ClientOutcome::Delivered);
    w.server("250 ok\r\n250 ok\r\n" + hostile);
    if (!w.closed) {
        w.feed(ClientPeerClosed{});
    }
    ASSERT_TRUE(w.done.has_value());
    EXPECT_EQ(w.done->delivered, 1U);
    EXPECT_EQ(w.done->temp_failed, 2U);
    ASSERT_EQ(w.results.size(), 3U);
    for (auto const& r : w.results) {
        EXPECT_LE(r.reply.lines.size(), kMaxResultLines);
        std::string const text = client_reply_text(r.reply);
        EXPECT_EQ(text.find_first_of(std::string("\r\n\0", 3)), std::string::npos);
        EXPECT_LE(text.size(), 4 + kMaxResultText + kMaxResultLines);
    }
    EXPECT_FALSE(w.unexpected);
}

TEST(ClientHostileReplies, AnOverLongLineEndsTheSessionSafely) {
    expect_safe_end("250 " + std::string(600, 'x') + "\r\n");
}

TEST(ClientHostileReplies, MixedCodesEndTheSessionSafely) {
    expect_safe_end("250-ok\r\n550 no\r\n");
}

TEST(ClientHostileReplies, AnEndlessMultiLineReplyEndsTheSessionSafely) {
    std::string endless;
    for (int i = 0; i < 500; ++i) {
        endless += "250-" + std::string(400, 'y') + "\r\n";
    }
    expect_safe_end(endless);
}

TEST(ClientHostileReplies, ALongValidReplyIsBoundedInTheResult) {
    ClientWire w(client_params(), client_message({"b"}));
    std::string reply;
    for (int i = 0; i < 99; ++i) {
        reply += "550-5.1.1 " + std::string(400, 'z') + "\t\r\n";
    }
    reply += "550 5.1.1 end\r\n";
    w.server("220 mx\r\n250 mx\r\n250 ok\r\n" + reply + "221 bye\r\n");
    ASSERT_EQ(w.results.size(), 1U);
    EXPECT_EQ(w.results[0].outcome, ClientOutcome::PermFail);
    EXPECT_EQ(w.results[0].reply.lines.size(), 2U); // 512 octets fill one line and a part
    std::size_t total = 0;
    for (auto const& line : w.results[0].reply.lines) {
        total += line.size();
        EXPECT_EQ(line.find('\t'), std::string::npos);
    }
    EXPECT_EQ(total, kMaxResultText);
}

} // namespace
} // namespace smtpd::sm
