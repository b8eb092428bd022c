// Reading the PROXY protocol v2 header on a `listen ... proxy-v2` listener (smtpd.conf(5)), before
// the greeting: exactly the header's octets are read (never the client's first bytes, so implicit
// TLS behind a proxy still starts cleanly), then parsed by grammar's parse_proxy_v2.
// Depends on: io/smtp_stream.hpp, common/result.hpp, grammar's proxy_v2.hpp, Boost.Asio.
#pragma once

#include "common/result.hpp"
#include "io/smtp_stream.hpp"

#include <utility> // before Asio (Boost 1.74 under -std=c++20)

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <optional>

namespace smtpd::rt {

/// The client's endpoint the header carries; nullopt for LOCAL or the UNSPEC family (the
/// connection's own endpoints stand). A Failure says why there is none: a malformed header, the
/// peer closing, or `timeout` passing first.
[[nodiscard]] boost::asio::awaitable<Result<std::optional<boost::asio::ip::tcp::endpoint>>>
read_proxy_header(SmtpStream& stream, std::chrono::seconds timeout);

} // namespace smtpd::rt
