// The server session's transition table: the only place server transitions live (h11 rule 1).
// Guards and effects are small named pure functions; rows are data, exported for the docs and
// the model check. RFC 5321 §4.1.4 (command order), §4.1.1 (each command's reply), §3.3 (mail
// transaction), §4.5.3.1.8 (recipients), RFC 2920 (replies in order, one per command).
#include "smtpd/sm/session.hpp"

#include <array>
#include <type_traits>

namespace smtpd::sm {

namespace {

using Kind = EventKind;

grammar::Command const* command_of(Event const& e) {
    auto const* c = std::get_if<CommandEvent>(&e);
    return c ? &c->command : nullptr;
}

template <class T> T const* as(Event const& e) {
    return std::get_if<T>(&e);
}

// --- guards ---

bool always(Session const&, Event const&) {
    return true;
}

bool has_params(Session const&, Event const& e) {
    auto const* c = command_of(e);
    return c && !c->params.empty();
}

// RFC 5321 §4.5.3.1.8: at least 100 recipients must be accepted; beyond our limit, 452.
bool recipient_limit_reached(Session const& s, Event const&) {
    return s.recipients.size() >= s.params.max_recipients;
}

bool message_limit_reached(Session const& s, Event const&) {
    return s.messages >= s.params.max_messages;
}

bool has_recipients(Session const& s, Event const&) {
    return !s.recipients.empty();
}

bool bad_verb_is(Event const& e, grammar::Verb verb) {
    auto const* b = as<BadCommand>(e);
    return b && b->verb == verb;
}
bool bad_mail(Session const&, Event const& e) {
    return bad_verb_is(e, grammar::Verb::Mail);
}
bool bad_rcpt(Session const&, Event const& e) {
    return bad_verb_is(e, grammar::Verb::Rcpt);
}

template <RcptVerdict::Kind K> bool verdict_is(Session const&, Event const& e) {
    auto const* v = as<RcptVerdict>(e);
    return v && v->kind == K;
}

template <QueueVerdict::Kind K> bool queue_is(Session const&, Event const& e) {
    auto const* v = as<QueueVerdict>(e);
    return v && v->kind == K;
}

bool line_too_long(Session const&, Event const& e) {
    auto const* d = as<DataEnd>(e);
    return d && d->line_too_long;
}

// --- effects ---

void nothing(Session&, Event const&, Actions&) {}

void reset_tx(Session& s, Event const&, Actions&) {
    s.sender.reset();
    s.recipients.clear();
    s.pending_recipient.reset();
}

// RFC 5321 §4.1.4: HELO/EHLO later in a session reset the transaction as RSET does.
void greet_helo(Session& s, Event const& e, Actions& out) {
    reset_tx(s, e, out);
    s.helo = command_of(e)->domain;
    s.esmtp = false;
}

void greet_ehlo(Session& s, Event const& e, Actions& out) {
    greet_helo(s, e, out);
    s.esmtp = true;
}

void open_tx(Session& s, Event const& e, Actions&) {
    s.sender = command_of(e)->path;
}

void ask_recipient(Session& s, Event const& e, Actions& out) {
    s.pending_recipient = command_of(e)->path;
    out.emplace_back(CheckRecipient{*s.pending_recipient});
}

void accept_recipient(Session& s, Event const&, Actions&) {
    if (s.pending_recipient.has_value()) { // always, in AwaitRcpt
        s.recipients.push_back(*s.pending_recipient);
    }
    s.pending_recipient.reset();
}

void drop_recipient(Session& s, Event const&, Actions&) {
    s.pending_recipient.reset();
}

void start_data(Session& s, Event const&, Actions& out) {
    if (!s.sender.has_value()) { // never: a Transaction always has a sender
        return;
    }
    out.emplace_back(OpenMessage{Envelope{s.helo, s.esmtp, *s.sender, s.recipients}});
    out.emplace_back(SetFramerMode{FramerMode::Data});
}

void write_data(Session&, Event const& e, Actions& out) {
    out.emplace_back(WriteData{as<DataChunk>(e)->bytes});
}

void commit(Session&, Event const&, Actions& out) {
    out.emplace_back(CommitMessage{});
}

void abort_data(Session& s, Event const& e, Actions& out) {
    out.emplace_back(AbortMessage{});
    reset_tx(s, e, out);
}

void message_done(Session& s, Event const& e, Actions& out) {
    ++s.messages;
    reset_tx(s, e, out);
}

void close(Session&, Event const&, Actions& out) {
    out.emplace_back(CloseConnection{});
}

// A message being spooled when the session ends is dropped: it was never acknowledged.
void abort_and_close(Session& s, Event const& e, Actions& out) {
    if (s.state == State::Data || s.state == State::AwaitQueue) {
        out.emplace_back(AbortMessage{});
    }
    close(s, e, out);
}

#define SMTPD_NAMED(f)                                                                             \
    { #f, &(f) }

constexpr Guard kAlways = SMTPD_NAMED(always);
constexpr Effect kNothing = SMTPD_NAMED(nothing);

constexpr StateSet kCommandStates{State::Connected, State::Greeted, State::Transaction};
constexpr StateSet kLiveStates{State::Start,       State::Connected, State::Greeted,
                               State::Transaction, State::AwaitRcpt, State::Data,
                               State::AwaitQueue};

using S = State;
using R = ReplyId;

// clang-format off
constexpr std::array kRows{
    Row{{S::Start},       Kind::Connected,   kAlways, S::Connected, R::Greeting, kNothing, "greet"},
    Row{kCommandStates,   Kind::Helo,        kAlways, S::Greeted, R::HeloOk, SMTPD_NAMED(greet_helo), "helo"},
    Row{kCommandStates,   Kind::Ehlo,        kAlways, S::Greeted, R::EhloOk, SMTPD_NAMED(greet_ehlo), "ehlo"},
    Row{{S::Greeted},     Kind::Mail,        SMTPD_NAMED(message_limit_reached), S::Same, R::TooManyMessages, kNothing, "mail-too-many-messages"},
    Row{{S::Greeted},     Kind::Mail,        SMTPD_NAMED(has_params), S::Same, R::ParameterNotImplemented, kNothing, "mail-parameters"},
    Row{{S::Greeted},     Kind::Mail,        kAlways, S::Transaction, R::SenderOk, SMTPD_NAMED(open_tx), "mail"},
    Row{{S::Transaction}, Kind::Rcpt,        SMTPD_NAMED(has_params), S::Same, R::ParameterNotImplemented, kNothing, "rcpt-parameters"},
    Row{{S::Transaction}, Kind::Rcpt,        SMTPD_NAMED(recipient_limit_reached), S::Same, R::TooManyRecipients, kNothing, "rcpt-too-many"},
    Row{{S::Transaction}, Kind::Rcpt,        kAlways, S::AwaitRcpt, R::None, SMTPD_NAMED(ask_recipient), "rcpt"},
    Row{{S::AwaitRcpt},   Kind::RcptVerdict, SMTPD_NAMED(verdict_is<RcptVerdict::Kind::Accepted>), S::Transaction, R::RecipientOk, SMTPD_NAMED(accept_recipient), "rcpt-accepted"},
    Row{{S::AwaitRcpt},   Kind::RcptVerdict, SMTPD_NAMED(verdict_is<RcptVerdict::Kind::UnknownUser>), S::Transaction, R::UnknownUser, SMTPD_NAMED(drop_recipient), "rcpt-unknown-user"},
    Row{{S::AwaitRcpt},   Kind::RcptVerdict, SMTPD_NAMED(verdict_is<RcptVerdict::Kind::RelayDenied>), S::Transaction, R::RelayDenied, SMTPD_NAMED(drop_recipient), "rcpt-relay-denied"},
    Row{{S::AwaitRcpt},   Kind::RcptVerdict, kAlways, S::Transaction, R::LookupTempFail, SMTPD_NAMED(drop_recipient), "rcpt-tempfail"},
    Row{{S::Transaction}, Kind::Data,        SMTPD_NAMED(has_recipients), S::Data, R::StartData, SMTPD_NAMED(start_data), "data"},
    Row{{S::Data},        Kind::DataChunk,   kAlways, S::Same, R::None, SMTPD_NAMED(write_data), "data-chunk"},
    Row{{S::Data},        Kind::DataEnd,     SMTPD_NAMED(line_too_long), S::Greeted, R::TextLineTooLong, SMTPD_NAMED(abort_data), "data-line-too-long"},
    Row{{S::Data},        Kind::DataEnd,     kAlways, S::AwaitQueue, R::None, SMTPD_NAMED(commit), "data-end"},
    Row{{S::AwaitQueue},  Kind::QueueVerdict, SMTPD_NAMED(queue_is<QueueVerdict::Kind::Queued>), S::Greeted, R::MessageAccepted, SMTPD_NAMED(message_done), "queued"},
    Row{{S::AwaitQueue},  Kind::QueueVerdict, SMTPD_NAMED(queue_is<QueueVerdict::Kind::NoSpace>), S::Greeted, R::QueueNoSpace, SMTPD_NAMED(reset_tx), "queue-no-space"},
    Row{{S::AwaitQueue},  Kind::QueueVerdict, kAlways, S::Greeted, R::QueueTempFail, SMTPD_NAMED(reset_tx), "queue-tempfail"},
    Row{{S::Connected},   Kind::Rset,        kAlways, S::Same, R::Ok, SMTPD_NAMED(reset_tx), "rset-before-helo"},
    Row{{S::Greeted, S::Transaction}, Kind::Rset, kAlways, S::Greeted, R::Ok, SMTPD_NAMED(reset_tx), "rset"},
    Row{kCommandStates,   Kind::Noop,        kAlways, S::Same, R::Ok, kNothing, "noop"},
    Row{kCommandStates,   Kind::Vrfy,        kAlways, S::Same, R::CannotVerify, kNothing, "vrfy"},
    Row{kCommandStates,   Kind::Help,        kAlways, S::Same, R::Help, kNothing, "help"},
    Row{kCommandStates,   Kind::Quit,        kAlways, S::Closed, R::Bye, SMTPD_NAMED(close), "quit"},
    Row{kCommandStates,   Kind::Unknown,     kAlways, S::Same, R::Unrecognized, kNothing, "unknown-command"},
    Row{kCommandStates,   Kind::SyntaxError, SMTPD_NAMED(bad_mail), S::Same, R::SenderSyntax, kNothing, "mail-syntax"},
    Row{kCommandStates,   Kind::SyntaxError, SMTPD_NAMED(bad_rcpt), S::Same, R::RecipientSyntax, kNothing, "rcpt-syntax"},
    Row{kCommandStates,   Kind::SyntaxError, kAlways, S::Same, R::ArgumentSyntax, kNothing, "syntax"},
    Row{kCommandStates,   Kind::ArgumentTooLong, kAlways, S::Same, R::ArgumentTooLong, kNothing, "argument-too-long"},
    Row{kCommandStates,   Kind::LineTooLong, kAlways, S::Same, R::LineTooLong, kNothing, "line-too-long"},
    Row{kLiveStates,      Kind::Timeout,     kAlways, S::Closed, R::Timeout, SMTPD_NAMED(abort_and_close), "timeout"},
    Row{kLiveStates,      Kind::PeerClosed,  kAlways, S::Closed, R::None, SMTPD_NAMED(abort_and_close), "peer-closed"},
};
// clang-format on

#undef SMTPD_NAMED

} // namespace

std::span<Row const> server_table() {
    return kRows;
}

} // namespace smtpd::sm
