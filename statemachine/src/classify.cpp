// Event classification: frames to events in the session's context (to_event), and events to the
// kinds the table is keyed on (kind_of). A command line is parsed with the ASCII grammar, or the
// SMTPUTF8 one inside an SMTPUTF8 transaction (RFC 6531 §3.4); a MAIL or RCPT that only the
// SMTPUTF8 grammar accepts, outside such a transaction, is NonAscii (RFC 6531 §3.5); MAIL and RCPT
// lines may be as long as the advertised extensions allow (grammar/limits.hpp).
#include "smtpd/grammar/limits.hpp"
#include "smtpd/sm/session.hpp"

#include <array>
#include <type_traits>
#include <utility>

namespace smtpd::sm {

namespace {

constexpr std::array<std::string_view, kEventKindCount> kEventNames{"Connected",
                                                                    "Helo",
                                                                    "Ehlo",
                                                                    "Mail",
                                                                    "Rcpt",
                                                                    "Data",
                                                                    "Bdat",
                                                                    "Rset",
                                                                    "Noop",
                                                                    "Quit",
                                                                    "Vrfy",
                                                                    "Expn",
                                                                    "Help",
                                                                    "Starttls",
                                                                    "Auth",
                                                                    "Unknown",
                                                                    "MailSyntax",
                                                                    "RcptSyntax",
                                                                    "SyntaxError",
                                                                    "ArgumentTooLong",
                                                                    "LineTooLong",
                                                                    "AuthResponse",
                                                                    "AuthCancel",
                                                                    "AuthBadResponse",
                                                                    "DataChunk",
                                                                    "DataEnd",
                                                                    "ChunkEnd",
                                                                    "RcptAccepted",
                                                                    "RcptUnknownUser",
                                                                    "RcptRelayDenied",
                                                                    "RcptTempFail",
                                                                    "Queued",
                                                                    "QueueNoSpace",
                                                                    "QueueTempFail",
                                                                    "AuthAccepted",
                                                                    "AuthRejected",
                                                                    "AuthTempFail",
                                                                    "TlsDone",
                                                                    "TlsFailed",
                                                                    "Timeout",
                                                                    "PeerClosed"};

constexpr std::array<EventKind, grammar::kVerbCount> kVerbKinds{
    EventKind::Helo, EventKind::Ehlo,     EventKind::Mail, EventKind::Rcpt, EventKind::Data,
    EventKind::Rset, EventKind::Noop,     EventKind::Quit, EventKind::Vrfy, EventKind::Help,
    EventKind::Expn, EventKind::Starttls, EventKind::Auth, EventKind::Bdat};

EventKind kind_of_error(BadCommand const& bad) {
    switch (bad.error.kind) {
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
    if (bad.verb == grammar::Verb::Mail) {
        return EventKind::MailSyntax;
    }
    return bad.verb == grammar::Verb::Rcpt ? EventKind::RcptSyntax : EventKind::SyntaxError;
}

template <class Enum, std::size_t N>
constexpr EventKind pick(std::array<EventKind, N> const& kinds, Enum value) {
    return kinds.at(static_cast<std::size_t>(value));
}

constexpr std::array<EventKind, 4> kRcptKinds{EventKind::RcptAccepted, EventKind::RcptUnknownUser,
                                              EventKind::RcptRelayDenied, EventKind::RcptTempFail};
constexpr std::array<EventKind, 3> kQueueKinds{EventKind::Queued, EventKind::QueueNoSpace,
                                               EventKind::QueueTempFail};
constexpr std::array<EventKind, 3> kAuthKinds{EventKind::AuthAccepted, EventKind::AuthRejected,
                                              EventKind::AuthTempFail};

/// The MAIL/RCPT parameters' verdict for a command that parsed.
ParamCheck check_params(grammar::Command const& c, LineContext const& ctx) {
    if (c.verb == grammar::Verb::Mail) {
        return check_mail_params(c.params, ctx.advertised, ctx.max_message_size);
    }
    if (c.verb == grammar::Verb::Rcpt) {
        return check_rcpt_params(c.params, ctx.advertised);
    }
    return {};
}

Event command_event(std::string const& line, LineContext const& ctx) {
    auto const verb = grammar::command_verb(line);
    if (verb && line.size() + 2 > grammar::max_command_line(*verb, ctx.advertised)) {
        return LineTooLong{}; // RFC 5321 §4.5.3.1.4, with the extensions' additions
    }
    auto const syntax = ctx.smtputf8 ? grammar::Syntax::Utf8 : grammar::Syntax::Ascii;
    auto parsed = grammar::parse_command(line, syntax);
    if (parsed) {
        auto params = check_params(parsed.value(), ctx);
        return CommandEvent{std::move(parsed).value(), std::move(params)};
    }
    bool const may_be_utf8 = ctx.advertised.has(grammar::Extension::SmtpUtf8) && !ctx.smtputf8 &&
                             (verb == grammar::Verb::Mail || verb == grammar::Verb::Rcpt);
    if (may_be_utf8) {
        auto utf8 = grammar::parse_command(line, grammar::Syntax::Utf8);
        if (utf8) {
            auto params = check_params(utf8.value(), ctx);
            // RFC 6531 §3.4: MAIL with SMTPUTF8 makes the transaction SMTPUTF8; anything else
            // needing it is refused (§3.5).
            bool const declares = verb == grammar::Verb::Mail && params.mail.smtputf8;
            if (params.verdict == ParamVerdict::Ok && !declares) {
                params.verdict = ParamVerdict::NonAscii;
            }
            return CommandEvent{std::move(utf8).value(), std::move(params)};
        }
    }
    return BadCommand{parsed.error(), verb};
}

Event auth_event(std::string const& line) {
    auto parsed = grammar::parse_sasl_response(line);
    if (!parsed) {
        return AuthLine{std::nullopt};
    }
    return AuthLine{std::move(parsed).value()};
}

} // namespace

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
                return kind_of_error(e);
            } else if constexpr (std::is_same_v<T, LineTooLong>) {
                return EventKind::LineTooLong;
            } else if constexpr (std::is_same_v<T, AuthLine>) {
                return !e.response          ? EventKind::AuthBadResponse
                       : e.response->cancel ? EventKind::AuthCancel
                                            : EventKind::AuthResponse;
            } else if constexpr (std::is_same_v<T, DataChunk>) {
                return EventKind::DataChunk;
            } else if constexpr (std::is_same_v<T, DataEnd>) {
                return EventKind::DataEnd;
            } else if constexpr (std::is_same_v<T, ChunkEnd>) {
                return EventKind::ChunkEnd;
            } else if constexpr (std::is_same_v<T, RcptVerdict>) {
                return pick(kRcptKinds, e.kind);
            } else if constexpr (std::is_same_v<T, QueueVerdict>) {
                return pick(kQueueKinds, e.kind);
            } else if constexpr (std::is_same_v<T, AuthVerdict>) {
                return pick(kAuthKinds, e.kind);
            } else if constexpr (std::is_same_v<T, TlsDone>) {
                return e.ok ? EventKind::TlsDone : EventKind::TlsFailed;
            } else if constexpr (std::is_same_v<T, Timeout>) {
                return EventKind::Timeout;
            } else {
                static_assert(std::is_same_v<T, PeerClosed>);
                return EventKind::PeerClosed;
            }
        },
        event);
}

Event to_event(Frame frame, LineContext const& context) {
    return std::visit(
        [&context](auto&& f) -> Event {
            using T = std::decay_t<decltype(f)>;
            if constexpr (std::is_same_v<T, LineFrame>) {
                return context.auth_exchange ? auth_event(f.text) : command_event(f.text, context);
            } else if constexpr (std::is_same_v<T, LineTooLongFrame>) {
                return LineTooLong{};
            } else if constexpr (std::is_same_v<T, DataChunkFrame>) {
                return DataChunk{std::move(f.bytes)};
            } else if constexpr (std::is_same_v<T, DataEndFrame>) {
                return DataEnd{f.line_too_long, f.octets};
            } else {
                static_assert(std::is_same_v<T, ChunkEndFrame>);
                return ChunkEnd{f.octets};
            }
        },
        std::move(frame));
}

} // namespace smtpd::sm
