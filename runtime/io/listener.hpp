// Listening sockets for the `listen on` lines of smtpd.conf, and their accept loops. The parent
// binds them (port 25 needs root) and passes them to the dispatcher, which accepts. A listener
// accepts with a backlog of SOMAXCONN (never less than 128) and hands each socket to
// serve_connection. Depends on: grammar/ (conf AST), dispatcher/, Boost.Asio.
#pragma once

#include "common/failure.hpp"
#include "common/fs.hpp"
#include "conf/ast.hpp"
#include "dispatcher/smtp_connection.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <utility>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace smtpd::rt {

/// The endpoints a `listen on` line means: an IP address, or "localhost" (127.0.0.1 and ::1).
/// An address we cannot use yields an error "file:line:col: message".
[[nodiscard]] std::vector<boost::asio::ip::tcp::endpoint>
listen_endpoints(conf::Listen const& listen, std::string& error);

/// A bound, listening socket of the `listen on` line `listen_index`.
struct BoundSocket {
    std::uint32_t listen_index;
    Fd fd;
};

/// The parent's part: binds and listens on every endpoint of every `listen on` line.
[[nodiscard]] Fallible<std::vector<BoundSocket>> bind_listeners(conf::Config const& config);

/// The dispatcher's part, before it drops privileges: the context of each `listen on` line, in
/// order, with its TLS context loaded. Empty with `error` set when one cannot be made.
[[nodiscard]] std::vector<std::shared_ptr<ListenerContext const>>
listener_contexts(conf::Config const& config, ServerContext& server, std::string& error);

/// Accepts on a socket the parent bound, serving each connection with `listener`.
[[nodiscard]] bool serve_listener(boost::asio::io_context& io,
                                  std::shared_ptr<ListenerContext const> listener, Fd socket);

} // namespace smtpd::rt
