// Fuzz target: a byte stream through the framer and the server session, driven as the runtime
// drives them (line_context, ReadChunk, SetFramerMode, STARTTLS dropping buffered input), with
// the listener's options and the lookup, queue, credential and TLS answers chosen by the stream.
// Properties: every step is accepted (no event the runtime feeds is unexpected), every reply
// renders as valid reply lines, no message is opened or committed without a sender and an
// accepted recipient, and AUTH succeeds at most once.
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

constexpr smtpd::grammar::Extensions kEveryExtension{
    smtpd::grammar::Extension::Size, smtpd::grammar::Extension::EightBitMime,
    smtpd::grammar::Extension::Dsn, smtpd::grammar::Extension::SmtpUtf8,
    smtpd::grammar::Extension::Auth};

struct Harness {
    Session session;
    Framer framer{smtpd::grammar::max_command_line(kEveryExtension), smtpd::grammar::kMaxTextLine,
                  smtpd::grammar::kMaxSaslLine};
    std::uint8_t verdict_seed = 0;

    void feed(Event const& event) {
        Session const before = session;
        Step r = step(session, event);
        check(r.error == StepError::None);
        session = std::move(r.next);
        check(session.auth_successes <= 1);
        for (auto const& a : r.actions) {
            if (auto const* reply = std::get_if<ReplyAction>(&a)) {
                check(valid_reply(render_reply(reply->reply, "mx.example")));
            } else if (auto const* open = std::get_if<OpenMessage>(&a)) {
                check(before.sender.has_value() && !open->envelope.recipients.empty());
            } else if (std::holds_alternative<CommitMessage>(a)) {
                check(before.sender.has_value() && !before.recipients.empty());
            } else if (auto const* mode = std::get_if<SetFramerMode>(&a)) {
                framer.set_mode(mode->mode);
            } else if (auto const* chunk = std::get_if<ReadChunk>(&a)) {
                framer.read_chunk(chunk->octets, chunk->skip);
            } else if (std::holds_alternative<StartTls>(a)) {
                framer.discard_buffered();
            }
        }
        answer();
    }

    /// The runtime's answer to what the session now waits for.
    void answer() {
        std::uint8_t const seed = verdict_seed++;
        switch (session.state) {
        case State::AwaitRcpt:
            feed(RcptVerdict{static_cast<RcptVerdict::Kind>(seed % 4)});
            break;
        case State::AwaitQueue:
            feed(QueueVerdict{static_cast<QueueVerdict::Kind>(seed % 3), "queueid"});
            break;
        case State::AwaitAuth:
            feed(AuthVerdict{static_cast<AuthVerdict::Kind>(seed % 3)});
            break;
        case State::AwaitTls:
            feed(TlsDone{seed % 4 != 0});
            break;
        default:
            break;
        }
    }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    Harness h;
    std::uint8_t const options = size > 0 ? data[0] : 0;
    h.verdict_seed = options;
    h.session.params.tls_offered = (options & 1U) != 0;
    h.session.params.tls_required = (options & 3U) == 3U;
    h.session.params.implicit_tls = (options & 4U) != 0;
    h.session.params.auth = static_cast<AuthPolicy>((options >> 3U) % 3U);
    h.session.params.dsn = (options & 32U) == 0;
    h.session.params.max_message_size = (options & 64U) != 0 ? 64 : 35U << 20U;
    h.session.params.max_errors = 1U + (options >> 7U) * 19U;
    h.feed(Connected{});
    h.framer.push(std::string_view(reinterpret_cast<char const*>(data), size));
    while (h.session.state != State::Closed) {
        auto frame = h.framer.next();
        if (!frame) {
            break;
        }
        h.feed(to_event(std::move(*frame), line_context(h.session)));
    }
    if (h.session.state != State::Closed) {
        h.feed(PeerClosed{});
    }
    return 0;
}
