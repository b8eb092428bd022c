// One asynchronous lock per queued message, in the queue role: whatever loads an envelope,
// changes it and saves it back (a delivery, a notice, smtpctl remove) holds the message's lock
// meanwhile, so that no two of them save over each other's change (a removed recipient put back
// by a delivery that loaded the envelope before). Waiters get the lock in the order they asked.
// One event loop: no threads. Depends on: Boost.Asio.
#pragma once

#include <utility>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace smtpd::rt {

class MessageLocks {
  public:
    /// Who holds a message's lock: a delivery shows as "inflight" in `smtpctl show queue`.
    enum class Holder : unsigned char { Delivery, Other };

  private:
    struct Waiter {
        std::shared_ptr<boost::asio::steady_timer> wake;
        Holder holder;
    };
    struct Held {
        Holder holder;
        std::chrono::steady_clock::time_point since;
        std::deque<Waiter> waiters;
    };
    /// The table, shared with the guards: a guard that outlives the MessageLocks (a coroutine
    /// frame destroyed with the event loop, after the queue at a stop) releases nothing.
    struct State {
        std::map<std::string, Held> held;
    };

  public:
    /// Holds a lock until destroyed (or moved from).
    class Guard {
      public:
        Guard(Guard&& other) noexcept
            : state_(std::move(other.state_)), msgid_(std::move(other.msgid_)) {
            other.state_.reset();
        }
        Guard& operator=(Guard&&) = delete;
        Guard(Guard const&) = delete;
        Guard& operator=(Guard const&) = delete;
        ~Guard() {
            if (auto state = state_.lock()) {
                release(*state, msgid_);
            }
        }

      private:
        friend class MessageLocks;
        Guard(std::weak_ptr<State> state, std::string msgid)
            : state_(std::move(state)), msgid_(std::move(msgid)) {}
        std::weak_ptr<State> state_;
        std::string msgid_;
    };

    explicit MessageLocks(boost::asio::any_io_executor executor) : executor_(std::move(executor)) {}

    /// Waits for `msgid`'s lock and takes it.
    boost::asio::awaitable<Guard> lock(std::string msgid, Holder holder);

    /// When a delivery of `msgid` holds its lock: since when (steady clock); none otherwise.
    [[nodiscard]] std::optional<std::chrono::steady_clock::time_point>
    delivering_since(std::string const& msgid) const;

  private:
    static void release(State& state, std::string const& msgid);

    boost::asio::any_io_executor executor_;
    std::shared_ptr<State> state_ = std::make_shared<State>();
};

} // namespace smtpd::rt
