// The server session's transition table: the only place server transitions live (h11 rule 1).
// Predicates and effects are small named pure functions; rows are data, exported for the docs and
// the model check. RFC 5321 §4.1.4 (command order), §4.1.1 (each command's reply), §3.3 (mail
// transaction), §4.5.3.1.8 (recipients), RFC 2920 (one reply per command, in order), RFC 1870
// (SIZE), RFC 3030 (BDAT), RFC 3207 (STARTTLS), RFC 4954 (AUTH), RFC 6531 §3.5 (5.6.7).
#include "smtpd/sm/session.hpp"

#include "sasl_plain.hpp"

#include <array>
#include <limits>

namespace smtpd::sm {

namespace {

using Kind = EventKind;

/// The event as the kind a row was keyed on; the table hands a predicate or effect only events
/// of the kinds its rows name, so the fallback (an empty value) is never read in practice.
template <class T> T const& as(Event const& e) {
    static T const none{};
    auto const* p = std::get_if<T>(&e);
    return p != nullptr ? *p : none;
}

grammar::Command const& command(Event const& e) {
    return as<CommandEvent>(e).command;
}

ParamVerdict verdict(Event const& e) {
    return as<CommandEvent>(e).params.verdict;
}

// --- predicates (PredInfo table below) ---

bool tls_active(Session const& s, Event const&) {
    return s.tls;
}
bool authenticated(Session const& s, Event const&) {
    return s.auth_user.has_value();
}
bool has_recipients(Session const& s, Event const&) {
    return !s.recipients.empty();
}
bool esmtp(Session const& s, Event const&) {
    return s.esmtp;
}
bool tls_offered(Session const& s, Event const&) {
    return s.params.tls_offered;
}
bool tls_required(Session const& s, Event const&) {
    return s.params.tls_required;
}
bool auth_offered(Session const& s, Event const&) {
    return s.params.auth != AuthPolicy::None;
}
bool auth_required(Session const& s, Event const&) {
    return s.params.auth == AuthPolicy::Required;
}
// RFC 5321 §4.5.3.1.8: at least 100 recipients must be accepted; beyond our limit, 452.
bool recipient_limit(Session const& s, Event const&) {
    return s.recipients.size() >= s.params.max_recipients;
}
bool message_limit(Session const& s, Event const&) {
    return s.messages >= s.params.max_messages;
}
bool too_many_errors(Session const& s, Event const&) {
    return s.errors >= s.params.max_errors;
}
bool params_unknown(Session const&, Event const& e) {
    return verdict(e) == ParamVerdict::Unknown;
}
bool params_invalid(Session const&, Event const& e) {
    return verdict(e) == ParamVerdict::Invalid;
}
bool size_exceeded(Session const&, Event const& e) {
    return verdict(e) == ParamVerdict::TooBig;
}
bool non_ascii(Session const&, Event const& e) {
    return verdict(e) == ParamVerdict::NonAscii;
}
bool mechanism_unknown(Session const&, Event const& e) {
    auto const& m = command(e).mechanism;
    return m != "PLAIN" && m != "LOGIN";
}
bool mechanism_login(Session const&, Event const& e) {
    return command(e).mechanism == "LOGIN";
}
bool initial_response(Session const&, Event const& e) {
    return command(e).initial_response.has_value();
}
/// The SASL message the event carries: AUTH's initial response, or an exchange line.
std::string sasl_message(Event const& e) {
    if (auto const* c = std::get_if<CommandEvent>(&e)) {
        return grammar::decode_initial_response(c->command.initial_response.value_or("="))
            .value_or("");
    }
    return as<AuthLine>(e).response.value_or(grammar::SaslResponse{}).decoded;
}
bool plain_malformed(Session const&, Event const& e) {
    return !parse_plain(sasl_message(e)).has_value();
}
bool last_chunk(Session const& s, Event const&) {
    return s.last_chunk;
}
std::uint64_t saturating_add(std::uint64_t a, std::uint64_t b) {
    return b > std::numeric_limits<std::uint64_t>::max() - a
               ? std::numeric_limits<std::uint64_t>::max()
               : a + b;
}
// RFC 1870 §6 applies to BDAT too: the chunk would take the message over the limit.
bool chunk_too_big(Session const& s, Event const& e) {
    return s.params.max_message_size != 0 &&
           saturating_add(s.octets, command(e).chunk_size) > s.params.max_message_size;
}
bool message_too_big(Session const& s, Event const& e) {
    return s.params.max_message_size != 0 && as<DataEnd>(e).octets > s.params.max_message_size;
}
bool text_line_too_long(Session const&, Event const& e) {
    return as<DataEnd>(e).line_too_long;
}

constexpr auto kPreds = std::to_array<PredInfo>({
    {"tls_active", PredKind::Fact, tls_active, Fact::Tls},
    {"authenticated", PredKind::Fact, authenticated, Fact::Authenticated},
    {"has_recipients", PredKind::Fact, has_recipients, Fact::Recipients},
    {"esmtp", PredKind::Fact, esmtp, Fact::Esmtp},
    {"tls_offered", PredKind::Config, tls_offered},
    {"tls_required", PredKind::Config, tls_required},
    {"auth_offered", PredKind::Config, auth_offered},
    {"auth_required", PredKind::Config, auth_required},
    {"recipient_limit", PredKind::Input, recipient_limit},
    {"message_limit", PredKind::Input, message_limit},
    {"too_many_errors", PredKind::Input, too_many_errors},
    {"params_unknown", PredKind::Input, params_unknown},
    {"params_invalid", PredKind::Input, params_invalid},
    {"size_exceeded", PredKind::Input, size_exceeded},
    {"non_ascii", PredKind::Input, non_ascii},
    {"mechanism_unknown", PredKind::Input, mechanism_unknown},
    {"mechanism_login", PredKind::Input, mechanism_login},
    {"initial_response", PredKind::Input, initial_response},
    {"plain_malformed", PredKind::Input, plain_malformed},
    {"last_chunk", PredKind::Input, last_chunk},
    {"chunk_too_big", PredKind::Input, chunk_too_big},
    {"message_too_big", PredKind::Input, message_too_big},
    {"text_line_too_long", PredKind::Input, text_line_too_long},
});
static_assert(kPreds.size() == kPredCount, "one PredInfo per Pred");

constexpr bool preds_in_enum_order() {
    auto const names = std::to_array<std::string_view>(
        {"tls_active",      "authenticated",    "has_recipients",    "esmtp",
         "tls_offered",     "tls_required",     "auth_offered",      "auth_required",
         "recipient_limit", "message_limit",    "too_many_errors",   "params_unknown",
         "params_invalid",  "size_exceeded",    "non_ascii",         "mechanism_unknown",
         "mechanism_login", "initial_response", "plain_malformed",   "last_chunk",
         "chunk_too_big",   "message_too_big",  "text_line_too_long"});
    static_assert(names.size() == kPredCount);
    for (std::size_t i = 0; i < kPredCount; ++i) {
        if (kPreds.at(i).name != names.at(i)) {
            return false;
        }
    }
    return true;
}
static_assert(preds_in_enum_order(), "kPreds is in the order of Pred");

// --- effects ---

void nothing(Session&, Event const&, Actions&) {}

void greet(Session& s, Event const&, Actions&) {
    s.tls = s.params.implicit_tls; // smtps: TLS before the greeting
}

void reset_tx(Session& s, Event const&, Actions& out) {
    if (s.message_open) {
        out.emplace_back(AbortMessage{});
    }
    s.sender.reset();
    s.mail = {};
    s.recipients.clear();
    s.pending_recipient.reset();
    s.message_open = false;
    s.octets = 0;
    s.last_chunk = false;
}

// RFC 5321 §4.1.4: HELO/EHLO later in a session reset the transaction as RSET does.
void greet_helo(Session& s, Event const& e, Actions& out) {
    reset_tx(s, e, out);
    s.helo = command(e).domain;
    s.esmtp = false;
    s.advertised = {};
}

void greet_ehlo(Session& s, Event const& e, Actions& out) {
    greet_helo(s, e, out);
    s.esmtp = true;
    s.advertised = offered_extensions(s);
}

void open_tx(Session& s, Event const& e, Actions&) {
    s.sender = command(e).path;
    s.mail = as<CommandEvent>(e).params.mail;
}

void ask_recipient(Session& s, Event const& e, Actions& out) {
    s.pending_recipient = Recipient{command(e).path, as<CommandEvent>(e).params.rcpt};
    out.emplace_back(CheckRecipient{command(e).path});
}

void accept_recipient(Session& s, Event const&, Actions&) {
    s.recipients.push_back(s.pending_recipient.value_or(Recipient{}));
    s.pending_recipient.reset();
}

void drop_recipient(Session& s, Event const&, Actions&) {
    s.pending_recipient.reset();
}

Envelope envelope_of(Session const& s) {
    return Envelope{s.helo, s.esmtp,     s.tls, s.auth_user, s.sender.value_or(grammar::Path{}),
                    s.mail, s.recipients};
}

void start_data(Session& s, Event const&, Actions& out) {
    out.emplace_back(OpenMessage{envelope_of(s)});
    out.emplace_back(SetFramerMode{FramerMode::Data});
    s.message_open = true;
}

void write_data(Session& s, Event const& e, Actions& out) {
    auto const& bytes = as<DataChunk>(e).bytes;
    s.octets = saturating_add(s.octets, bytes.size());
    out.emplace_back(WriteData{bytes});
}

void commit(Session&, Event const&, Actions& out) {
    out.emplace_back(CommitMessage{});
}

void message_done(Session& s, Event const& e, Actions& out) {
    s.message_open = false; // committed: nothing to abort
    reset_tx(s, e, out);
    ++s.messages;
}

void read_chunk(Session& s, Event const& e, Actions& out) {
    s.last_chunk = command(e).last;
    out.emplace_back(ReadChunk{command(e).chunk_size, false});
}

void start_chunk(Session& s, Event const& e, Actions& out) {
    out.emplace_back(OpenMessage{envelope_of(s)});
    s.message_open = true;
    read_chunk(s, e, out);
}

// RFC 3030 §2: "MUST accept and discard the associated message data before sending the
// appropriate 5XX or 4XX code": the reply waits in `deferred` while the chunk is skipped, and
// the session resumes where it was.
template <ReplyId Deferred> void skip_chunk(Session& s, Event const& e, Actions& out) {
    out.emplace_back(ReadChunk{command(e).chunk_size, true});
    s.deferred = Deferred;
    s.resume = s.state;
}

// The same, for a chunk that would make the message too big: the transaction ends too.
template <ReplyId Deferred> void skip_chunk_reset(Session& s, Event const& e, Actions& out) {
    skip_chunk<Deferred>(s, e, out);
    reset_tx(s, e, out);
    s.resume = State::Greeted;
}

void send_deferred(Session& s, Event const&, Actions& out) {
    out.emplace_back(ReplyAction{Reply{s.deferred, {}, {}}});
    s.deferred = ReplyId::None;
}

void close(Session&, Event const&, Actions& out) {
    out.emplace_back(CloseConnection{});
}

// A message being spooled when the session ends is dropped: it was never acknowledged.
void abort_and_close(Session& s, Event const& e, Actions& out) {
    reset_tx(s, e, out);
    close(s, e, out);
}

// RFC 3207 §4.2: the client's pipelined bytes are dropped before the handshake (StartTls).
void start_tls(Session&, Event const&, Actions& out) {
    out.emplace_back(StartTls{});
}

// RFC 3207 §4.2: "the server MUST discard any knowledge obtained from the client".
void tls_started(Session& s, Event const& e, Actions& out) {
    reset_tx(s, e, out);
    s.helo.clear();
    s.esmtp = false;
    s.advertised = {};
    s.auth_user.reset();
    s.tls = true;
}

void auth_exchange(Session&, Event const&, Actions& out) {
    out.emplace_back(SetFramerMode{FramerMode::AuthLine});
}

void end_exchange(Session& s, Event const&, Actions& out) {
    s.login_user.clear();
    out.emplace_back(SetFramerMode{FramerMode::Command});
}

void ask_credentials(Session& s, std::string user, std::string password, Actions& out) {
    s.login_user = user;
    out.emplace_back(SetFramerMode{FramerMode::Command});
    out.emplace_back(CheckCredentials{std::move(user), std::move(password)});
}

void check_plain(Session& s, Event const& e, Actions& out) {
    auto plain = parse_plain(sasl_message(e)).value_or(PlainMessage{});
    ask_credentials(s, std::move(plain.user), std::move(plain.password), out);
}

void keep_login_user(Session& s, Event const& e, Actions& out) {
    s.login_user = sasl_message(e);
    if (std::holds_alternative<CommandEvent>(e)) {
        auth_exchange(s, e, out); // AUTH LOGIN <user>: the password comes in an exchange line
    }
}

void check_login(Session& s, Event const& e, Actions& out) {
    ask_credentials(s, s.login_user, sasl_message(e), out);
}

void authenticated_as(Session& s, Event const&, Actions&) {
    s.auth_user = s.login_user;
    s.login_user.clear();
    ++s.auth_successes;
}

void forget_login(Session& s, Event const&, Actions&) {
    s.login_user.clear();
}

constexpr std::uint8_t bit(Fact f) {
    return static_cast<std::uint8_t>(1U << static_cast<unsigned>(f));
}
constexpr std::uint8_t kTx = bit(Fact::Sender) | bit(Fact::Recipients) | bit(Fact::MessageOpen);

#define SMTPD_EFFECT(f, ...)                                                                       \
    Effect {                                                                                       \
        #f, &(f), FactChange {                                                                     \
            __VA_ARGS__                                                                            \
        }                                                                                          \
    }

constexpr Effect kNothing = SMTPD_EFFECT(nothing, 0, 0, false);
constexpr Effect kResetTx = SMTPD_EFFECT(reset_tx, 0, kTx, false);
constexpr Effect kClose = SMTPD_EFFECT(abort_and_close, 0, kTx, false);
constexpr Effect kEndExchange = SMTPD_EFFECT(end_exchange, 0, 0, false);
constexpr Effect kForget = SMTPD_EFFECT(forget_login, 0, 0, false);
constexpr Effect kSkipTlsRequired{"skip_chunk<TlsRequired>", &skip_chunk<ReplyId::TlsRequired>, {}};
constexpr Effect kSkipNoRecipients{
    "skip_chunk<NoValidRecipients>", &skip_chunk<ReplyId::NoValidRecipients>, {}};
constexpr Effect kSkipBadSequence{"skip_chunk<BadSequence>", &skip_chunk<ReplyId::BadSequence>, {}};
constexpr Effect kSkipTooBig{
    "skip_chunk_reset<MessageTooBig>", &skip_chunk_reset<ReplyId::MessageTooBig>, {0, kTx, false}};
constexpr std::uint8_t kErr = kCountsError;

constexpr Literal is(Pred p) {
    return Literal{p, true};
}
constexpr Literal no(Pred p) {
    return Literal{p, false};
}

using S = State;
using R = ReplyId;
using P = Pred;

constexpr StateSet kCommandStates{S::Connected, S::Greeted, S::Transaction, S::Chunking};
constexpr StateSet kAuthStates{S::AuthPlain, S::AuthLoginUser, S::AuthLoginPass};
constexpr StateSet kLiveStates{S::Start,         S::Connected,     S::Greeted,  S::Transaction,
                               S::AwaitRcpt,     S::Data,          S::Chunk,    S::Chunking,
                               S::SkipChunk,     S::AwaitQueue,    S::AwaitTls, S::AuthPlain,
                               S::AuthLoginUser, S::AuthLoginPass, S::AwaitAuth};
constexpr EventSet kAnyCommand{Kind::Helo,
                               Kind::Ehlo,
                               Kind::Mail,
                               Kind::Rcpt,
                               Kind::Data,
                               Kind::Bdat,
                               Kind::Rset,
                               Kind::Noop,
                               Kind::Quit,
                               Kind::Vrfy,
                               Kind::Expn,
                               Kind::Help,
                               Kind::Starttls,
                               Kind::Auth,
                               Kind::Unknown,
                               Kind::MailSyntax,
                               Kind::RcptSyntax,
                               Kind::SyntaxError,
                               Kind::ArgumentTooLong,
                               Kind::LineTooLong};
// RFC 3207 §4: under tls-require, 530 "to every command other than NOOP, EHLO, STARTTLS, or QUIT".
// BDAT's refusal has its own row (tls-required-bdat): its chunk is skipped first.
constexpr EventSet kNeedTls{Kind::Helo, Kind::Mail, Kind::Rcpt, Kind::Data, Kind::Rset,
                            Kind::Vrfy, Kind::Expn, Kind::Help, Kind::Auth};

// clang-format off
constexpr std::array kRows{
    // Time and the peer, in every live state.
    Row{kLiveStates,      {Kind::Timeout},    {}, S::Closed, R::Timeout, kClose, "timeout"},
    Row{kLiveStates,      {Kind::PeerClosed}, {}, S::Closed, R::None,    kClose, "peer-closed"},
    Row{{S::Start},       {Kind::Connected},  {}, S::Connected, R::Greeting, SMTPD_EFFECT(greet, 0, 0, false), "greet"},
    // Gates before any command is looked at.
    Row{kCommandStates,   kAnyCommand, {is(P::TooManyErrors)}, S::Closed, R::TooManyErrors, kClose, "too-many-errors", kErr},
    Row{kCommandStates,   kNeedTls,    {is(P::TlsRequired), no(P::TlsActive)}, S::Same, R::TlsRequired, kNothing, "tls-required", kErr},
    Row{kCommandStates,   {Kind::Bdat}, {is(P::TlsRequired), no(P::TlsActive)}, S::SkipChunk, R::None, kSkipTlsRequired, "tls-required-bdat", kErr},
    // Greetings (RFC 5321 §4.1.1.1); they end any transaction.
    Row{kCommandStates,   {Kind::Helo}, {}, S::Greeted, R::HeloOk, SMTPD_EFFECT(greet_helo, 0, kTx | bit(Fact::Esmtp), false), "helo"},
    Row{kCommandStates,   {Kind::Ehlo}, {}, S::Greeted, R::EhloOk, SMTPD_EFFECT(greet_ehlo, bit(Fact::Esmtp), kTx, false), "ehlo"},
    // MAIL (RFC 5321 §4.1.1.2; RFC 4954 §6 530 5.7.0; RFC 1870 §6; RFC 6531 §3.5).
    Row{{S::Greeted},     {Kind::Mail}, {is(P::AuthRequired), no(P::Authenticated)}, S::Same, R::AuthRequired, kNothing, "mail-auth-required", kErr},
    Row{{S::Greeted},     {Kind::Mail}, {is(P::MessageLimit)}, S::Same, R::TooManyMessages, kNothing, "mail-too-many-messages", kErr},
    Row{{S::Greeted},     {Kind::Mail}, {is(P::ParamsUnknown)}, S::Same, R::ParameterNotImplemented, kNothing, "mail-parameters-unknown", kErr},
    Row{{S::Greeted},     {Kind::Mail}, {is(P::ParamsInvalid)}, S::Same, R::ParameterInvalid, kNothing, "mail-parameters-invalid", kErr},
    Row{{S::Greeted},     {Kind::Mail}, {is(P::SizeExceeded)}, S::Same, R::MessageTooBig, kNothing, "mail-size-exceeded", kErr},
    Row{{S::Greeted},     {Kind::Mail}, {is(P::NonAscii)}, S::Same, R::SenderNonAscii, kNothing, "mail-non-ascii", kErr},
    Row{{S::Greeted},     {Kind::Mail}, {}, S::Transaction, R::SenderOk, SMTPD_EFFECT(open_tx, bit(Fact::Sender), 0, false), "mail"},
    // RCPT (RFC 5321 §4.1.1.3), answered once the runtime has looked the recipient up.
    Row{{S::Transaction}, {Kind::Rcpt}, {is(P::ParamsUnknown)}, S::Same, R::ParameterNotImplemented, kNothing, "rcpt-parameters-unknown", kErr},
    Row{{S::Transaction}, {Kind::Rcpt}, {is(P::ParamsInvalid)}, S::Same, R::ParameterInvalid, kNothing, "rcpt-parameters-invalid", kErr},
    Row{{S::Transaction}, {Kind::Rcpt}, {is(P::NonAscii)}, S::Same, R::RecipientNonAscii, kNothing, "rcpt-non-ascii", kErr},
    Row{{S::Transaction}, {Kind::Rcpt}, {is(P::RecipientLimit)}, S::Same, R::TooManyRecipients, kNothing, "rcpt-too-many", kErr},
    Row{{S::Transaction}, {Kind::Rcpt}, {}, S::AwaitRcpt, R::None, SMTPD_EFFECT(ask_recipient, 0, 0, false), "rcpt"},
    Row{{S::AwaitRcpt},   {Kind::RcptAccepted},    {}, S::Transaction, R::RecipientOk, SMTPD_EFFECT(accept_recipient, bit(Fact::Recipients), 0, false), "rcpt-accepted"},
    Row{{S::AwaitRcpt},   {Kind::RcptUnknownUser}, {}, S::Transaction, R::UnknownUser, SMTPD_EFFECT(drop_recipient, 0, 0, false), "rcpt-unknown-user"},
    Row{{S::AwaitRcpt},   {Kind::RcptRelayDenied}, {}, S::Transaction, R::RelayDenied, SMTPD_EFFECT(drop_recipient, 0, 0, false), "rcpt-relay-denied"},
    Row{{S::AwaitRcpt},   {Kind::RcptTempFail},    {}, S::Transaction, R::LookupTempFail, SMTPD_EFFECT(drop_recipient, 0, 0, false), "rcpt-tempfail"},
    // DATA (RFC 5321 §4.1.1.4; §3.3: 554 "no valid recipients").
    Row{{S::Transaction}, {Kind::Data}, {is(P::HasRecipients)}, S::Data, R::StartData, SMTPD_EFFECT(start_data, bit(Fact::MessageOpen), 0, false), "data"},
    Row{{S::Transaction}, {Kind::Data}, {}, S::Same, R::NoValidRecipients, kNothing, "data-no-recipients", kErr},
    Row{{S::Data},        {Kind::DataChunk}, {}, S::Same, R::None, SMTPD_EFFECT(write_data, 0, 0, false), "data-chunk"},
    Row{{S::Data},        {Kind::DataEnd}, {is(P::TextLineTooLong)}, S::Greeted, R::TextLineTooLong, kResetTx, "data-line-too-long"},
    Row{{S::Data},        {Kind::DataEnd}, {is(P::MessageTooBig)}, S::Greeted, R::MessageTooBig, kResetTx, "data-too-big"},
    Row{{S::Data},        {Kind::DataEnd}, {}, S::AwaitQueue, R::None, SMTPD_EFFECT(commit, 0, 0, true), "data-end"},
    // BDAT (RFC 3030 §2). A BDAT answered without reading its chunk goes to SkipChunk: the chunk
    // is read and dropped, then chunk-skipped sends the reply the row's effect deferred.
    Row{{S::Transaction, S::Chunking}, {Kind::Bdat}, {is(P::ChunkTooBig)}, S::SkipChunk, R::None, kSkipTooBig, "bdat-too-big", kErr},
    Row{{S::Transaction}, {Kind::Bdat}, {is(P::HasRecipients), is(P::Esmtp)}, S::Chunk, R::None, SMTPD_EFFECT(start_chunk, bit(Fact::MessageOpen), 0, false), "bdat-first"},
    Row{{S::Transaction}, {Kind::Bdat}, {no(P::HasRecipients)}, S::SkipChunk, R::None, kSkipNoRecipients, "bdat-no-recipients", kErr},
    Row{{S::Chunking},    {Kind::Bdat}, {}, S::Chunk, R::None, SMTPD_EFFECT(read_chunk, 0, 0, false), "bdat"},
    Row{kCommandStates,   {Kind::Bdat}, {}, S::SkipChunk, R::None, kSkipBadSequence, "bdat-bad-sequence", kErr},
    Row{{S::Chunk},       {Kind::DataChunk}, {}, S::Same, R::None, SMTPD_EFFECT(write_data, 0, 0, false), "chunk-data"},
    Row{{S::Chunk},       {Kind::ChunkEnd}, {is(P::LastChunk)}, S::AwaitQueue, R::None, SMTPD_EFFECT(commit, 0, 0, true), "chunk-last"},
    Row{{S::Chunk},       {Kind::ChunkEnd}, {}, S::Chunking, R::ChunkAccepted, kNothing, "chunk-end"},
    Row{{S::SkipChunk},   {Kind::ChunkEnd}, {}, S::Back, R::None, SMTPD_EFFECT(send_deferred, 0, 0, false), "chunk-skipped"},
    // The queue's answer (the 250 of RFC 5321 §4.1.1.4 waits for it).
    Row{{S::AwaitQueue},  {Kind::Queued},        {}, S::Greeted, R::MessageAccepted, SMTPD_EFFECT(message_done, 0, kTx, false), "queued"},
    Row{{S::AwaitQueue},  {Kind::QueueNoSpace},  {}, S::Greeted, R::QueueNoSpace, kResetTx, "queue-no-space"},
    Row{{S::AwaitQueue},  {Kind::QueueTempFail}, {}, S::Greeted, R::QueueTempFail, kResetTx, "queue-tempfail"},
    // STARTTLS (RFC 3207 §4, §4.2).
    Row{{S::Connected, S::Greeted}, {Kind::Starttls}, {is(P::TlsActive)}, S::Same, R::TlsAlreadyActive, kNothing, "starttls-active", kErr},
    Row{{S::Connected, S::Greeted}, {Kind::Starttls}, {no(P::TlsOffered)}, S::Same, R::NotImplemented, kNothing, "starttls-not-offered", kErr},
    Row{{S::Connected, S::Greeted}, {Kind::Starttls}, {}, S::AwaitTls, R::ReadyForTls, SMTPD_EFFECT(start_tls, 0, 0, false), "starttls"},
    Row{{S::AwaitTls},    {Kind::TlsDone},   {}, S::Connected, R::None, SMTPD_EFFECT(tls_started, bit(Fact::Tls), kTx | bit(Fact::Authenticated) | bit(Fact::Esmtp), false), "tls-done"},
    Row{{S::AwaitTls},    {Kind::TlsFailed}, {}, S::Closed, R::None, kClose, "tls-failed"},
    // AUTH (RFC 4954 §4), outside a transaction, over TLS only (as OpenSMTPD), PLAIN (RFC 4616)
    // and LOGIN.
    Row{{S::Greeted},     {Kind::Auth}, {no(P::AuthOffered)}, S::Same, R::NotImplemented, kNothing, "auth-not-offered", kErr},
    Row{{S::Greeted},     {Kind::Auth}, {is(P::Authenticated)}, S::Same, R::AlreadyAuthenticated, kNothing, "auth-again", kErr},
    Row{{S::Greeted},     {Kind::Auth}, {no(P::TlsActive)}, S::Same, R::AuthNeedsTls, kNothing, "auth-needs-tls", kErr},
    Row{{S::Greeted},     {Kind::Auth}, {is(P::MechanismUnknown)}, S::Same, R::AuthMechanismUnknown, kNothing, "auth-mechanism-unknown", kErr},
    Row{{S::Greeted},     {Kind::Auth}, {is(P::MechanismLogin), is(P::InitialResponse)}, S::AuthLoginPass, R::AuthPassword, SMTPD_EFFECT(keep_login_user, 0, 0, false), "auth-login-initial"},
    Row{{S::Greeted},     {Kind::Auth}, {is(P::MechanismLogin)}, S::AuthLoginUser, R::AuthUsername, SMTPD_EFFECT(auth_exchange, 0, 0, false), "auth-login"},
    Row{{S::Greeted},     {Kind::Auth}, {is(P::InitialResponse), is(P::PlainMalformed)}, S::Same, R::AuthBadResponse, kNothing, "auth-plain-malformed", kErr},
    Row{{S::Greeted},     {Kind::Auth}, {is(P::InitialResponse)}, S::AwaitAuth, R::None, SMTPD_EFFECT(check_plain, 0, 0, false), "auth-plain-initial"},
    Row{{S::Greeted},     {Kind::Auth}, {}, S::AuthPlain, R::AuthChallenge, SMTPD_EFFECT(auth_exchange, 0, 0, false), "auth-plain"},
    Row{{S::AuthPlain},   {Kind::AuthResponse}, {is(P::PlainMalformed)}, S::Greeted, R::AuthBadResponse, kEndExchange, "auth-plain-response-malformed", kErr},
    Row{{S::AuthPlain},   {Kind::AuthResponse}, {}, S::AwaitAuth, R::None, SMTPD_EFFECT(check_plain, 0, 0, false), "auth-plain-response"},
    Row{{S::AuthLoginUser}, {Kind::AuthResponse}, {}, S::AuthLoginPass, R::AuthPassword, SMTPD_EFFECT(keep_login_user, 0, 0, false), "auth-login-user"},
    Row{{S::AuthLoginPass}, {Kind::AuthResponse}, {}, S::AwaitAuth, R::None, SMTPD_EFFECT(check_login, 0, 0, false), "auth-login-password"},
    Row{kAuthStates,      {Kind::AuthCancel},      {}, S::Greeted, R::AuthCancelled, kEndExchange, "auth-cancel", kErr},
    Row{kAuthStates,      {Kind::AuthBadResponse}, {}, S::Greeted, R::AuthBadResponse, kEndExchange, "auth-bad-response", kErr},
    Row{kAuthStates,      {Kind::LineTooLong},     {}, S::Greeted, R::AuthLineTooLong, kEndExchange, "auth-line-too-long", kErr},
    Row{{S::AwaitAuth},   {Kind::AuthAccepted}, {}, S::Greeted, R::AuthOk, SMTPD_EFFECT(authenticated_as, bit(Fact::Authenticated), 0, false), "auth-accepted"},
    Row{{S::AwaitAuth},   {Kind::AuthRejected}, {}, S::Greeted, R::AuthFailed, kForget, "auth-rejected"},
    Row{{S::AwaitAuth},   {Kind::AuthTempFail}, {}, S::Greeted, R::AuthTempFail, kForget, "auth-tempfail"},
    // The other commands (RFC 5321 §4.1.1.5 to §4.1.1.10, §4.2.4), in any command state.
    Row{{S::Connected},   {Kind::Rset}, {}, S::Same, R::Ok, kResetTx, "rset-before-helo"},
    Row{{S::Greeted, S::Transaction, S::Chunking}, {Kind::Rset}, {}, S::Greeted, R::Ok, kResetTx, "rset"},
    Row{kCommandStates,   {Kind::Noop}, {}, S::Same, R::Ok, kNothing, "noop"},
    Row{kCommandStates,   {Kind::Vrfy}, {}, S::Same, R::CannotVerify, kNothing, "vrfy"},
    Row{kCommandStates,   {Kind::Expn}, {}, S::Same, R::CannotExpand, kNothing, "expn"},
    Row{kCommandStates,   {Kind::Help}, {}, S::Same, R::Help, kNothing, "help"},
    Row{kCommandStates,   {Kind::Quit}, {}, S::Closed, R::Bye, kClose, "quit"},
    Row{kCommandStates,   {Kind::Unknown}, {}, S::Same, R::Unrecognized, kNothing, "unknown-command", kErr},
    Row{kCommandStates,   {Kind::MailSyntax}, {}, S::Same, R::SenderSyntax, kNothing, "mail-syntax", kErr},
    Row{kCommandStates,   {Kind::RcptSyntax}, {}, S::Same, R::RecipientSyntax, kNothing, "rcpt-syntax", kErr},
    Row{kCommandStates,   {Kind::SyntaxError}, {}, S::Same, R::ArgumentSyntax, kNothing, "syntax", kErr},
    Row{kCommandStates,   {Kind::ArgumentTooLong}, {}, S::Same, R::ArgumentTooLong, kNothing, "argument-too-long", kErr},
    Row{kCommandStates,   {Kind::LineTooLong}, {}, S::Same, R::LineTooLong, kNothing, "line-too-long", kErr},
};
// clang-format on

#undef SMTPD_EFFECT

} // namespace

std::uint8_t fact_bits(Session const& s) {
    std::uint8_t bits = 0;
    auto set = [&bits](Fact f, bool on) {
        if (on) {
            bits = static_cast<std::uint8_t>(bits | bit(f));
        }
    };
    set(Fact::Sender, s.sender.has_value());
    set(Fact::Recipients, !s.recipients.empty());
    set(Fact::MessageOpen, s.message_open);
    set(Fact::Tls, s.tls);
    set(Fact::Authenticated, s.auth_user.has_value());
    set(Fact::Esmtp, s.esmtp);
    return bits;
}

PredInfo const& pred_info(Pred pred) {
    return kPreds.at(static_cast<std::size_t>(pred));
}

template <> bool ServerSide::test(Pred pred, Session const& s, Event const& e) {
    return pred_info(pred).fn(s, e);
}

std::span<Row const> server_table() {
    return kRows;
}

} // namespace smtpd::sm
