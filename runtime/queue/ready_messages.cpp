// Messages begun ahead on the queue's disk threads. See ready_messages.hpp.
#include "queue/ready_messages.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

namespace smtpd::rt {

Result<IncomingMessage> ReadyMessages::take() {
    if (ready_.empty()) {
        fill();
        return spool_.begin();
    }
    IncomingMessage message = std::move(ready_.front());
    ready_.pop_front();
    fill(); // made up for at once, not at the next take
    return message;
}

void ReadyMessages::fill() {
    while (ready_.size() + beginning_ < kReadyMessages) {
        ++beginning_;
        boost::asio::co_spawn(executor_, begin_ahead(), boost::asio::detached);
    }
}

boost::asio::awaitable<void> ReadyMessages::begin_ahead() {
    auto beginning = disk_.run([&spool = spool_] { return spool.begin(); });
    Result<IncomingMessage> begun = co_await std::move(beginning);
    --beginning_;
    if (begun) { // a failure is met again, and reported, by the session that needs one
        ready_.push_back(std::move(begun).value());
    }
}

} // namespace smtpd::rt
