// Messages begun ahead (issue 15): the queue keeps a few message files begun on its disk
// threads (taken from free/ or made, the header written), so a session's DATA is answered at
// once instead of waiting on a rename, an open and a write on the event loop. Such a file holds
// its header alone until a session writes into it; like any queue/<id>.new it is removed at
// stop and start. Depends on: common/disk_workers.hpp, spool/spool.hpp, Boost.Asio.
#pragma once

#include "common/disk_workers.hpp"
#include "common/result.hpp"
#include "spool/spool.hpp"

#include <utility> // before Asio (Boost 1.74 under -std=c++20)

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <deque>

namespace smtpd::rt {

/// How many messages the queue keeps begun ahead of the sessions that will need them.
inline constexpr std::size_t kReadyMessages = 4;

class ReadyMessages {
  public:
    ReadyMessages(boost::asio::any_io_executor executor, Spool& spool, DiskWorkers& disk)
        : executor_(std::move(executor)), spool_(spool), disk_(disk) {}

    /// A message begun ahead when one is ready, else one begun now; either way another is
    /// begun ahead for the next. Called on the queue's event loop only.
    [[nodiscard]] Result<IncomingMessage> take();

  private:
    void fill();
    boost::asio::awaitable<void> begin_ahead();

    boost::asio::any_io_executor executor_;
    Spool& spool_;
    DiskWorkers& disk_;
    std::deque<IncomingMessage> ready_;
    std::size_t beginning_ = 0; ///< being begun on the disk threads
};

} // namespace smtpd::rt
