// The actions the server session asks the runtime to perform. The session never performs I/O:
// it returns these, and the runtime answers the ones that need the world with later events
// (CheckRecipient -> RcptVerdict, CommitMessage -> QueueVerdict, CheckCredentials ->
// AuthVerdict, StartTls -> TlsDone).
// Depends on: grammar/ (Path), framer.hpp, params.hpp, reply.hpp.
#pragma once

#include "smtpd/grammar/command.hpp"
#include "smtpd/sm/framer.hpp"
#include "smtpd/sm/params.hpp"
#include "smtpd/sm/reply.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace smtpd::sm {

/// One accepted recipient with its DSN parameters (RFC 3461 §4.1, §4.2).
struct Recipient {
    grammar::Path path;
    RcptOptions options;
    friend bool operator==(Recipient const&, Recipient const&) = default;
};

/// What the queue needs to know about one message (the SMTP envelope, RFC 5321 §2.3.1), with
/// the parameters the extensions add and who authenticated (RFC 4954 §5).
struct Envelope {
    std::string helo;
    bool esmtp = false;
    bool tls = false;
    std::optional<std::string> auth_user;
    grammar::Path sender;
    MailOptions mail;
    std::vector<Recipient> recipients;
    friend bool operator==(Envelope const&, Envelope const&) = default;
};

/// Send a reply (batched by the runtime until its input is drained, RFC 2920).
struct ReplyAction {
    Reply reply;
};
/// Switch the framer (to DATA after 354, to AUTH lines during an exchange, back to commands).
struct SetFramerMode {
    FramerMode mode;
};
/// Read (or skip) the BDAT chunk that follows the command line.
struct ReadChunk {
    std::uint64_t octets = 0;
    bool skip = false;
};
/// Ask whether a recipient is accepted; answered by RcptVerdict.
struct CheckRecipient {
    grammar::Path recipient;
};
/// Ask whether a user name and password are valid; answered by AuthVerdict.
struct CheckCredentials {
    std::string user;
    std::string password;
};
/// Drop every byte received but not yet framed, then run the TLS handshake; answered by TlsDone
/// (RFC 3207 §4.2, the CVE-2011-0411 class: nothing pipelined in clear text survives).
struct StartTls {};
/// Start spooling a message for this envelope.
struct OpenMessage {
    Envelope envelope;
};
/// Append content to the message being spooled.
struct WriteData {
    std::string bytes;
};
/// Make the message durable; answered by QueueVerdict. The 250 waits for it.
struct CommitMessage {};
/// Drop the message being spooled, if any.
struct AbortMessage {};
/// Close the connection once the pending replies are written.
struct CloseConnection {};

using Action =
    std::variant<ReplyAction, SetFramerMode, ReadChunk, CheckRecipient, CheckCredentials, StartTls,
                 OpenMessage, WriteData, CommitMessage, AbortMessage, CloseConnection>;
using Actions = std::vector<Action>;

} // namespace smtpd::sm
