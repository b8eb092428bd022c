// The dispatcher's listeners: the context of each `listen on` line of smtpd.conf (its session
// policies, TLS context and credentials) and the accept loop on a socket the parent bound
// (io/bind_listeners.hpp), handing each connection to serve_connection.
// Depends on: grammar/ (conf AST), dispatcher/smtp_connection.hpp, tls/, common/, Boost.Asio.
#pragma once

#include "common/fs.hpp"
#include "common/result.hpp"
#include "conf/ast.hpp"
#include "dispatcher/smtp_connection.hpp"

#include <boost/asio/io_context.hpp>
#include <utility>

#include <memory>
#include <vector>

namespace smtpd::rt {

/// The dispatcher's part, before it drops privileges: the context of each `listen on` line, in
/// order, with its TLS context loaded; a Failure "file:line:col: message" when one cannot be made.
[[nodiscard]] Result<std::vector<std::shared_ptr<ListenerContext const>>>
listener_contexts(conf::Config const& config, ServerContext& server);

/// Accepts on a socket the parent bound, serving each connection with `listener`.
[[nodiscard]] bool serve_listener(boost::asio::io_context& io,
                                  std::shared_ptr<ListenerContext const> listener, Fd socket);

} // namespace smtpd::rt
