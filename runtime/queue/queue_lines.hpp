// What the queue says about queued recipients to smtpctl and the log: envelope ids (OpenSMTPD's
// evpid: one recipient of one message), the `show queue` line in OpenSMTPD's layout (smtpctl.c
// show_queue_envelope) and the log line of a removal (queue.c queue_log). An evpid is the msgid
// and 8 hex digits folded from the recipient's address, user and target (common/queue_id.hpp),
// so it does not change while the recipient stays queued, whatever else leaves the envelope.
// Pure: no I/O, no clock. Depends on: spool/envelope.hpp, common/queue_id.hpp.
#pragma once

#include "common/duration_text.hpp"
#include "common/queue_id.hpp"
#include "spool/envelope.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace smtpd::rt {

/// The recipient part of the evpid of `rcpt` (equal recipients of one message share it).
[[nodiscard]] std::uint32_t recipient_key(QueuedRecipient const& rcpt);

/// The evpid of `rcpt` in the message `msgid`.
[[nodiscard]] std::string evpid_of(std::string_view msgid, QueuedRecipient const& rcpt);

/// Does `target` name `rcpt` of the message `msgid`?
[[nodiscard]] bool names(QueueTarget const& target, std::string_view msgid,
                         QueuedRecipient const& rcpt);

/// Where a recipient is in the scheduler's eyes, for the runstate fields of its line.
struct RunState {
    bool inflight = false; ///< a delivery of its message is under way
    /// inflight: seconds since the delivery began; else seconds until the next attempt (0: due)
    std::int64_t seconds = 0;
};

/// One `show queue` line, OpenSMTPD's 14 fields separated by '|': evpid, client address family
/// (local, inet4, inet6), agent (mda, mta), flags (auth), sender, recipient, destination,
/// creation time, expiry time, last attempt time, attempts, runstate ("pending" or "inflight"),
/// its seconds, last error. An empty sender is "@", as OpenSMTPD prints its
/// empty user and domain. Bytes of addresses and the error outside printable ASCII are escaped
/// as \ooo, a backslash as "\\", and '|' as \174, so a line always has its 14 fields.
[[nodiscard]] std::string show_queue_line(QueuedEnvelope const& envelope,
                                          QueuedRecipient const& rcpt, std::int64_t expiry,
                                          RunState state);

/// The log line of an administrator's removal of `rcpt`, as OpenSMTPD's queue_log writes it:
/// "delivery: Remove for <evpid>: from=<...>, to=<...>, rcpt=<...|->, delay=..., stat=Removed
/// by administrator" ("relay:" for a recipient that is not delivered locally).
[[nodiscard]] std::string removed_line(QueuedEnvelope const& envelope, QueuedRecipient const& rcpt,
                                       std::int64_t now);

} // namespace smtpd::rt
