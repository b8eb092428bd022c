// The server SMTP session: its states, its facts, and the pure step function that applies the
// transition table (server_table.cpp, the only place transitions live).
// step() does no I/O, reads no clock and no globals: same session and event, same result.
// An event that cannot happen in the current state (a stale lookup answer, data outside DATA) is
// an error value and leaves the session unchanged; a command out of order is a 503 reply.
// Depends on: grammar/ (through event.hpp), event.hpp, action.hpp.
#pragma once

#include "smtpd/sm/action.hpp"
#include "smtpd/sm/event.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace smtpd::sm {

enum class State : unsigned char {
    Start,       ///< before the connection is announced
    Connected,   ///< greeted the client; waiting for HELO/EHLO
    Greeted,     ///< HELO/EHLO done, no transaction
    Transaction, ///< MAIL accepted; recipients, if any, in Session::recipients
    AwaitRcpt,   ///< asked the runtime whether a recipient is accepted
    Data,        ///< reading message content
    AwaitQueue,  ///< asked the queue to make the message durable
    Closed,      ///< QUIT, timeout or peer gone: no more events
    Same,        ///< pseudo-state in table rows: stay where you are
};
inline constexpr std::size_t kStateCount = static_cast<std::size_t>(State::Closed) + 1;

[[nodiscard]] std::string_view state_name(State state);

/// Limits and names fixed for the life of a session.
struct SessionParams {
    std::size_t max_recipients = 1000; ///< per transaction; OpenSMTPD's default, then 452
    std::size_t max_messages = 100;    ///< per session; OpenSMTPD's default, then 452
};

/// The facts a session carries between events.
struct Session {
    State state = State::Start;
    std::string helo;
    bool esmtp = false;
    std::optional<grammar::Path> sender;
    std::vector<grammar::Path> recipients;
    std::optional<grammar::Path> pending_recipient; ///< asked, not yet answered
    std::size_t messages = 0;                       ///< accepted in this session
    SessionParams params;
};

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

// --- The table, exposed for tests, the diagram export and the model check ---

using GuardFn = bool (*)(Session const&, Event const&);
using EffectFn = void (*)(Session&, Event const&, Actions&);

struct Guard {
    std::string_view name;
    GuardFn fn;
};
struct Effect {
    std::string_view name;
    EffectFn fn;
};

/// A set of states, for rows that apply in several.
struct StateSet {
    std::uint32_t bits = 0;
    constexpr StateSet(std::initializer_list<State> states) {
        for (State s : states) {
            bits |= 1U << static_cast<unsigned>(s);
        }
    }
    [[nodiscard]] constexpr bool contains(State s) const {
        return (bits >> static_cast<unsigned>(s)) & 1U;
    }
};

/// One transition: in any state of `from`, on `on`, if `guard` holds, go to `to`, send `reply`
/// and run `effect`. The first matching row wins.
struct Row {
    StateSet from;
    EventKind on;
    Guard guard;
    State to;
    ReplyId reply;
    Effect effect;
    std::string_view id;
};

[[nodiscard]] std::span<Row const> server_table();

} // namespace smtpd::sm
