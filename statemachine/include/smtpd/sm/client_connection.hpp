// The client side of one SMTP or LMTP connection, sans I/O, the mirror of ServerConnection: the
// reply assembler and the client session behind one object. Server bytes in (receive), actions
// out (next_action), the driver's answers in as calls: the TLS handshake's result, the body
// written, the next message or quit when Idle, time and the peer. Every driver uses it: the
// LMTP client, the relay client, the transcript tests, the fuzzer. A reply is read only when
// every action before it was taken and no answer is awaited. RFC 5321 §4.2 (whole replies),
// §4.5.3.2 (time-outs), RFC 3207 (STARTTLS). Depends on: client.hpp, client_reply.hpp.
#pragma once

#include "smtpd/sm/client.hpp"
#include "smtpd/sm/client_reply.hpp"

#include <cstddef>
#include <deque>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <variant>

namespace smtpd::sm {

/// No whole reply is buffered: write what was sent, then receive more bytes.
struct ClientNeedData {};
/// ClientStartTls was asked and tls_done() has not come, or ClientSendBody and body_written().
struct ClientPaused {};
/// A transaction is over (every recipient of the message has its result): answer with
/// send_message() or quit(). How many messages a connection carries is the driver's limit.
struct ClientIdle {};
/// The session is over (ClientDone was given): close the socket.
struct ClientFinished {};

using ClientNext =
    std::variant<ClientSend, ClientStartTls, ClientSendBody, ClientClose, ClientRecipientResult,
                 ClientDone, ClientNeedData, ClientPaused, ClientIdle, ClientFinished>;

/// One step as it happened, for traces and property checks.
struct ClientStepRecord {
    ClientState from; ///< the state before the step (step.next is the session after it)
    ClientEvent const& event;
    ClientStep const& step;
};

class ClientConnection {
  public:
    /// `table` is the transition table to drive (client_table(); a mutant in mutation tests).
    ClientConnection(ClientParams params, ClientMessage message,
                     std::span<ClientRow const> table = client_table());

    /// Bytes from the server; assembled into replies lazily by next_action(). Between
    /// ClientStartTls and tls_done() they are dropped, as is what was buffered behind the 220
    /// (RFC 3207 §4.2: no plaintext is read as a reply from inside TLS).
    void receive(std::string_view bytes);
    /// The next thing to do; ClientNeedData, ClientPaused or ClientFinished when nothing now.
    [[nodiscard]] ClientNext next_action();

    /// The handshake ClientStartTls asked for is over.
    void tls_done(bool ok);
    /// The body ClientSendBody asked for is written, in `bdat_commands` BDAT commands
    /// (BodyEncoder::bdat_commands(); 0 under DATA).
    void body_written(std::size_t bdat_commands);
    /// Answers ClientIdle: the next message, in a new transaction on this connection.
    void send_message(ClientMessage message);
    /// Answers ClientIdle: no more messages; QUIT.
    void quit();
    /// No reply came in time; the clock is the driver's.
    void timeout();
    /// The server closed the connection, or writing to it failed.
    void peer_closed();

    /// Called on every step (optional).
    void set_observer(std::function<void(ClientStepRecord const&)> observer) {
        observer_ = std::move(observer);
    }

    [[nodiscard]] ClientSession const& session() const { return session_; }
    [[nodiscard]] bool closed() const { return session_.state == ClientState::Closed; }
    /// RFC 5321 §4.5.3.2: the time-out the driver arms now, for the reply (or, in DataBlock, the
    /// write) it waits for; read after each action.
    [[nodiscard]] ClientTimeoutKind current_timeout() const {
        return client_timeout_kind(session_.state);
    }

  private:
    void feed(ClientEvent const& event);

    std::span<ClientRow const> table_;
    ClientSession session_;
    ClientReplyAssembler assembler_;
    std::string input_;        ///< received, not yet given to the assembler
    std::size_t offset_ = 0;   ///< where in input_ the assembler stopped
    bool tls_pending_ = false; ///< ClientStartTls given, tls_done() not yet: bytes are dropped
    std::deque<ClientNext> out_;
    std::function<void(ClientStepRecord const&)> observer_;
};

} // namespace smtpd::sm
