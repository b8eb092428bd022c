// One local delivery as a delivery worker (parent/delivery_workers.hpp) makes it, already the
// recipient's user: the recipient's method from deliver/, reading the message from the
// descriptor the queue opened, as the outcome the queue gets back. Plain blocking I/O.
// Depends on: deliver/, ipc/messages.hpp, spool/envelope.hpp.
#pragma once

#include "ipc/messages.hpp"
#include "spool/envelope.hpp"

#include <string>

namespace smtpd::rt {

/// A delivery's outcome, with the directory its file was renamed into when that directory is
/// still to be synced before the outcome may be reported (a Maildir's new/; empty otherwise).
struct LocalOutcome {
    ipc::LocalDeliveryDone done;
    std::string unsynced_dir;
};

/// What a delivery worker does once it is the user: the recipient's method (maildir, mbox,
/// lmtp, or mda with its command expanded shell-safely), as an outcome. A Maildir's new/ is
/// left for the worker to sync once for every delivery of a batch (parent/delivery_batch.hpp).
[[nodiscard]] LocalOutcome deliver_locally(ipc::LocalDelivery const& delivery,
                                           QueuedRecipient const& recipient, int message_fd,
                                           std::string const& hostname);

} // namespace smtpd::rt
