// The queue's answers to smtpctl (through the control role): `show queue`, one line per queued
// recipient in OpenSMTPD's layout (queue/queue_lines.hpp), and `remove all|<msgid>|<evpid>`,
// which takes the recipients named out of their envelopes through the queue's one save path
// (save_envelope: the envelope rewritten durably, or the message removed from the spool once no
// recipient is left), logs a "Remove" line for each, and tells the scheduler of each message
// that is gone. Each message is changed under its lock (queue/message_locks.hpp), so a removal
// waits for a delivery of the same message under way, and no delivery puts a removed recipient
// back. Depends on: spool/, ipc/, role/, scheduler/policy.hpp, common/.
#pragma once

#include "common/disk_workers.hpp"
#include "common/queue_id.hpp"
#include "common/result.hpp"
#include "ipc/messages.hpp"
#include "queue/message_locks.hpp"
#include "role/role_process.hpp"
#include "spool/spool.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <string>

namespace smtpd::rt {

/// Writes `envelope` back durably, or removes its message from the spool when it has no
/// recipient left (`removal` says how durably): the queue's one way to save a change to a
/// queued message.
[[nodiscard]] boost::asio::awaitable<Result<void>>
save_envelope(DiskWorkers& disk, Spool& spool, QueuedEnvelope const& envelope,
              RemovalSync removal = RemovalSync::Now);

class QueueControl {
  public:
    QueueControl(Spool& spool, DiskWorkers& disk, MessageLocks& locks, Peers& peers,
                 std::chrono::seconds ttl)
        : spool_(spool), disk_(disk), locks_(locks), peers_(peers), ttl_(ttl) {}

    /// Answers `request` (ShowQueue or Remove) to the control role.
    boost::asio::awaitable<void> serve(ipc::ControlRequest request);

  private:
    [[nodiscard]] ipc::ControlReply show_queue(ipc::RequestId id) const;
    boost::asio::awaitable<ipc::ControlReply> remove(ipc::ControlRequest const& request);
    /// Removes what `target` names of the message `msgid`; how many recipients went.
    boost::asio::awaitable<std::size_t> remove_from(std::string msgid, QueueTarget target);

    Spool& spool_;
    DiskWorkers& disk_;
    MessageLocks& locks_;
    Peers& peers_;
    std::chrono::seconds ttl_;
};

} // namespace smtpd::rt
