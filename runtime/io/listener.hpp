// Listening sockets for the `listen on` lines of smtpd.conf, and their accept loops.
// A listener accepts with a backlog of SOMAXCONN (never less than 128) and hands each socket to
// serve_connection. Depends on: grammar/ (conf AST), dispatcher/, Boost.Asio.
#pragma once

#include "conf/ast.hpp"
#include "dispatcher/smtp_connection.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <utility>

#include <string>
#include <vector>

namespace smtpd::rt {

/// The endpoints a `listen on` line means: an IP address, or "localhost" (127.0.0.1 and ::1).
/// An address we cannot use yields an error "file:line:col: message".
[[nodiscard]] std::vector<boost::asio::ip::tcp::endpoint>
listen_endpoints(conf::Listen const& listen, std::string& error);

/// Binds every endpoint of every `listen on` line and starts accepting, each with its TLS
/// context and credentials loaded. Errors as above.
[[nodiscard]] bool start_listeners(boost::asio::io_context& io, conf::Config const& config,
                                   ServerContext& context, std::string& error);

} // namespace smtpd::rt
