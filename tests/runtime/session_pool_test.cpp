// SessionPool (runtime/mta/session_pool.hpp) with real loopback connections on one io_context:
// slots counted per host, an acquire over max-conn-per-host waiting for a release (or a park)
// and timing out with none, a parked session given back for its key only, a parked session whose
// server closed never handed out, keepalive expiry sending QUIT and closing, and an idle session
// of a full host evicted for another key. The sessions are real: a socket connected to a test
// server and a ClientConnection driven to Idle through a whole transaction. Depends on:
// runtime/mta/session_pool.hpp, statemachine's client_connection.hpp, Boost.Asio, gtest.
#include "mta/session_pool.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <poll.h>
#include <string>
#include <utility>
#include <variant>

namespace smtpd::rt::mta {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;

SessionPlace place(std::string key, std::size_t max_per_host, std::size_t max_per_domain = 100,
                   std::string host = "127.0.0.1") {
    return SessionPlace{std::move(key), std::move(host), "example.net", max_per_host,
                        max_per_domain};
}

/// A ClientConnection after one whole transaction (greeting, EHLO, MAIL, RCPT, DATA, body, 250),
/// waiting for the next message or QUIT: what a parked session holds.
sm::ClientConnection idle_connection() {
    sm::ClientParams params;
    params.helo = "client.example";
    params.tls = sm::ClientTlsPolicy::None;
    sm::ClientMessage message;
    message.sender.mailbox = grammar::Mailbox{"a", "example.org", false};
    grammar::Path rcpt;
    rcpt.mailbox = grammar::Mailbox{"b", "example.net", false};
    message.recipients.push_back(sm::Recipient{rcpt, {}});
    message.size = 10;
    sm::ClientConnection c(params, message);
    std::deque<std::string> replies{"220 peer ESMTP\r\n", "250 peer\r\n",  "250 2.1.0 Ok\r\n",
                                    "250 2.1.5 Ok\r\n",   "354 go on\r\n", "250 2.0.0 queued\r\n"};
    for (int step = 0; step < 100; ++step) {
        auto const next = c.next_action();
        if (std::holds_alternative<sm::ClientIdle>(next)) {
            return c;
        }
        if (std::holds_alternative<sm::ClientSendBody>(next)) {
            c.body_written(0);
        } else if (std::holds_alternative<sm::ClientNeedData>(next)) {
            if (replies.empty()) {
                break;
            }
            c.receive(replies.front());
            replies.pop_front();
        } else if (std::holds_alternative<sm::ClientFinished>(next) ||
                   std::holds_alternative<sm::ClientPaused>(next)) {
            break;
        }
    }
    ADD_FAILURE() << "the client machine did not become idle";
    return c;
}

/// The server's side of one connection, as the test saw it.
struct ServerSide {
    std::string received;
    bool eof = false;
};

/// Reads until the client closes, answering QUIT with 221.
asio::awaitable<void> serve(tcp::socket socket, std::shared_ptr<ServerSide> seen) {
    std::array<char, 1024> buffer{};
    for (;;) {
        boost::system::error_code ec;
        auto reading = socket.async_read_some(asio::buffer(buffer),
                                              asio::redirect_error(asio::use_awaitable, ec));
        std::size_t const n = co_await std::move(reading);
        if (ec) {
            seen->eof = true;
            co_return;
        }
        seen->received.append(buffer.data(), n);
        if (seen->received.ends_with("QUIT\r\n")) {
            auto writing = asio::async_write(socket, asio::buffer(std::string_view("221 bye\r\n")),
                                             asio::redirect_error(asio::use_awaitable, ec));
            co_await std::move(writing);
        }
    }
}

/// Waits on a timer (bounded by `limit`) until `done()`.
template <typename Done>
asio::awaitable<bool> wait_until(asio::io_context& io, Done done, std::chrono::milliseconds limit) {
    asio::steady_timer timer(io);
    auto const deadline = std::chrono::steady_clock::now() + limit;
    while (!done()) {
        if (std::chrono::steady_clock::now() >= deadline) {
            co_return false;
        }
        timer.expires_after(10ms);
        auto waiting = timer.async_wait(asio::use_awaitable);
        co_await std::move(waiting);
    }
    co_return true;
}

bool readable(int fd) {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, 0) == 1;
}

class SessionPoolTest : public ::testing::Test {
  protected:
    /// A LiveSession on a new loopback connection whose server side is `server` (kept open
    /// and silent, read by serve() once spawned with serve_peer()).
    std::unique_ptr<LiveSession> session(std::string id, tcp::socket& server) {
        tcp::socket client(io_);
        client.connect(acceptor_.local_endpoint());
        server = acceptor_.accept();
        return std::make_unique<LiveSession>(std::move(id), std::move(client), idle_connection());
    }

