// The events that drive the server session: what the framer saw (classified and parsed with
// grammar/ in the session's context: its advertised extensions, its SMTPUTF8 transaction, an
// AUTH exchange in progress), and what the runtime answers to the session's requests (lookups,
// the queue, credentials, the TLS handshake), plus time and the peer.
// Depends on: grammar/ (Command, SaslResponse, ParseError), framer.hpp, params.hpp,
// verdicts.hpp (the answers' kinds, shared with runtime/ipc).
#pragma once

#include "smtpd/grammar/command.hpp"
#include "smtpd/grammar/extensions.hpp"
#include "smtpd/sm/framer.hpp"
#include "smtpd/sm/params.hpp"
#include "smtpd/sm/verdicts.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace smtpd::sm {

/// The connection was accepted; the session should greet.
struct Connected {};
/// A command line that parsed, with what its MAIL or RCPT parameters mean in this session.
struct CommandEvent {
    grammar::Command command;
    ParamCheck params;
};
/// A command line that did not parse. `verb` is known when the verb was recognised.
struct BadCommand {
    grammar::ParseError error;
    std::optional<grammar::Verb> verb;
};
/// A command line over its limit (RFC 5321 §4.5.3.1.4), or an AUTH line over 12,288 octets.
struct LineTooLong {};
/// A line of the client's side of an AUTH exchange (RFC 4954 §4): decoded, or "*", or nullopt
/// when it is not base64.
struct AuthLine {
    std::optional<grammar::SaslResponse> response;
};
/// Message content (DATA: dot-unstuffed, CRLF line ends; BDAT: the chunk's octets as sent).
struct DataChunk {
    std::string bytes;
};
/// CRLF.CRLF seen.
struct DataEnd {
    bool line_too_long = false;
    std::size_t octets = 0;
};
/// The last octet of a BDAT chunk was read (or skipped).
struct ChunkEnd {
    std::uint64_t octets = 0;
};
/// The answer to a CheckRecipient action.
struct RcptVerdict {
    using Kind = RcptOutcome;
    Kind kind = Kind::Accepted;
};
/// The answer to a CommitMessage action: the message is durable (ok) or not.
struct QueueVerdict {
    using Kind = QueueOutcome;
    Kind kind = Kind::Queued;
    std::string queue_id;
};
/// The answer to a CheckCredentials action.
struct AuthVerdict {
    using Kind = AuthOutcome;
    Kind kind = Kind::Accepted;
};
/// The TLS handshake that StartTls asked for is over.
struct TlsDone {
    bool ok = true;
};
/// The runtime's idle timer expired (RFC 5321 §4.5.3.2).
struct Timeout {};
/// The client closed the connection or it failed.
struct PeerClosed {};

using Event =
    std::variant<Connected, CommandEvent, BadCommand, LineTooLong, AuthLine, DataChunk, DataEnd,
                 ChunkEnd, RcptVerdict, QueueVerdict, AuthVerdict, TlsDone, Timeout, PeerClosed>;

/// The kind of an event, as the transition table keys it. Commands are split by verb, parse
/// failures by error kind, and the runtime's answers by outcome, so that rows name them and
/// guards never look inside an event's variant.
enum class EventKind : unsigned char {
    Connected,
    Helo,
    Ehlo,
    Mail,
    Rcpt,
    Data,
    Bdat,
    Rset,
    Noop,
    Quit,
    Vrfy,
    Expn,
    Help,
    Starttls,
    Auth,
    Unknown,         ///< a verb we do not know
    MailSyntax,      ///< MAIL whose arguments do not match RFC 5321 §4.1
    RcptSyntax,      ///< RCPT whose arguments do not match RFC 5321 §4.1
    SyntaxError,     ///< another known verb whose arguments do not match
    ArgumentTooLong, ///< a path, local-part or domain over its limit (RFC 5321 §4.5.3.1)
    LineTooLong,
    AuthResponse,    ///< a base64 line in an AUTH exchange
    AuthCancel,      ///< "*" in an AUTH exchange
    AuthBadResponse, ///< a line in an AUTH exchange that is not base64
    DataChunk,
    DataEnd,
    ChunkEnd,
    RcptAccepted,
    RcptUnknownUser,
    RcptRelayDenied,
    RcptTempFail,
    Queued,
    QueueNoSpace,
    QueueTempFail,
    AuthAccepted,
    AuthRejected,
    AuthTempFail,
    TlsDone,
    TlsFailed,
    Timeout,
    PeerClosed,
};
inline constexpr std::size_t kEventKindCount = static_cast<std::size_t>(EventKind::PeerClosed) + 1;

[[nodiscard]] EventKind kind_of(Event const& event);
[[nodiscard]] std::string_view event_kind_name(EventKind kind);

/// Events a client causes by sending a command line.
[[nodiscard]] constexpr bool is_command_kind(EventKind k) {
    return k >= EventKind::Helo && k <= EventKind::LineTooLong;
}

/// What a line means depends on the session: which extensions it advertised (they lengthen
/// MAIL and RCPT lines and allow their parameters), whether the transaction is SMTPUTF8, and
/// whether an AUTH exchange is waiting for the client's answer.
struct LineContext {
    grammar::Extensions advertised;
    bool smtputf8 = false;
    bool auth_exchange = false;
    std::uint64_t max_message_size = 0; ///< SIZE's limit; 0 = none
};

/// Turns a frame into an event, parsing command lines with the RFC 5321 grammar (and the
/// RFC 6531 one where it applies), checking MAIL and RCPT parameters and line lengths.
[[nodiscard]] Event to_event(Frame frame, LineContext const& context = {});

} // namespace smtpd::sm
