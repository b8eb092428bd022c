// The queue runner: takes committed messages from the spool and delivers them, retrying with
// back-off when a delivery fails. The roles of OpenSMTPD's queue and scheduler processes, in one
// component with a narrow interface (schedule an id) so it can move into its own process.
// Deliveries run on the disk workers (they fsync); retry timers run on the event loop.
// Depends on: common/disk_workers.hpp, spool/, deliver/, Boost.Asio.
#pragma once

#include "common/disk_workers.hpp"
#include "spool/spool.hpp"

#include <boost/asio/io_context.hpp>
#include <utility>

#include <chrono>
#include <string>

namespace smtpd::rt {

class QueueRunner {
  public:
    QueueRunner(boost::asio::io_context& io, DiskWorkers& disk, Spool& spool, std::string hostname)
        : io_(io), disk_(disk), spool_(spool), hostname_(std::move(hostname)) {}

    /// Delivers the queued message `id` as soon as a disk worker is free. Thread-safe.
    void schedule(std::string id);
    /// Cleans the spool after a stop and schedules every acknowledged message found there.
    void recover();

  private:
    void deliver(std::string const& id);
    void retry_later(std::string id, unsigned attempts);

    boost::asio::io_context& io_;
    DiskWorkers& disk_;
    Spool& spool_;
    std::string hostname_;
};

} // namespace smtpd::rt
