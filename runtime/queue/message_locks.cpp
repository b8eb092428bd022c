// MessageLocks (queue/message_locks.hpp): a waiter sleeps on a timer that never expires by
// itself; the release that hands it the lock cancels the timer.
#include "queue/message_locks.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace smtpd::rt {

namespace asio = boost::asio;

asio::awaitable<MessageLocks::Guard> MessageLocks::lock(std::string msgid, Holder holder) {
    auto const now = std::chrono::steady_clock::now();
    auto [it, free] = state_->held.try_emplace(msgid, Held{holder, now, {}});
    if (!free) {
        auto wake = std::make_shared<asio::steady_timer>(
            executor_, std::chrono::steady_clock::time_point::max());
        it->second.waiters.push_back(Waiter{wake, holder});
        boost::system::error_code ec;
        // Cancelled by release(), which has made this waiter the holder.
        auto waiting = wake->async_wait(asio::redirect_error(asio::use_awaitable, ec));
        co_await std::move(waiting);
    }
    co_return Guard(state_, std::move(msgid));
}

std::optional<std::chrono::steady_clock::time_point>
MessageLocks::delivering_since(std::string const& msgid) const {
    auto it = state_->held.find(msgid);
    if (it == state_->held.end() || it->second.holder != Holder::Delivery) {
        return std::nullopt;
    }
    return it->second.since;
}

void MessageLocks::release(State& state, std::string const& msgid) {
    auto it = state.held.find(msgid);
    if (it == state.held.end()) {
        return;
    }
    Held& held = it->second;
    if (held.waiters.empty()) {
        state.held.erase(it);
        return;
    }
    Waiter next = std::move(held.waiters.front());
    held.waiters.pop_front();
    held.holder = next.holder;
    held.since = std::chrono::steady_clock::now();
    next.wake->cancel();
}

} // namespace smtpd::rt
