// The server connection's loop, the only one: frames to events in the session's context
// (line_context), events through step(), the framer's own actions performed at once, the rest
// queued for the driver in order. Depends on: server_connection.hpp.
#include "smtpd/sm/server_connection.hpp"

#include "smtpd/grammar/limits.hpp"

#include <utility>

namespace smtpd::sm {

namespace {

/// The framer's line limit is the longest any advertised set allows; to_event then holds each
/// verb to its own (grammar::max_command_line).
constexpr grammar::Extensions kEveryExtension{
    grammar::Extension::Size, grammar::Extension::EightBitMime, grammar::Extension::Dsn,
    grammar::Extension::SmtpUtf8, grammar::Extension::Auth};

} // namespace

ServerConnection::ServerConnection(SessionParams params, std::span<Row const> table)
    : table_(table), framer_(grammar::max_command_line(kEveryExtension), grammar::kMaxTextLine,
                             grammar::kMaxSaslLine) {
    session_.params = params;
}

void ServerConnection::start() {
    feed(Connected{});
}

void ServerConnection::receive(std::string_view bytes) {
    framer_.push(bytes);
}

ServerNext ServerConnection::next_action() {
    while (out_.empty()) {
        if (closed()) {
            return Finished{};
        }
        if (awaiting_answer(session_)) {
            return Paused{};
        }
        auto frame = framer_.next();
        if (!frame) {
            return NeedData{};
        }
        if (observer_.frame) {
            observer_.frame(*frame, framer_.mode());
        }
        feed(to_event(std::move(*frame), line_context(session_)));
    }
    ServerNext next = std::move(out_.front());
    out_.pop_front();
    return next;
}

void ServerConnection::answer(RcptVerdict verdict) {
    feed(verdict);
}
void ServerConnection::answer(QueueVerdict verdict) {
    feed(std::move(verdict));
}
void ServerConnection::answer(AuthVerdict verdict) {
    feed(verdict);
}
void ServerConnection::answer(TlsDone done) {
    feed(done);
}
void ServerConnection::timeout() {
    feed(Timeout{});
}
void ServerConnection::peer_closed() {
    feed(PeerClosed{});
}

void ServerConnection::feed(Event const& event) {
    State const from = session_.state;
    Step result = step(std::move(session_), event, table_);
    if (observer_.step) {
        observer_.step(StepRecord{from, event, result});
    }
    session_ = std::move(result.next);
    for (auto& action : result.actions) {
        std::visit(
            [this](auto& a) {
                using A = std::decay_t<decltype(a)>;
                if constexpr (std::is_same_v<A, SetFramerMode>) {
                    framer_.set_mode(a.mode);
                } else if constexpr (std::is_same_v<A, ReadChunk>) {
                    framer_.read_chunk(a.octets, a.skip);
                } else {
                    if constexpr (std::is_same_v<A, StartTls>) {
                        // RFC 3207 §4.2 (the CVE-2011-0411 class): nothing the client
                        // pipelined after STARTTLS survives the handshake.
                        framer_.discard_buffered();
                    }
                    out_.emplace_back(std::move(a));
                }
            },
            action);
    }
}

} // namespace smtpd::sm
