// The server SMTP session: its states, its facts, and the pure step function that applies the
// transition table (server_table.cpp, the only place transitions live).
// step() does no I/O, reads no clock and no globals: same session and event, same result.
// An event that cannot happen in the current state (a stale lookup answer, data outside DATA) is
// an error value and leaves the session unchanged; a command out of order is a 503 reply.
// Guards are conjunctions of named predicates (Pred) over the session's facts and the event;
// effects are named, and each declares what it does to the facts the model checker tracks, so
// the table can be exported mechanically (docs/state/, the Promela model).
// Depends on: grammar/ (through event.hpp), event.hpp, action.hpp.
#pragma once

#include "smtpd/sm/action.hpp"
#include "smtpd/sm/event.hpp"
#include "smtpd/sm/table.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace smtpd::sm {

enum class State : unsigned char {
    Start,         ///< before the connection is announced
    Connected,     ///< greeted the client (or finished TLS); waiting for HELO/EHLO
    Greeted,       ///< HELO/EHLO done, no transaction
    Transaction,   ///< MAIL accepted; recipients, if any, in Session::recipients
    AwaitRcpt,     ///< asked the runtime whether a recipient is accepted
    Data,          ///< reading DATA content
    Chunk,         ///< reading an accepted BDAT chunk
    Chunking,      ///< between BDAT chunks of one message
    SkipChunk,     ///< dropping a refused BDAT chunk; its reply waits in Session::deferred
    AwaitQueue,    ///< asked the queue to make the message durable
    AwaitTls,      ///< 220 sent to STARTTLS; the handshake runs
    AuthPlain,     ///< AUTH PLAIN sent "334 "; waiting for the response
    AuthLoginUser, ///< AUTH LOGIN asked for the user name
    AuthLoginPass, ///< AUTH LOGIN asked for the password
    AwaitAuth,     ///< asked the runtime to check credentials
    Closed,        ///< QUIT, timeout or peer gone: no more events
    Same,          ///< pseudo-state in table rows: stay where you are
    Back,          ///< pseudo-state in table rows: return to Session::resume
};
inline constexpr std::size_t kStateCount = static_cast<std::size_t>(State::Closed) + 1;

[[nodiscard]] std::string_view state_name(State state);

/// How a listener treats AUTH (smtpd.conf(5): `auth`, `auth-optional`).
enum class AuthPolicy : unsigned char { None, Optional, Required };

/// Limits and policies fixed for the life of a session (from smtpd.conf and the listener).
struct SessionParams {
    std::size_t max_recipients = 1000;         ///< per transaction; OpenSMTPD's default, then 452
    std::size_t max_messages = 100;            ///< per session; OpenSMTPD's default, then 452
    std::size_t max_errors = 20;               ///< failed commands before 421 (Postfix's default)
    std::uint64_t max_message_size = 35 << 20; ///< SIZE; OpenSMTPD's default 35M
    bool tls_offered = false;                  ///< `listen ... tls` (STARTTLS)
    bool tls_required = false;                 ///< `listen ... tls-require`
    bool implicit_tls = false;                 ///< `listen ... smtps`: TLS from the first byte
    AuthPolicy auth = AuthPolicy::None;
    bool dsn = true; ///< `no-dsn` turns DSN off
};

/// The facts a session carries between events.
struct Session {
    State state = State::Start;
    std::string helo;
    bool esmtp = false;
    bool tls = false;                     ///< TLS is active (after STARTTLS, or smtps)
    std::optional<std::string> auth_user; ///< who authenticated (RFC 4954)
    std::size_t auth_successes = 0;       ///< for the invariant: never more than one
    grammar::Extensions advertised;       ///< what the last EHLO reply listed
    std::optional<grammar::Path> sender;
    MailOptions mail;
    std::vector<Recipient> recipients;
    std::optional<Recipient> pending_recipient; ///< asked, not yet answered
    bool message_open = false;                  ///< OpenMessage sent, not yet committed or aborted
    std::uint64_t octets = 0;                   ///< content received for the open message
    bool last_chunk = false;                    ///< the BDAT being read carries LAST
    std::string login_user;                     ///< AUTH LOGIN: the user name, until the password
    ReplyId deferred = ReplyId::None;           ///< SkipChunk: the reply once the chunk is dropped
    State resume = State::Greeted;              ///< SkipChunk: where to go then
    std::size_t messages = 0;                   ///< accepted in this session
    std::size_t errors = 0;                     ///< 4xx/5xx replies to commands
    SessionParams params;
};

