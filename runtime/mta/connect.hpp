// Opening an outbound TCP connection for the MTA: connect(2) bounded by a time-out, from a chosen
// source address when the relay action names one (`src`). No name resolution here: the route
// gives addresses. Depends on: Boost.Asio.
#pragma once

#include <utility> // before Asio (Boost 1.74 under -std=c++20)

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <optional>
#include <string>

namespace smtpd::rt::mta {

/// Connects `socket` to `endpoint` within `timeout` (asio::error::timed_out after it), bound
/// first to `source` when given. `source` is taken by value: the coroutine starts when it is
/// awaited, after the caller's temporaries (the default argument among them) are gone.
[[nodiscard]] boost::asio::awaitable<boost::system::error_code>
connect(boost::asio::ip::tcp::socket& socket, boost::asio::ip::tcp::endpoint endpoint,
        std::chrono::seconds timeout,
        std::optional<boost::asio::ip::address> source = std::nullopt);

/// The same with `source` as text (relay_job.hpp's pick_source); one that is not an address
/// fails with asio::error::invalid_argument before any connection is tried.
[[nodiscard]] boost::asio::awaitable<boost::system::error_code>
connect(boost::asio::ip::tcp::socket& socket, boost::asio::ip::tcp::endpoint endpoint,
        std::chrono::seconds timeout, std::optional<std::string> source);

} // namespace smtpd::rt::mta
