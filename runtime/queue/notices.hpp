// Delivery status notifications, sent: the queue turns a permanent failure, a delay warning or
// an expiry into an RFC 3464 message (queue/bounce.hpp) from <> to the sender, resolved through
// the lookup role like any recipient, and commits it to the spool as a new message before the
// failure it reports is forgotten. A sender that is not a local recipient cannot be reached
// until relaying exists: the notice is logged and dropped. Never sent to <> (dsn_wanted).
// Depends on: queue/bounce.hpp, spool/, ipc/, role/ (the role skeleton), common/.
#pragma once

#include "common/disk_workers.hpp"
#include "ipc/messages.hpp"
#include "ipc/pending.hpp"
#include "queue/bounce.hpp"
#include "role/role_process.hpp"
#include "spool/spool.hpp"

// <utility> before Asio: Boost 1.74's Asio needs it under C++20.
#include <utility>

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace smtpd::rt {

class Notices {
  public:
    Notices(boost::asio::any_io_executor const& executor, Peers& peers, Spool& spool,
            DiskWorkers& disk, std::string hostname, std::chrono::seconds ttl)
        : peers_(peers), spool_(spool), disk_(disk), hostname_(std::move(hostname)), ttl_(ttl),
          resolved_(executor) {}

    /// Sends the notice of `kind` about `recipients` of `envelope`, for those whose NOTIFY asks
    /// for one. True when it is committed or not wanted; false when it could not be queued (the
    /// caller keeps what it reports and tries again later).
    [[nodiscard]] boost::asio::awaitable<bool>
    send(QueuedEnvelope const& envelope, std::vector<DsnRecipient> recipients, DsnKind kind);

    /// The lookup role's answer to a sender lookup.
    void resolved(ipc::RecipientResolved reply);

  private:
    [[nodiscard]] boost::asio::awaitable<std::optional<std::vector<QueuedRecipient>>>
    resolve_sender(std::string const& sender);
    [[nodiscard]] boost::asio::awaitable<bool> enqueue(std::string const& text,
                                                       std::vector<QueuedRecipient> to);

    Peers& peers_;
    Spool& spool_;
    DiskWorkers& disk_;
    std::string hostname_;
    std::chrono::seconds ttl_;
    ipc::Pending<ipc::RecipientResolved> resolved_;
};

/// The times of a queued message, for the scheduler.
[[nodiscard]] ipc::ScheduleMessage schedule_of(QueuedEnvelope const& envelope);

} // namespace smtpd::rt
