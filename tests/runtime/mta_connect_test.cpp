// mta::connect (runtime/mta/connect.hpp): the awaitable made by one function and awaited later, as
// the MTA does, still connects, with and without a source address; the source address is the one
// the listener sees. ASan (stack-use-after-return) fails the first test if `connect` keeps a
// reference to its caller's temporaries. Loopback only.
#include "mta/connect.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>

namespace smtpd::rt::mta {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;

/// Not a coroutine: the awaitable outlives this frame and its default argument.
asio::awaitable<boost::system::error_code> start_connect(tcp::socket& socket,
                                                         tcp::endpoint endpoint) {
    return connect(socket, endpoint, 5s);
}

asio::awaitable<boost::system::error_code>
start_connect_from(tcp::socket& socket, tcp::endpoint endpoint, std::string const& source) {
    return connect(socket, endpoint, 5s, asio::ip::make_address(source));
}

/// Runs `make` to get the awaitable, awaits it once the acceptor has a pending accept, and
/// returns the connect result and the peer address the acceptor saw.
template <typename Make>
std::pair<std::optional<boost::system::error_code>, std::string> run_connect(Make make) {
    asio::io_context io;
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    tcp::socket client(io);
    std::optional<boost::system::error_code> result;
    std::string seen;
    auto awaitable = make(client, acceptor.local_endpoint());
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            auto accepting = acceptor.async_accept(asio::use_awaitable);
            tcp::socket server = co_await std::move(accepting);
            seen = server.remote_endpoint().address().to_string();
        },
        asio::detached);
    asio::co_spawn(
        io, [&]() -> asio::awaitable<void> { result = co_await std::move(awaitable); },
        asio::detached);
    io.run_for(10s);
    return {result, seen};
}

TEST(MtaConnect, AnAwaitableMadeEarlierConnectsWithoutASourceAddress) {
    auto [result, seen] =
        run_connect([](tcp::socket& s, tcp::endpoint e) { return start_connect(s, e); });
    ASSERT_TRUE(result.has_value());
    EXPECT_FALSE(*result) << result->message();
    EXPECT_EQ(seen, "127.0.0.1");
}

TEST(MtaConnect, TheSourceAddressIsTheOneTheListenerSees) {
    auto [result, seen] = run_connect(
        [](tcp::socket& s, tcp::endpoint e) { return start_connect_from(s, e, "127.0.0.2"); });
    ASSERT_TRUE(result.has_value());
    EXPECT_FALSE(*result) << result->message();
    EXPECT_EQ(seen, "127.0.0.2");
}

} // namespace
} // namespace smtpd::rt::mta