    std::shared_ptr<ServerSide> serve_peer(tcp::socket server) {
        auto seen = std::make_shared<ServerSide>();
        asio::co_spawn(io_, serve(std::move(server), seen), asio::detached);
        return seen;
    }

    /// An idle session parked at `parked`, then an acquire for `wanted`, another key whose host's
    /// or domain's limit leaves no room: the idle session is evicted at once (QUIT, then closed)
    /// and its slot goes to `wanted`, with no session to reuse.
    void expect_eviction(SessionPlace const& parked, SessionPlace const& wanted) {
        tcp::socket server(io_);
        auto live = session("s1", server);
        auto const seen = serve_peer(std::move(server));
        run([&]() -> asio::awaitable<void> {
            auto acquiring = pool_.acquire(parked, 1s);
            auto lease = co_await std::move(acquiring);
            lease->session = std::move(live);
            pool_.park(parked.key, std::move(*lease), 30s);
            auto const start = std::chrono::steady_clock::now();
            auto acquiring2 = pool_.acquire(wanted, 5s);
            auto fresh = co_await std::move(acquiring2);
            EXPECT_LT(std::chrono::steady_clock::now() - start, 1s) << "waited instead of evicting";
            EXPECT_TRUE(fresh.has_value() && fresh->session == nullptr);
            EXPECT_EQ(pool_.parked(), 0U);
            EXPECT_EQ(pool_.connections_to(wanted.host), 1U);
            if (parked.host != wanted.host) {
                EXPECT_EQ(pool_.connections_to(parked.host), 0U);
            }
            auto waiting = wait_until(
                io_, [&] { return seen->eof; }, 10s);
            EXPECT_TRUE(co_await std::move(waiting)) << "the evicted session was not closed";
        });
        EXPECT_EQ(seen->received, "QUIT\r\n");
    }

    template <typename F> void run(F body) {
        bool finished = false;
        asio::co_spawn(
            io_,
            [&]() -> asio::awaitable<void> {
                auto running = body();
                co_await std::move(running);
                finished = true;
                io_.stop(); // what is still parked is destroyed with the pool and the context
            },
            asio::detached);
        io_.run_for(20s);
        EXPECT_TRUE(finished) << "the test's coroutine did not finish";
    }

    asio::io_context io_;
    tcp::acceptor acceptor_{io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)};
    SessionPool pool_{io_.get_executor()};
};

TEST_F(SessionPoolTest, AcquireGivesASlotCountedUntilItIsReleased) {
    run([&]() -> asio::awaitable<void> {
        auto acquiring = pool_.acquire(place("k", 2), 1s);
        auto lease = co_await std::move(acquiring);
        EXPECT_TRUE(lease.has_value());
        EXPECT_EQ(lease->session, nullptr);
        EXPECT_EQ(pool_.connections_to("127.0.0.1"), 1U);
        auto acquiring2 = pool_.acquire(place("k", 2), 1s);
        auto lease2 = co_await std::move(acquiring2);
        EXPECT_TRUE(lease2.has_value());
        EXPECT_EQ(pool_.connections_to("127.0.0.1"), 2U);
        EXPECT_EQ(pool_.connections_to("127.0.0.2"), 0U);
        lease.reset();
        EXPECT_EQ(pool_.connections_to("127.0.0.1"), 1U);
        SessionPool::Slot moved = std::move(lease2->slot);
        lease2.reset();
        EXPECT_EQ(pool_.connections_to("127.0.0.1"), 1U) << "a moved slot still counts";
        moved = SessionPool::Slot{};
        EXPECT_EQ(pool_.connections_to("127.0.0.1"), 0U);
    });
}

TEST_F(SessionPoolTest, OverMaxConnPerHostAnAcquireWaitsForTheRelease) {
    bool released = false;
    bool second_got_it = false;
    bool released_when_got = false;
    auto holder = [&]() -> asio::awaitable<void> {
        auto acquiring = pool_.acquire(place("k", 1), 1s);
        auto lease = co_await std::move(acquiring);
        EXPECT_TRUE(lease.has_value());
        asio::steady_timer timer(io_, 300ms);
        auto waiting = timer.async_wait(asio::use_awaitable);
        co_await std::move(waiting);
        EXPECT_FALSE(second_got_it);
        released = true;
        lease.reset();
    };
    asio::co_spawn(io_, holder(), asio::detached);
    run([&]() -> asio::awaitable<void> {
        auto acquiring = pool_.acquire(place("other", 1), 10s);
        auto lease = co_await std::move(acquiring);
        second_got_it = lease.has_value();
        released_when_got = released;
        EXPECT_EQ(pool_.connections_to("127.0.0.1"), 1U);
    });
    EXPECT_TRUE(second_got_it);
    EXPECT_TRUE(released_when_got) << "a second slot while the first was held";
}

