// Local deliveries, forked by the parent as the recipient's user (OpenSMTPD's parent forks its
// mda children the same way). Each runs in its own child process: it becomes the user for good,
// delivers the message from the file descriptor the queue opened, writes its outcome to a pipe
// and exits; the parent reads the outcome when it reaps the child. A child that dies without an
// outcome is a temporary failure. Depends on: deliver/, common/privileges.hpp, ipc/.
#pragma once

#include "common/fs.hpp"
#include "ipc/messages.hpp"
#include "role/role_process.hpp"
#include "spool/envelope.hpp"

#include <map>
#include <string>
#include <sys/types.h>

namespace smtpd::rt {

class LocalDeliveries {
  public:
    LocalDeliveries(Peers& peers, std::string hostname)
        : peers_(peers), hostname_(std::move(hostname)) {}

    /// Forks the delivery; its outcome goes back to the queue when the child is reaped.
    void start(ipc::LocalDelivery const& delivery, Fd message);

    /// Completes the delivery of child `pid`, if it is one; false for other children.
    bool reaped(pid_t pid, int status);

    [[nodiscard]] std::size_t running() const { return running_.size(); }

  private:
    struct Running {
        ipc::RequestId id;
        Fd outcome; ///< read end of the child's outcome pipe
    };
    void answer(ipc::RequestId id, ipc::DeliveryStatus status, std::string text);

    Peers& peers_;
    std::string hostname_;
    std::map<pid_t, Running> running_;
};

/// What a delivery child does once it is the user: the recipient's method (maildir, mbox,
/// lmtp, or mda with its command expanded shell-safely), as an outcome.
[[nodiscard]] ipc::LocalDeliveryDone deliver_locally(ipc::LocalDelivery const& delivery,
                                                     QueuedRecipient const& recipient,
                                                     int message_fd, std::string const& hostname);

} // namespace smtpd::rt
