// The answers the runtime gives to the session's questions, defined once for every layer: the
// session's answer events (event.hpp) and the IPC messages that carry them between roles
// (runtime/ipc/messages.hpp) use these enums, so no layer maps one onto another.
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

} // namespace smtpd::sm
