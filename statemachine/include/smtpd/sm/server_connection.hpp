// The server side of one SMTP connection, sans I/O (h11's Connection, Beast's parser): the
// framer, the session and the queue of actions behind one object. Bytes in (receive), actions
// out (next_action), answers to the questions it asked in (answer), time and the peer as calls.
// Every driver uses it: the dispatcher's Asio connection, the transcript tests, the fuzzer.
// Framer-internal actions (SetFramerMode, ReadChunk, dropping buffered input on STARTTLS, RFC
// 3207 §4.2) are performed inside; a frame is read only when every action before it was taken
// and no answer is awaited, so a mode switch applies from the right byte on (RFC 2920).
// Depends on: framer.hpp, session.hpp, event.hpp, action.hpp.
#pragma once

#include "smtpd/sm/action.hpp"
#include "smtpd/sm/event.hpp"
#include "smtpd/sm/framer.hpp"
#include "smtpd/sm/session.hpp"

#include <deque>
#include <functional>
#include <span>
#include <string_view>
#include <variant>

namespace smtpd::sm {

/// No complete frame is buffered: write the batched replies (RFC 2920 §3.1: flush when no
/// complete command is left in the input), then receive more bytes.
struct NeedData {};
/// A question was asked (CheckRecipient, CommitMessage, CheckCredentials, StartTls) and its
/// answer has not come: call answer() before asking again.
struct Paused {};
/// The session is closed: write what is batched and close the socket.
struct Finished {};

/// What the driver does next. The session's actions minus the framer's own, plus the markers.
using ServerNext =
    std::variant<ReplyAction, CheckRecipient, CheckCredentials, StartTls, OpenMessage, WriteData,
                 CommitMessage, AbortMessage, CloseConnection, NeedData, Paused, Finished>;

/// One step as it happened, for traces and property checks (no I/O in the object).
struct StepRecord {
    State from; ///< the state before the step (step.next is the session after it)
    Event const& event;
    Step const& step;
};

/// Callbacks the driver may set to trace; both are optional.
struct ServerObserver {
    /// A frame read from the input, with the framer mode it was read in (before to_event).
    std::function<void(Frame const&, FramerMode)> frame;
    /// A step of the session (its `error` says when an event was refused).
    std::function<void(StepRecord const&)> step;
};

class ServerConnection {
  public:
    /// `table` is the transition table to drive (server_table(); a mutant in mutation tests).
    explicit ServerConnection(SessionParams params, std::span<Row const> table = server_table());

    /// The connection is established (after the handshake under smtps): the session greets.
    void start();
    /// Bytes from the client; framed lazily by next_action().
    void receive(std::string_view bytes);
    /// The next thing to do; NeedData, Paused or Finished when there is nothing to do now.
    [[nodiscard]] ServerNext next_action();

    void answer(RcptVerdict verdict);
    void answer(QueueVerdict verdict);
    void answer(AuthVerdict verdict);
    void answer(TlsDone done);
    /// The idle timer expired (RFC 5321 §4.5.3.2); the clock is the driver's.
    void timeout();
    /// The client closed the connection, or writing to it failed.
    void peer_closed();

    void set_observer(ServerObserver observer) { observer_ = std::move(observer); }

    [[nodiscard]] Session const& session() const { return session_; }
    [[nodiscard]] bool closed() const { return session_.state == State::Closed; }
    /// Bytes received and not yet framed.
    [[nodiscard]] std::size_t buffered() const { return framer_.buffered(); }
    [[nodiscard]] FramerMode framer_mode() const { return framer_.mode(); }

  private:
    void feed(Event const& event);

    std::span<Row const> table_;
    Framer framer_;
    Session session_;
    std::deque<ServerNext> out_;
    ServerObserver observer_;
};

} // namespace smtpd::sm
