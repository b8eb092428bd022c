// One local delivery as a delivery worker (parent/delivery_workers.hpp) makes it, already the
// recipient's user: the recipient's method from deliver/, reading the message from the
// descriptor the queue opened, as the outcome the queue gets back. Plain blocking I/O.
// Depends on: deliver/, ipc/messages.hpp, spool/envelope.hpp.
#pragma once

#include "ipc/messages.hpp"
#include "spool/envelope.hpp"

#include <string>

namespace smtpd::rt {

/// What a delivery worker does once it is the user: the recipient's method (maildir, mbox,
/// lmtp, or mda with its command expanded shell-safely), as an outcome.
[[nodiscard]] ipc::LocalDeliveryDone deliver_locally(ipc::LocalDelivery const& delivery,
                                                     QueuedRecipient const& recipient,
                                                     int message_fd, std::string const& hostname);

} // namespace smtpd::rt
