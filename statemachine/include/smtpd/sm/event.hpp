// The events that drive the server session: what the framer saw (parsed by grammar/), and what
// the runtime answers to the session's requests (lookups, the queue), plus time and the peer.
// Depends on: grammar/ (Command, ParseError) and framer.hpp.
#pragma once

#include "smtpd/grammar/command.hpp"
#include "smtpd/sm/framer.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace smtpd::sm {

/// The connection was accepted; the session should greet.
struct Connected {};
/// A command line that parsed.
struct CommandEvent {
    grammar::Command command;
};
/// A command line that did not parse. `verb` is known when the verb was recognised.
struct BadCommand {
    grammar::ParseError error;
    std::optional<grammar::Verb> verb;
};
/// A command line over the limit (RFC 5321 §4.5.3.1.4).
struct LineTooLong {};
/// Message content (dot-unstuffed, CRLF line ends).
struct DataChunk {
    std::string bytes;
};
/// CRLF.CRLF seen.
struct DataEnd {
    bool line_too_long = false;
    std::size_t octets = 0;
};
/// The answer to a CheckRecipient action.
struct RcptVerdict {
    enum class Kind : unsigned char { Accepted, UnknownUser, RelayDenied, TempFail };
    Kind kind = Kind::Accepted;
};
/// The answer to a CommitMessage action: the message is durable (ok) or not.
struct QueueVerdict {
    enum class Kind : unsigned char { Queued, NoSpace, TempFail };
    Kind kind = Kind::Queued;
    std::string queue_id;
};
/// The runtime's idle timer expired (RFC 5321 §4.5.3.2).
struct Timeout {};
/// The client closed the connection or it failed.
struct PeerClosed {};

using Event = std::variant<Connected, CommandEvent, BadCommand, LineTooLong, DataChunk, DataEnd,
                           RcptVerdict, QueueVerdict, Timeout, PeerClosed>;

/// The kind of an event, as the transition table keys it. Commands are split by verb and parse
/// failures by error kind, so the rows can name them.
enum class EventKind : unsigned char {
    Connected,
    Helo,
    Ehlo,
    Mail,
    Rcpt,
    Data,
    Rset,
    Noop,
    Quit,
    Vrfy,
    Help,
    Unknown,         ///< a verb we do not implement
    SyntaxError,     ///< a known verb with arguments that do not match RFC 5321 §4.1
    ArgumentTooLong, ///< a path, local-part or domain over its limit (RFC 5321 §4.5.3.1)
    LineTooLong,
    DataChunk,
    DataEnd,
    RcptVerdict,
    QueueVerdict,
    Timeout,
    PeerClosed,
};
inline constexpr std::size_t kEventKindCount = static_cast<std::size_t>(EventKind::PeerClosed) + 1;

[[nodiscard]] EventKind kind_of(Event const& event);
[[nodiscard]] std::string_view event_kind_name(EventKind kind);

/// Turns a frame into an event, parsing command lines with the RFC 5321 grammar.
[[nodiscard]] Event to_event(Frame frame);

} // namespace smtpd::sm
