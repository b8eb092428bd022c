// The MTA's open sessions and the limits on them (smtpd.conf `mta limit`): a session whose
// transaction is over is parked, idle, for `session-keepalive` seconds, and the next message for
// the same place (action, host, address, port) takes it instead of connecting again; at most
// `max-conn-per-host` connections to one address and `max-conn-per-domain` to the hosts of one
// domain are open at once, and an attempt over a limit waits for a connection to end or to be
// parked. A parked session that the server closed (or spoke on: a 421) is dropped when it is
// taken. One event loop: no threads. The tables are shared with the slots, so that a slot
// released after the pool (a coroutine frame destroyed with the event loop at a stop) touches
// nothing. Depends on: io/smtp_stream.hpp, statemachine's client_connection.hpp, Boost.Asio.
#pragma once

#include "io/smtp_stream.hpp"
#include "smtpd/sm/client_connection.hpp"

#include <utility> // before Asio (Boost 1.74 under -std=c++20)

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace smtpd::rt::mta {

/// An open outbound session between transactions, or in one. Never moved (the stream's TLS
/// layer refers to its socket): held by unique_ptr.
struct LiveSession {
    LiveSession(std::string session_id, boost::asio::ip::tcp::socket socket, sm::ClientConnection c)
        : id(std::move(session_id)), stream(std::move(socket)), connection(std::move(c)) {}
    LiveSession(LiveSession const&) = delete;
    LiveSession& operator=(LiveSession const&) = delete;
    ~LiveSession() {
        if (on_close) {
            on_close(transactions);
        }
    }
    std::string id; ///< the session's id in the log
    SmtpStream stream;
    sm::ClientConnection connection;
    std::size_t transactions = 0; ///< messages begun on it
    /// Called with `transactions` when the session is gone (statistics, the log line).
    std::function<void(std::size_t)> on_close;
};

/// Where a session goes and what bounds how many go there.
struct SessionPlace {
    std::string key;    ///< a parked session is reused only for the same key
    std::string host;   ///< the address: `max-conn-per-host` counts per address
    std::string domain; ///< `max-conn-per-domain` counts per domain (or smarthost)
    std::size_t max_per_host = 0;
    std::size_t max_per_domain = 0;
};

class SessionPool {
    struct Counts {
        std::map<std::string, std::size_t, std::less<>> hosts;
        std::map<std::string, std::size_t, std::less<>> domains;
    };
    struct State;

  public:
    /// One connection counted against its host and domain until destroyed (or moved from).
    class Slot {
      public:
        Slot() = default;
        Slot(Slot&& other) noexcept;
        Slot& operator=(Slot&& other) noexcept;
        Slot(Slot const&) = delete;
        Slot& operator=(Slot const&) = delete;
        ~Slot();

      private:
        friend class SessionPool;
        Slot(std::weak_ptr<State> state, std::string host, std::string domain);
        void release();
        std::weak_ptr<State> state_;
        std::string host_;
        std::string domain_;
    };

    /// What acquire() gives: a slot, and a parked session to reuse (none: connect a new one).
    struct Lease {
        Slot slot;
        std::unique_ptr<LiveSession> session;
    };

    explicit SessionPool(boost::asio::any_io_executor executor);
    SessionPool(SessionPool const&) = delete;
    SessionPool& operator=(SessionPool const&) = delete;
    ~SessionPool();

    /// A parked session for `place.key`, or a slot for a new connection once both limits allow
    /// it (an idle session of the same host or domain under another key is closed to make room);
    /// none when `wait` passes first.
    [[nodiscard]] boost::asio::awaitable<std::optional<Lease>> acquire(SessionPlace place,
                                                                       std::chrono::seconds wait);

    /// Keeps `session` for reuse under `key` for `keepalive`, then closes it (QUIT).
    void park(std::string key, Lease lease, std::chrono::seconds keepalive);

    /// Open connections to `host` (parked ones included).
    [[nodiscard]] std::size_t connections_to(std::string const& host) const;
    /// Parked sessions, all places together.
    [[nodiscard]] std::size_t parked() const;

  private:
    struct Parked {
        Lease lease;
        boost::asio::steady_timer timer;
    };
    std::optional<Lease> take_parked(std::string const& key);
    bool evict_for(SessionPlace const& place);
    void close_later(Lease lease);
    boost::asio::awaitable<void> expire(std::string key, std::shared_ptr<Parked> parked);

    boost::asio::any_io_executor executor_;
    std::shared_ptr<State> state_;
    std::map<std::string, std::vector<std::shared_ptr<Parked>>, std::less<>> parked_;
};

/// Sends QUIT on an idle session and closes it, reading the reply within the machine's time-out.
[[nodiscard]] boost::asio::awaitable<void> quit_session(LiveSession& session);

} // namespace smtpd::rt::mta
