// Fuzz target: a byte stream through sm::ServerConnection, the object the runtime drives, with
// the listener's options and the lookup, queue, credential and TLS answers chosen by the stream.
// Properties: every step is accepted (no event the runtime feeds is unexpected), every reply
// renders as valid reply lines, no message is opened or committed without a sender and an
// accepted recipient, and AUTH succeeds at most once.
#include "smtpd/sm/server_connection.hpp"

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

/// The properties, checked on every step the connection makes.
void check_step(StepRecord const& r) {
    check(r.step.error == StepError::None);
    check(r.step.next.auth_successes <= 1);
    for (auto const& a : r.step.actions) {
        if (auto const* reply = std::get_if<ReplyAction>(&a)) {
            check(valid_reply(render_reply(reply->reply, "mx.example")));
        } else if (auto const* open = std::get_if<OpenMessage>(&a)) {
            check(r.step.next.sender.has_value() && !open->envelope.recipients.empty());
        } else if (std::holds_alternative<CommitMessage>(a)) {
            check(r.step.next.sender.has_value() && !r.step.next.recipients.empty());
        }
    }
}

SessionParams params_of(std::uint8_t options) {
    SessionParams p;
    p.tls_offered = (options & 1U) != 0;
    p.tls_required = (options & 3U) == 3U;
    p.implicit_tls = (options & 4U) != 0;
    p.auth = static_cast<AuthPolicy>((options >> 3U) % 3U);
    p.dsn = (options & 32U) == 0;
    p.max_message_size = (options & 64U) != 0 ? 64 : 35U << 20U;
    p.max_errors = 1U + (options >> 7U) * 19U;
    return p;
}

/// Takes the connection's actions until it needs bytes or closes, answering each question
/// with a verdict chosen by the seed.
void drive(ServerConnection& c, std::uint8_t& seed) {
    for (;;) {
        ServerNext const next = c.next_action();
        if (std::holds_alternative<NeedData>(next) || std::holds_alternative<Finished>(next)) {
            return;
        }
        check(!std::holds_alternative<Paused>(next)); // every question is answered below
        std::uint8_t const s = seed++;
        if (std::holds_alternative<CheckRecipient>(next)) {
            c.answer(RcptVerdict{static_cast<RcptVerdict::Kind>(s % 4)});
        } else if (std::holds_alternative<CommitMessage>(next)) {
            c.answer(QueueVerdict{static_cast<QueueVerdict::Kind>(s % 3), "queueid"});
        } else if (std::holds_alternative<CheckCredentials>(next)) {
            c.answer(AuthVerdict{static_cast<AuthVerdict::Kind>(s % 3)});
        } else if (std::holds_alternative<StartTls>(next)) {
            c.answer(TlsDone{s % 4 != 0});
        }
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::uint8_t const options = size > 0 ? data[0] : 0;
    std::uint8_t seed = options;
    ServerConnection c(params_of(options));
    c.set_observer(ServerObserver{{}, check_step});
    c.start();
    drive(c, seed);
    c.receive(std::string_view(reinterpret_cast<char const*>(data), size));
    drive(c, seed);
    if (!c.closed()) {
        c.peer_closed();
        drive(c, seed);
    }
    return 0;
}