TEST_F(SessionPoolTest, OverMaxConnPerDomainAnAcquireWaitsToo) {
    std::optional<SessionPool::Lease> held;
    run([&]() -> asio::awaitable<void> {
        auto acquiring = pool_.acquire(place("a", 10, 1, "127.0.0.1"), 1s);
        held = co_await std::move(acquiring);
        EXPECT_TRUE(held.has_value());
        auto const start = std::chrono::steady_clock::now();
        auto acquiring2 = pool_.acquire(place("b", 10, 1, "127.0.0.2"), 1s);
        auto lease = co_await std::move(acquiring2);
        EXPECT_FALSE(lease.has_value()) << "two connections to a domain limited to one";
        EXPECT_GE(std::chrono::steady_clock::now() - start, 900ms);
    });
}

TEST_F(SessionPoolTest, AnAcquireThatWaitsPastItsLimitGetsNone) {
    std::optional<SessionPool::Lease> held;
    run([&]() -> asio::awaitable<void> {
        auto acquiring = pool_.acquire(place("k", 1), 1s);
        held = co_await std::move(acquiring);
        EXPECT_TRUE(held.has_value());
        auto const start = std::chrono::steady_clock::now();
        auto acquiring2 = pool_.acquire(place("k", 1), 1s);
        auto lease = co_await std::move(acquiring2);
        auto const waited = std::chrono::steady_clock::now() - start;
        EXPECT_FALSE(lease.has_value());
        EXPECT_GE(waited, 900ms);
        EXPECT_LT(waited, 5s);
        EXPECT_EQ(pool_.connections_to("127.0.0.1"), 1U);
    });
}

TEST_F(SessionPoolTest, AParkedSessionIsGivenBackForItsKey) {
    tcp::socket server(io_);
    auto live = session("s1", server);
    LiveSession const* const parked = live.get();
    run([&]() -> asio::awaitable<void> {
        auto acquiring = pool_.acquire(place("k", 1), 1s);
        auto lease = co_await std::move(acquiring);
        EXPECT_TRUE(lease.has_value());
        lease->session = std::move(live);
        pool_.park("k", std::move(*lease), 30s);
        EXPECT_EQ(pool_.parked(), 1U);
        EXPECT_EQ(pool_.connections_to("127.0.0.1"), 1U) << "a parked session counts";
        auto acquiring2 = pool_.acquire(place("k", 1), 1s);
        auto again = co_await std::move(acquiring2);
        EXPECT_TRUE(again.has_value());
        EXPECT_EQ(again->session.get(), parked);
        EXPECT_EQ(pool_.parked(), 0U);
        EXPECT_EQ(pool_.connections_to("127.0.0.1"), 1U);
        EXPECT_FALSE(readable(server.native_handle())) << "the reused session was closed";
    });
}

TEST_F(SessionPoolTest, AnotherKeyDoesNotGetTheParkedSession) {
    tcp::socket server(io_);
    auto live = session("s1", server);
    run([&]() -> asio::awaitable<void> {
        auto acquiring = pool_.acquire(place("k", 2), 1s);
        auto lease = co_await std::move(acquiring);
        lease->session = std::move(live);
        pool_.park("k", std::move(*lease), 30s);
        auto acquiring2 = pool_.acquire(place("other", 2), 1s);
        auto fresh = co_await std::move(acquiring2);
        EXPECT_TRUE(fresh.has_value());
        EXPECT_EQ(fresh->session, nullptr);
        EXPECT_EQ(pool_.parked(), 1U);
        EXPECT_EQ(pool_.connections_to("127.0.0.1"), 2U);
    });
}

TEST_F(SessionPoolTest, AWaiterForTheKeyGetsASessionParkedMeanwhile) {
    tcp::socket server(io_);
    auto live = session("s1", server);
    LiveSession const* const parked = live.get();
    std::optional<SessionPool::Lease> first;
    run([&]() -> asio::awaitable<void> {
        auto acquiring = pool_.acquire(place("k", 1), 1s);
        first = co_await std::move(acquiring);
        first->session = std::move(live);
        auto parker = [&]() -> asio::awaitable<void> {
            asio::steady_timer timer(io_, 200ms);
            auto waiting = timer.async_wait(asio::use_awaitable);
            co_await std::move(waiting);
            pool_.park("k", std::move(*first), 30s);
        };
        asio::co_spawn(io_, parker, asio::detached);
        auto acquiring2 = pool_.acquire(place("k", 1), 5s);
        auto again = co_await std::move(acquiring2);
        EXPECT_TRUE(again.has_value());
        EXPECT_EQ(again->session.get(), parked);
        EXPECT_EQ(pool_.connections_to("127.0.0.1"), 1U);
    });
}

