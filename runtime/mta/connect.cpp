// connect (see connect.hpp).
#include "mta/connect.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace smtpd::rt::mta {

namespace asio = boost::asio;
using asio::ip::tcp;

asio::awaitable<boost::system::error_code> connect(tcp::socket& socket, tcp::endpoint endpoint,
                                                   std::chrono::seconds timeout,
                                                   std::optional<asio::ip::address> source) {
    boost::system::error_code ec;
    if (source) {
        socket.open(endpoint.protocol(), ec);
        if (!ec) {
            socket.bind(tcp::endpoint(*source, 0), ec);
        }
        if (ec) {
            co_return ec;
        }
    }
    asio::steady_timer timer(socket.get_executor());
    timer.expires_after(timeout);
    bool timed_out = false;
    timer.async_wait([&socket, &timed_out](boost::system::error_code e) {
        if (!e) {
            timed_out = true;
            boost::system::error_code ignored;
            socket.cancel(ignored);
        }
    });
    co_await socket.async_connect(endpoint, asio::redirect_error(asio::use_awaitable, ec));
    timer.cancel();
    if (timed_out) {
        ec = asio::error::timed_out;
    }
    co_return ec;
}

asio::awaitable<boost::system::error_code> connect(tcp::socket& socket, tcp::endpoint endpoint,
                                                   std::chrono::seconds timeout,
                                                   std::optional<std::string> source) {
    std::optional<asio::ip::address> address;
    if (source) {
        boost::system::error_code ec;
        address = asio::ip::make_address(*source, ec);
        if (ec) {
            co_return asio::error::invalid_argument;
        }
    }
    auto connecting = connect(socket, endpoint, timeout, address);
    co_return co_await std::move(connecting);
}

} // namespace smtpd::rt::mta
