// The actions the server session asks the runtime to perform. The session never performs I/O:
// it returns these, and the runtime answers the ones that need the world with later events.
// Depends on: grammar/ (Path), framer.hpp, reply.hpp.
#pragma once

#include "smtpd/grammar/command.hpp"
#include "smtpd/sm/framer.hpp"
#include "smtpd/sm/reply.hpp"

#include <string>
#include <variant>
#include <vector>

namespace smtpd::sm {

/// What the queue needs to know about one message (the SMTP envelope, RFC 5321 §2.3.1).
struct Envelope {
    std::string helo;
    bool esmtp = false;
    grammar::Path sender;
    std::vector<grammar::Path> recipients;
    friend bool operator==(Envelope const&, Envelope const&) = default;
};

/// Send a reply (batched by the runtime until its input is drained, RFC 2920).
struct ReplyAction {
    Reply reply;
};
/// Switch the framer (to DATA after 354).
struct SetFramerMode {
    FramerMode mode;
};
/// Ask whether a recipient is accepted; answered by RcptVerdict.
struct CheckRecipient {
    grammar::Path recipient;
};
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

using Action = std::variant<ReplyAction, SetFramerMode, CheckRecipient, OpenMessage, WriteData,
                            CommitMessage, AbortMessage, CloseConnection>;
using Actions = std::vector<Action>;

} // namespace smtpd::sm
