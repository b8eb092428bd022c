// Local deliveries run by long-lived workers, one account each (Postfix's local(8) and
// virtual(8) are reused processes the same way). The parent forks a worker the first time a
// recipient of an account needs one; the worker becomes that user for good and then delivers
// each LocalDelivery the parent sends it over its own channel (the typed IPC, the queued
// message's fd beside it), answering LocalDeliveryDone. Maildir deliveries are handed to a
// worker of their account even while it is delivering others (up to kBatchMax in flight): it
// makes those that have arrived one after another and syncs each new/ once for all of them
// (parent/delivery_batch.hpp). Any other method has a worker to itself, so a slow mda never
// holds up a mailbox. Idle workers are kept for kWorkerIdle and retired after kWorkerUses
// deliveries. A worker that dies mid-batch is a temporary failure for every delivery it had,
// so a recipient is never reported delivered unless its mailbox has it durably.
// Depends on: parent/delivery_batch.hpp, parent/local_delivery.hpp, ipc/, role/, Boost.Asio.
#pragma once

#include "common/fs.hpp"
#include "ipc/messages.hpp"
#include "role/role_process.hpp"

// <utility> before Asio: Boost 1.74's Asio needs it under C++20.
#include <utility>

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstddef>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <sys/types.h>

namespace smtpd::rt {

/// How long a worker with nothing to do is kept.
inline constexpr std::chrono::seconds kWorkerIdle{10};
/// How many deliveries a worker makes before it is replaced (bounds what one process can leak).
inline constexpr std::size_t kWorkerUses = 100;

class DeliveryWorkers {
  public:
    /// `max_sessions`: smtpd.conf's `mda limit max-session`, deliveries under way at once (the
    /// others wait in arrival order); none: no limit.
    DeliveryWorkers(boost::asio::io_context& io, Peers& peers, std::string hostname,
                    std::optional<std::size_t> max_sessions = std::nullopt);
    ~DeliveryWorkers();
    DeliveryWorkers(DeliveryWorkers const&) = delete;
    DeliveryWorkers& operator=(DeliveryWorkers const&) = delete;

    /// Hands the delivery to an idle worker of its account, or to a new one; its outcome goes
    /// back to the queue as LocalDeliveryDone.
    void start(ipc::LocalDelivery delivery, Fd message);

    /// Notes the exit of child `pid` if it is a worker; false for other children.
    bool reaped(pid_t pid, int status);

    /// Closes every worker's channel: idle ones exit, busy ones once their deliveries are answered.
    void stop();

    /// Workers alive (busy or idle), for the tests of the pool.
    [[nodiscard]] std::size_t size() const { return workers_.size(); }

    struct Worker;

  private:
    void launch(ipc::LocalDelivery const& delivery, Fd message);
    void hand(std::shared_ptr<Worker> const& worker, ipc::LocalDelivery const& delivery, Fd message,
              bool joins);
    void answered(std::shared_ptr<Worker> const& worker, ipc::LocalDeliveryDone done);
    void closed(std::shared_ptr<Worker> const& worker);
    void finish_if_gone(std::shared_ptr<Worker> const& worker);
    void answer(ipc::RequestId id, ipc::DeliveryStatus status, std::string text);

    boost::asio::io_context& io_;
    Peers& peers_;
    std::string hostname_;
    std::map<pid_t, std::shared_ptr<Worker>> workers_;
    std::optional<std::size_t> max_sessions_;
    std::size_t under_way_ = 0; ///< started and not answered
    std::deque<std::pair<ipc::LocalDelivery, Fd>> waiting_;
};

} // namespace smtpd::rt
