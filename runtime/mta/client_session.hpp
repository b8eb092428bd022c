// One outbound SMTP (or LMTP) session on a connected stream: drives sm::ClientConnection, as the
// LMTP delivery does but on the event loop. Its actions are performed (bytes written, the body
// streamed from the spool file through sm::BodyEncoder, TLS started through the caller's
// function, results handed back), its time-outs are those of RFC 5321 §4.5.3.2 as the machine
// names them, and when a transaction ends the caller says whether another message follows on the
// same connection, or whether the
// session stays open, idle, for a later message. Depends on: io/smtp_stream.hpp, statemachine's
// client_connection.hpp.
#pragma once

#include "common/fs.hpp"
#include "io/smtp_stream.hpp"
#include "smtpd/sm/client_connection.hpp"

#include <utility> // before Asio (Boost 1.74 under -std=c++20)

#include <boost/asio/awaitable.hpp>

#include <functional>
#include <optional>
#include <string>

namespace smtpd::rt::mta {

/// What the session needs from its caller.
struct SessionHooks {
    /// The spool file of the current message, read from its start for each ClientSendBody.
    std::function<MessageContent()> body;
    /// Runs the TLS handshake (ClientStartTls), presenting and checking `server_name`.
    std::function<boost::asio::awaitable<bool>(std::string const& server_name)> start_tls;
    /// Each recipient's result, as it comes.
    std::function<void(sm::ClientRecipientResult const&)> on_result;
    /// At the end of a transaction: the next message for this connection, or none (QUIT).
    std::function<std::optional<sm::ClientMessage>()> next_message;
    /// Each time the server sent something (may be empty).
    std::function<void()> on_input{};
};

/// How a run of a session ended.
struct SessionRun {
    bool idle = false; ///< between transactions, nothing sent: the connection may carry more
};

/// Runs the session until the machine is finished or, with `keep_idle`, until a transaction is
/// over and no next message is given (then the machine is left idle, for another run with
/// send_message() or quit()); the stream is left open for the caller to close.
[[nodiscard]] boost::asio::awaitable<SessionRun> run_session(SmtpStream& stream,
                                                             sm::ClientConnection& connection,
                                                             SessionHooks const& hooks,
                                                             bool keep_idle);

} // namespace smtpd::rt::mta
