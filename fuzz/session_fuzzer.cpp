// Fuzz target: a byte stream through the framer and the server session, with lookup and queue
// answers chosen by the stream itself. Properties: every reply renders as valid reply lines, and
// no message is opened or committed without a sender and an accepted recipient.
#include "smtpd/grammar/limits.hpp"
#include "smtpd/sm/session.hpp"

#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

using namespace smtpd::sm;

void check(bool ok) {
    if (!ok) {
        std::abort();
    }
}

bool valid_reply(std::string const& text) {
    if (text.size() < 6 || text.compare(text.size() - 2, 2, "\r\n") != 0) {
        return false;
    }
    for (std::size_t start = 0; start < text.size();) {
        auto const end = text.find("\r\n", start);
        if (end - start < 4 || text[start] < '2' || text[start] > '5' ||
            !std::isdigit(static_cast<unsigned char>(text[start + 1])) ||
            !std::isdigit(static_cast<unsigned char>(text[start + 2]))) {
            return false;
        }
        start = end + 2;
    }
    return true;
}

struct Harness {
    Session session;
    Framer framer{smtpd::grammar::kMaxCommandLine, smtpd::grammar::kMaxTextLine};
    std::uint8_t verdict_seed = 0;

    void feed(Event const& event) {
        Session const before = session;
        Step r = step(session, event);
        session = std::move(r.next);
        for (auto const& a : r.actions) {
            if (auto const* reply = std::get_if<ReplyAction>(&a)) {
                check(valid_reply(render_reply(reply->reply, "mx.example")));
            } else if (auto const* open = std::get_if<OpenMessage>(&a)) {
                check(before.sender.has_value() && !open->envelope.recipients.empty());
            } else if (std::holds_alternative<CommitMessage>(a)) {
                check(before.sender.has_value() && !before.recipients.empty());
            } else if (auto const* mode = std::get_if<SetFramerMode>(&a)) {
                framer.set_mode(mode->mode);
            }
        }
        if (session.state == State::AwaitRcpt) {
            auto const kind = static_cast<RcptVerdict::Kind>(verdict_seed++ % 4);
            feed(RcptVerdict{kind});
        } else if (session.state == State::AwaitQueue) {
            auto const kind = static_cast<QueueVerdict::Kind>(verdict_seed++ % 3);
            feed(QueueVerdict{kind, "queueid"});
        }
    }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    Harness h;
    h.verdict_seed = size > 0 ? data[0] : 0;
    h.feed(Connected{});
    h.framer.push(std::string_view(reinterpret_cast<char const*>(data), size));
    while (h.session.state != State::Closed) {
        auto frame = h.framer.next();
        if (!frame) {
            break;
        }
        h.feed(to_event(std::move(*frame)));
    }
    h.feed(PeerClosed{});
    return 0;
}