/// The model facts of a session, as FactChange bits (for the row tests and the model check).
[[nodiscard]] std::uint8_t fact_bits(Session const& session);

/// The context to classify the next line in (event.hpp's to_event).
[[nodiscard]] LineContext line_context(Session const& session);

/// Why an event was refused without a transition.
enum class StepError : unsigned char { None, UnexpectedEvent, SessionClosed };

/// The result of one step: the next session, what to do, and which row fired (for traces).
struct Step {
    Session next;
    Actions actions;
    StepError error = StepError::None;
    std::string_view row; ///< the id of the row that fired, or the default that applied
};

/// Applies the transition table to one event.
[[nodiscard]] Step step(Session session, Event const& event);

/// True while the session waits for an answer from the runtime: no new frames may be fed.
[[nodiscard]] bool awaiting_answer(Session const& session);

/// The EHLO keywords (with their parameters) a session in this state advertises.
[[nodiscard]] grammar::Extensions offered_extensions(Session const& session);

// --- The table, exposed for tests, the diagram export and the model check ---

/// The named conditions rows test. Facts belong to the session (the model checker tracks
/// them); config is fixed per listener (the model chooses it at the start); inputs come from
/// the event or the session's counters (the model chooses them freely at each event).
enum class Pred : unsigned char {
    // facts
    TlsActive,
    Authenticated,
    HasRecipients,
    Esmtp,
    // config
    TlsOffered,
    TlsRequired,
    AuthOffered,
    AuthRequired,
    // inputs
    RecipientLimit,
    MessageLimit,
    TooManyErrors,
    ParamsUnknown,
    ParamsInvalid,
    SizeExceeded,
    NonAscii,
    MechanismUnknown,
    MechanismLogin,
    InitialResponse,
    PlainMalformed,
    LastChunk,
    ChunkTooBig,
    MessageTooBig,
    TextLineTooLong,
};
inline constexpr std::size_t kPredCount = static_cast<std::size_t>(Pred::TextLineTooLong) + 1;

enum class PredKind : unsigned char { Fact, Config, Input };

/// The facts the model checker tracks, and what an effect does to them.
enum class Fact : unsigned char { Sender, Recipients, MessageOpen, Tls, Authenticated, Esmtp };
inline constexpr std::size_t kFactCount = static_cast<std::size_t>(Fact::Esmtp) + 1;

struct PredInfo {
    std::string_view name;
    PredKind kind;
    bool (*fn)(Session const&, Event const&);
    Fact fact = Fact::Sender; ///< PredKind::Fact: the fact it reads
};

[[nodiscard]] PredInfo const& pred_info(Pred pred);

/// The server side of the table scaffolding (table.hpp); a row's output is its reply.
using ServerSide = table::Side<State, EventKind, Pred, Session, Event, Actions, ReplyId>;
template <> bool ServerSide::test(Pred pred, Session const& s, Event const& e);

using Literal = table::Literal<Pred>;
using Guard = table::Guard<ServerSide>;
using FactChange = table::FactChange;
using Effect = table::Effect<ServerSide>;
using StateSet = table::EnumSet<State>;
using EventSet = table::EnumSet<EventKind>;
/// One transition: in any state of `from`, on any event of `on`, if `guard` holds, go to `to`,
/// send `output` (a reply) and run `effect`. The first matching row wins.
using Row = table::Row<ServerSide>;

/// Row flag (Postfix's junk-command counting): the row's refusal of a command counts toward
/// SessionParams::max_errors; the too-many-errors row closes the session at the limit.
inline constexpr std::uint8_t kCountsError = 1;

[[nodiscard]] std::span<Row const> server_table();

/// step() over another table (a mutant, in the table mutation tests).
[[nodiscard]] Step step(Session session, Event const& event, std::span<Row const> rows);

/// The events the runtime can feed a session in each state: commands only in command states,
/// each runtime answer only while it is awaited, content only in Data and Chunk. The table must
/// have a row (or the 503 default) for each; the model check and the row tests check it.
[[nodiscard]] EventSet possible_events(State state);

} // namespace smtpd::sm
