// rapidcheck properties of the framer and the server session:
// - split invariance: any chunking of a byte stream gives the same frames as the whole stream;
// - no sequence of events opens or commits a message without a sender and an accepted recipient;
// - every reply the session sends renders as valid 2xx-5xx reply lines.
#include "frames.hpp"
#include "smtpd/sm/session.hpp"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>

namespace smtpd::sm {
namespace {

// Pieces that matter to framing, so random streams hit the interesting cases often.
rc::Gen<std::string> smtp_bytes() {
    static std::vector<std::string> const pieces{"\r\n",
                                                 "\r",
                                                 "\n",
                                                 ".",
                                                 "..",
                                                 "\r\n.\r\n",
                                                 "DATA\r\n",
                                                 "MAIL FROM:<a@b>\r\n",
                                                 "a",
                                                 "xyz",
                                                 std::string(1, '\0'),
                                                 std::string(600, 'L'),
                                                 std::string(1100, 'T')};
    return rc::gen::map(rc::gen::container<std::vector<std::string>>(rc::gen::elementOf(pieces)),
                        [](std::vector<std::string> const& parts) {
                            std::string s;
                            for (auto const& p : parts) {
                                s += p;
                            }
                            return s;
                        });
}

RC_GTEST_PROP(FramerProps, SplitAnywhereGivesTheSameFrames, ()) {
    std::string const stream = *smtp_bytes();
    auto cuts = *rc::gen::container<std::vector<std::size_t>>(
        rc::gen::inRange<std::size_t>(0, stream.size() + 1));
    RC_ASSERT(testing::frames_split(stream, cuts) == testing::frames_whole(stream));
}

rc::Gen<Event> session_event() {
    static std::vector<std::string> const lines{"HELO a.example",
                                                "EHLO a.example",
                                                "MAIL FROM:<a@b.example>",
                                                "MAIL FROM:<>",
                                                "RCPT TO:<c@d.example>",
                                                "RCPT TO:<Postmaster>",
                                                "DATA",
                                                "RSET",
                                                "NOOP",
                                                "QUIT",
                                                "VRFY x",
                                                "HELP",
                                                "BDAT 10",
                                                "MAIL FROM: <bad>",
                                                "RCPT TO:<>",
                                                "DATA x"};
    using RK = RcptVerdict::Kind;
    using QK = QueueVerdict::Kind;
    return rc::gen::oneOf(
        rc::gen::map(rc::gen::elementOf(lines),
                     [](std::string const& l) { return to_event(LineFrame{l}); }),
        rc::gen::map(rc::gen::element(RK::Accepted, RK::UnknownUser, RK::RelayDenied, RK::TempFail),
                     [](RK k) { return Event{RcptVerdict{k}}; }),
        rc::gen::map(rc::gen::element(QK::Queued, QK::NoSpace, QK::TempFail),
                     [](QK k) {
                         return Event{QueueVerdict{k, "id"}};
                     }),
        rc::gen::map(rc::gen::arbitrary<bool>(),
                     [](bool long_line) {
                         return Event{DataEnd{long_line, 1}};
                     }),
        rc::gen::just(Event{DataChunk{"x\r\n"}}), rc::gen::just(Event{LineTooLong{}}),
        rc::gen::just(Event{Timeout{}}), rc::gen::just(Event{PeerClosed{}}));
}

bool valid_reply_lines(std::string const& text) {
    if (text.size() < 6 || text.substr(text.size() - 2) != "\r\n") {
        return false;
    }
    std::size_t start = 0;
    while (start < text.size()) {
        auto const end = text.find("\r\n", start);
        std::string const line = text.substr(start, end - start);
        if (line.size() < 4 || line[0] < '2' || line[0] > '5' || !std::isdigit(line[1]) ||
            !std::isdigit(line[2]) || (line[3] != ' ' && line[3] != '-')) {
            return false;
        }
        start = end + 2;
    }
    return true;
}

RC_GTEST_PROP(ServerSessionProps, NeverEnqueuesWithoutSenderAndRecipient, ()) {
    auto const events = *rc::gen::container<std::vector<Event>>(session_event());
    Session s;
    s = step(s, Connected{}).next;
    for (auto const& e : events) {
        Session const before = s;
        Step r = step(s, e);
        for (auto const& a : r.actions) {
            if (auto const* open = std::get_if<OpenMessage>(&a)) {
                RC_ASSERT(!open->envelope.recipients.empty());
                RC_ASSERT(before.sender.has_value());
            }
            if (std::holds_alternative<CommitMessage>(a)) {
                RC_ASSERT(before.sender.has_value());
                RC_ASSERT(!before.recipients.empty());
            }
            if (auto const* reply = std::get_if<ReplyAction>(&a)) {
                RC_ASSERT(valid_reply_lines(render_reply(reply->reply, "mx.example")));
            }
        }
        s = std::move(r.next);
    }
}

} // namespace
} // namespace smtpd::sm
