// The step engine: finds the first row of server_table() that matches (state, event kind, guard)
// and applies it; otherwise the per-event default (h11): 503 for a command out of order, an
// error value for an internal event that cannot happen now. Also event classification.
#include "smtpd/sm/session.hpp"

#include <array>
#include <type_traits>
#include <utility>

namespace smtpd::sm {

namespace {

constexpr std::array<std::string_view, kStateCount> kStateNames{
    "Start", "Connected", "Greeted", "Transaction", "AwaitRcpt", "Data", "AwaitQueue", "Closed"};

constexpr std::array<std::string_view, kEventKindCount> kEventNames{
    "Connected",    "Helo",
    "Ehlo",         "Mail",
    "Rcpt",         "Data",
    "Rset",         "Noop",
    "Quit",         "Vrfy",
    "Help",         "Unknown",
    "SyntaxError",  "ArgumentTooLong",
    "LineTooLong",  "DataChunk",
    "DataEnd",      "RcptVerdict",
    "QueueVerdict", "Timeout",
    "PeerClosed"};

// XXX(#5): EXPN, STARTTLS, AUTH and BDAT parse, but the session does not implement them yet.
constexpr std::array<EventKind, grammar::kVerbCount> kVerbKinds{
    EventKind::Helo,    EventKind::Ehlo,    EventKind::Mail,    EventKind::Rcpt,   EventKind::Data,
    EventKind::Rset,    EventKind::Noop,    EventKind::Quit,    EventKind::Vrfy,   EventKind::Help,
    EventKind::Unknown, EventKind::Unknown, EventKind::Unknown, EventKind::Unknown};

EventKind kind_of_error(grammar::ErrorKind kind) {
    switch (kind) {
    case grammar::ErrorKind::UnknownVerb:
        return EventKind::Unknown;
    case grammar::ErrorKind::LineTooLong:
    case grammar::ErrorKind::ReplyTooLong: // a reply's error; no command line has it
        return EventKind::LineTooLong;
    case grammar::ErrorKind::PathTooLong:
    case grammar::ErrorKind::LocalPartTooLong:
    case grammar::ErrorKind::DomainTooLong:
        return EventKind::ArgumentTooLong;
    case grammar::ErrorKind::Syntax:
        break;
    }
    return EventKind::SyntaxError;
}

/// Events a client causes by sending a command line: out of order, they get 503.
bool is_command_kind(EventKind k) {
    return k >= EventKind::Helo && k <= EventKind::LineTooLong;
}

bool is_command_state(State s) {
    return s == State::Connected || s == State::Greeted || s == State::Transaction;
}

std::string reply_arg(Event const& event) {
    if (auto const* c = std::get_if<CommandEvent>(&event)) {
        return c->command.domain;
    }
    if (auto const* q = std::get_if<QueueVerdict>(&event)) {
        return q->queue_id;
    }
    return {};
}

} // namespace

std::string_view state_name(State state) {
    return state == State::Same ? "Same" : kStateNames.at(static_cast<std::size_t>(state));
}

std::string_view event_kind_name(EventKind kind) {
    return kEventNames.at(static_cast<std::size_t>(kind));
}

EventKind kind_of(Event const& event) {
    return std::visit(
        [](auto const& e) -> EventKind {
            using T = std::decay_t<decltype(e)>;
            if constexpr (std::is_same_v<T, Connected>) {
                return EventKind::Connected;
            } else if constexpr (std::is_same_v<T, CommandEvent>) {
                return kVerbKinds.at(static_cast<std::size_t>(e.command.verb));
            } else if constexpr (std::is_same_v<T, BadCommand>) {
                return kind_of_error(e.error.kind);
            } else if constexpr (std::is_same_v<T, LineTooLong>) {
                return EventKind::LineTooLong;
            } else if constexpr (std::is_same_v<T, DataChunk>) {
                return EventKind::DataChunk;
            } else if constexpr (std::is_same_v<T, DataEnd>) {
                return EventKind::DataEnd;
            } else if constexpr (std::is_same_v<T, RcptVerdict>) {
                return EventKind::RcptVerdict;
            } else if constexpr (std::is_same_v<T, QueueVerdict>) {
                return EventKind::QueueVerdict;
            } else if constexpr (std::is_same_v<T, Timeout>) {
                return EventKind::Timeout;
            } else {
                static_assert(std::is_same_v<T, PeerClosed>);
                return EventKind::PeerClosed;
            }
        },
        event);
}

Event to_event(Frame frame) {
    return std::visit(
        [](auto&& f) -> Event {
            using T = std::decay_t<decltype(f)>;
            if constexpr (std::is_same_v<T, LineFrame>) {
                auto parsed = grammar::parse_command(f.text);
                if (parsed) {
                    return CommandEvent{std::move(parsed).value()};
                }
                return BadCommand{parsed.error(), grammar::command_verb(f.text)};
            } else if constexpr (std::is_same_v<T, LineTooLongFrame>) {
                return LineTooLong{};
            } else if constexpr (std::is_same_v<T, DataChunkFrame>) {
                return DataChunk{std::move(f.bytes)};
            } else {
                static_assert(std::is_same_v<T, DataEndFrame>);
                return DataEnd{f.line_too_long, f.octets};
            }
        },
        std::move(frame));
}

bool awaiting_answer(Session const& session) {
    return session.state == State::AwaitRcpt || session.state == State::AwaitQueue;
}

Step step(Session session, Event const& event) {
    if (session.state == State::Closed) {
        return Step{std::move(session), {}, StepError::SessionClosed, "closed"};
    }
    EventKind const kind = kind_of(event);
    for (Row const& row : server_table()) {
        if (row.on != kind || !row.from.contains(session.state) || !row.guard.fn(session, event)) {
            continue;
        }
        Actions out;
        if (row.reply != ReplyId::None) {
            out.emplace_back(ReplyAction{Reply{row.reply, reply_arg(event)}});
        }
        row.effect.fn(session, event, out);
        if (row.to != State::Same) {
            session.state = row.to;
        }
        return Step{std::move(session), std::move(out), StepError::None, row.id};
    }
    if (is_command_kind(kind) && is_command_state(session.state)) {
        // RFC 5321 §4.1.4 / §4.2.4: a command in the wrong order gets 503 and changes nothing.
        Actions out{ReplyAction{Reply{ReplyId::BadSequence, {}}}};
        return Step{std::move(session), std::move(out), StepError::None, "default-bad-sequence"};
    }
    return Step{std::move(session), {}, StepError::UnexpectedEvent, "default-unexpected"};
}

} // namespace smtpd::sm
