// The answers the runtime gives to the session's questions, and how a delivery ended, defined
// once for every layer: the session's answer events (event.hpp), the IPC messages that carry them
// between roles (runtime/ipc/messages.hpp) and the delivery methods (runtime/deliver/) use these
// enums, so no layer maps one onto another.
// Changing one changes the IPC vocabulary: bump runtime/ipc/messages.hpp's kIpcVersion.
// Depends on: nothing.
#pragma once

#include <cstdint>

namespace smtpd::sm {

/// Is a recipient ours (RFC 5321 §4.1.1.3)? Answers CheckRecipient.
enum class RcptOutcome : std::uint8_t { Accepted, UnknownUser, RelayDenied, TempFail };

/// Is a user name and password valid (RFC 4954 §4)? Answers CheckCredentials.
enum class AuthOutcome : std::uint8_t { Accepted, Rejected, TempFail };

/// Is the message durable (RFC 5321 §6.1)? Answers CommitMessage.
enum class QueueOutcome : std::uint8_t { Queued, NoSpace, TempFail };

/// How one delivery of a recipient ended (local, LMTP or relayed). Delivered: the queue may drop
/// its copy. TempFail: try again later (RFC 5321 §4.2.1 class 4). PermFail: bounce (class 5).
/// ipc::DeliveryStatus on the wire; client.hpp's delivery_status maps a client's outcome to it.
enum class DeliveryStatus : std::uint8_t { Delivered, TempFail, PermFail };

} // namespace smtpd::sm