TEST_F(SessionPoolTest, AParkedSessionTheServerClosedIsNotHandedOut) {
    tcp::socket server(io_);
    auto live = session("s1", server);
    int const client_fd = live->stream.socket().native_handle();
    run([&]() -> asio::awaitable<void> {
        auto acquiring = pool_.acquire(place("k", 1), 1s);
        auto lease = co_await std::move(acquiring);
        lease->session = std::move(live);
        pool_.park("k", std::move(*lease), 30s);
        server.close();
        auto waiting = wait_until(
            io_, [&] { return readable(client_fd); }, 5s);
        EXPECT_TRUE(co_await std::move(waiting)) << "the close never reached the client";
        auto acquiring2 = pool_.acquire(place("k", 1), 1s);
        auto again = co_await std::move(acquiring2);
        EXPECT_TRUE(again.has_value()) << "the dead session's slot was not freed";
        EXPECT_EQ(again->session, nullptr) << "a closed session was handed out";
        EXPECT_EQ(pool_.parked(), 0U);
        EXPECT_EQ(pool_.connections_to("127.0.0.1"), 1U);
    });
}

TEST_F(SessionPoolTest, AParkedSessionTheServerSpokeOnIsNotHandedOut) {
    tcp::socket server(io_);
    auto live = session("s1", server);
    int const client_fd = live->stream.socket().native_handle();
    run([&]() -> asio::awaitable<void> {
        auto acquiring = pool_.acquire(place("k", 1), 1s);
        auto lease = co_await std::move(acquiring);
        lease->session = std::move(live);
        pool_.park("k", std::move(*lease), 30s);
        auto writing =
            asio::async_write(server, asio::buffer(std::string_view("421 4.3.2 shutting down\r\n")),
                              asio::use_awaitable);
        co_await std::move(writing);
        auto waiting = wait_until(
            io_, [&] { return readable(client_fd); }, 5s);
        EXPECT_TRUE(co_await std::move(waiting));
        auto acquiring2 = pool_.acquire(place("k", 1), 1s);
        auto again = co_await std::move(acquiring2);
        EXPECT_TRUE(again.has_value());
        EXPECT_EQ(again->session, nullptr);
    });
}

TEST_F(SessionPoolTest, KeepaliveExpirySendsQuitAndCloses) {
    tcp::socket server(io_);
    auto live = session("s1", server);
    bool on_close_called = false;
    std::size_t closed_transactions = 0;
    live->transactions = 1;
    live->on_close = [&](std::size_t n) {
        on_close_called = true;
        closed_transactions = n;
    };
    auto const seen = serve_peer(std::move(server));
    auto const start = std::chrono::steady_clock::now();
    std::chrono::steady_clock::duration closed_after{};
    run([&]() -> asio::awaitable<void> {
        auto acquiring = pool_.acquire(place("k", 1), 1s);
        auto lease = co_await std::move(acquiring);
        lease->session = std::move(live);
        pool_.park("k", std::move(*lease), 1s);
        auto waiting = wait_until(
            io_, [&] { return seen->eof; }, 10s);
        EXPECT_TRUE(co_await std::move(waiting)) << "the server saw: " << seen->received;
        closed_after = std::chrono::steady_clock::now() - start;
        auto released = wait_until(
            io_, [&] { return pool_.connections_to("127.0.0.1") == 0; }, 5s);
        EXPECT_TRUE(co_await std::move(released));
    });
    EXPECT_EQ(seen->received, "QUIT\r\n");
    EXPECT_TRUE(seen->eof);
    EXPECT_GE(closed_after, 900ms) << "closed before its keepalive";
    EXPECT_EQ(pool_.parked(), 0U);
    EXPECT_TRUE(on_close_called);
    EXPECT_EQ(closed_transactions, 1U);
}

TEST_F(SessionPoolTest, AFullHostEvictsAnIdleSessionParkedUnderAnotherKey) {
    expect_eviction(place("a", 1), place("b", 1));
}

TEST_F(SessionPoolTest, AFullDomainEvictsAnIdleSessionToAnotherHostOfIt) {
    expect_eviction(place("a", 10, 1, "127.0.0.1"), place("b", 10, 1, "127.0.0.2"));
}

} // namespace
} // namespace smtpd::rt::mta
