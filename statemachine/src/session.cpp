// The step engine: finds the first row of server_table() that matches (state, event kind, guard)
// and applies it; otherwise the per-event default (h11): 503 for a command out of order, an
// error value for an internal event that cannot happen now. Everything a row does is in the
// row: its reply, its effect (a BDAT refused has its chunk skipped first, RFC 3030 §2), and
// its CountsError flag (the too-many-errors row closes the session at the limit).
#include "smtpd/sm/session.hpp"

#include <array>
#include <utility>

namespace smtpd::sm {

namespace {

constexpr std::array<std::string_view, kStateCount> kStateNames{
    "Start",         "Connected",     "Greeted",   "Transaction", "AwaitRcpt", "Data",
    "Chunk",         "Chunking",      "SkipChunk", "AwaitQueue",  "AwaitTls",  "AuthPlain",
    "AuthLoginUser", "AuthLoginPass", "AwaitAuth", "Closed"};

bool is_command_state(State s) {
    return s == State::Connected || s == State::Greeted || s == State::Transaction ||
           s == State::Chunking;
}

std::string reply_arg(ReplyId id, Event const& event) {
    if (auto const* c = std::get_if<CommandEvent>(&event)) {
        return c->command.domain; // HELO/EHLO: the client's name
    }
    if (auto const* q = std::get_if<QueueVerdict>(&event)) {
        return q->queue_id;
    }
    if (auto const* chunk = std::get_if<ChunkEnd>(&event); chunk && id == ReplyId::ChunkAccepted) {
        return std::to_string(chunk->octets);
    }
    return {};
}

/// The EHLO keywords with their parameters (RFC 5321 §4.1.1.1, RFC 1870 §4, RFC 4954 §3).
std::vector<std::string> ehlo_lines(Session const& s) {
    std::vector<std::string> lines;
    for (std::size_t i = 0; i < grammar::kExtensionCount; ++i) {
        auto const e = static_cast<grammar::Extension>(i);
        if (!s.advertised.has(e)) {
            continue;
        }
        std::string line(grammar::extension_keyword(e));
        if (e == grammar::Extension::Size) {
            line += " " + std::to_string(s.params.max_message_size);
        } else if (e == grammar::Extension::Auth) {
            line += " PLAIN LOGIN";
        }
        lines.push_back(std::move(line));
    }
    return lines;
}

Reply make_reply(ReplyId id, Session const& after, Event const& event) {
    Reply reply{id, reply_arg(id, event), {}};
    if (id == ReplyId::EhloOk) {
        reply.lines = ehlo_lines(after);
    }
    return reply;
}

/// Where a row sends the session.
State target(Row const& row, Session const& s) {
    switch (row.to) {
    case State::Same:
        return s.state;
    case State::Back:
        return s.resume;
    default:
        return row.to;
    }
}

/// Applies a fired row (or the default, as a row) to the session.
Step apply(Row const& row, Session session, Event const& event) {
    Actions effects;
    row.effect.fn(session, event, effects);
    State const to = target(row, session);
    if ((row.flags & kCountsError) != 0) {
        ++session.errors;
    }
    Actions out;
    if (row.output != ReplyId::None) {
        out.emplace_back(ReplyAction{make_reply(row.output, session, event)});
    }
    session.state = to;
    for (auto& a : effects) {
        out.push_back(std::move(a));
    }
    return Step{std::move(session), std::move(out), StepError::None, row.id};
}

void no_effect(Session&, Event const&, Actions&) {}

// RFC 5321 §4.1.4 / §4.2.4: a command in the wrong order gets 503 and changes nothing.
constexpr Row kBadSequence{{},
                           {},
                           {},
                           State::Same,
                           ReplyId::BadSequence,
                           Effect{"nothing", &no_effect, {}},
                           "default-bad-sequence",
                           kCountsError};

} // namespace

std::string_view state_name(State state) {
    switch (state) {
    case State::Same:
        return "Same";
    case State::Back:
        return "Back";
    default:
        return kStateNames.at(static_cast<std::size_t>(state));
    }
}

LineContext line_context(Session const& session) {
    bool const auth = session.state == State::AuthPlain || session.state == State::AuthLoginUser ||
                      session.state == State::AuthLoginPass;
    return LineContext{session.advertised, session.mail.smtputf8, auth,
                       session.params.max_message_size};
}

grammar::Extensions offered_extensions(Session const& s) {
    using grammar::Extension;
    grammar::Extensions x{Extension::Pipelining,   Extension::Size,
                          Extension::EightBitMime, Extension::EnhancedStatusCodes,
                          Extension::SmtpUtf8,     Extension::Chunking,
                          Extension::Help};
    if (s.params.dsn) {
        x = x.with(Extension::Dsn);
    }
    // RFC 3207 §4.2: not after the handshake; AUTH only over TLS, as OpenSMTPD.
    if (s.params.tls_offered && !s.tls) {
        x = x.with(Extension::StartTls);
    }
    if (s.params.auth != AuthPolicy::None && s.tls && !s.auth_user) {
        x = x.with(Extension::Auth);
    }
    return x;
}

EventSet possible_events(State state) {
    using K = EventKind;
    EventSet events{K::Timeout, K::PeerClosed};
    auto add = [&events](std::initializer_list<K> kinds) {
        for (K k : kinds) {
            events.bits |= EventSet{k}.bits;
        }
    };
    switch (state) {
    case State::Start:
        add({K::Connected});
        break;
    case State::Connected:
    case State::Greeted:
    case State::Transaction:
    case State::Chunking:
        for (std::size_t k = 0; k < kEventKindCount; ++k) {
            if (is_command_kind(static_cast<K>(k))) {
                add({static_cast<K>(k)});
            }
        }
        break;
    case State::AwaitRcpt:
        add({K::RcptAccepted, K::RcptUnknownUser, K::RcptRelayDenied, K::RcptTempFail});
        break;
    case State::Data:
        add({K::DataChunk, K::DataEnd});
        break;
    case State::Chunk:
        add({K::DataChunk, K::ChunkEnd});
        break;
    case State::SkipChunk:
        add({K::ChunkEnd});
        break;
    case State::AwaitQueue:
        add({K::Queued, K::QueueNoSpace, K::QueueTempFail});
        break;
    case State::AwaitTls:
        add({K::TlsDone, K::TlsFailed});
        break;
    case State::AuthPlain:
    case State::AuthLoginUser:
    case State::AuthLoginPass:
        add({K::AuthResponse, K::AuthCancel, K::AuthBadResponse, K::LineTooLong});
        break;
    case State::AwaitAuth:
        add({K::AuthAccepted, K::AuthRejected, K::AuthTempFail});
        break;
    case State::Closed:
    case State::Same:
    case State::Back:
        return EventSet{};
    }
    return events;
}

bool awaiting_answer(Session const& session) {
    return session.state == State::AwaitRcpt || session.state == State::AwaitQueue ||
           session.state == State::AwaitAuth || session.state == State::AwaitTls;
}

Step step(Session session, Event const& event) {
    return step(std::move(session), event, server_table());
}

Step step(Session session, Event const& event, std::span<Row const> rows) {
    if (session.state == State::Closed) {
        return Step{std::move(session), {}, StepError::SessionClosed, "closed"};
    }
    EventKind const kind = kind_of(event);
    if (Row const* row = table::first_match<ServerSide>(rows, session, event, kind)) {
        return apply(*row, std::move(session), event);
    }
    if (is_command_kind(kind) && is_command_state(session.state)) {
        return apply(kBadSequence, std::move(session), event);
    }
    return Step{std::move(session), {}, StepError::UnexpectedEvent, "default-unexpected"};
}

} // namespace smtpd::sm
