// One SMTP server connection: moves bytes between the socket and the framer, feeds events to
// the session machine, and performs the actions it returns (replies, lookups, spooling).
// Replies are batched and written when no complete command is left in the input (RFC 2920).
// The dispatcher role of OpenSMTPD; the lookups and the spool are reached through narrow
// interfaces (Resolver, Spool, QueueRunner) so they can move to their own processes.
// Depends on: statemachine/, lookup/, spool/, queue/, Boost.Asio.
#pragma once

#include "auth/credentials.hpp"
#include "common/disk_workers.hpp"
#include "lookup/resolver.hpp"
#include "queue/queue_runner.hpp"
#include "smtpd/sm/session.hpp"
#include "spool/spool.hpp"
#include "tls/tls_config.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <utility>

#include <chrono>
#include <memory>
#include <string>

namespace smtpd::rt {

/// What every connection shares.
struct ServerContext {
    std::string hostname;
    Resolver const& resolver;
    Spool& spool;
    QueueRunner& queue;
    DiskWorkers& disk;
    sm::SessionParams session_params{};        ///< smtp limit max-rcpt / max-mails
    std::chrono::seconds command_timeout{300}; ///< RFC 5321 §4.5.3.2.7: at least 5 minutes
};

/// What the connections of one `listen on` line share: the session's policies (TLS, AUTH, DSN,
/// the limits), its TLS context and its credentials.
struct ListenerContext {
    ServerContext& server;
    sm::SessionParams params;
    std::shared_ptr<tls::ServerTls> tls;                  ///< null without tls / smtps
    std::shared_ptr<auth::Credentials const> credentials; ///< null: the system's users
    std::string hostname;                                 ///< the greeting's name
    std::chrono::seconds tls_timeout{60};                 ///< for a TLS handshake
};

/// Starts serving an accepted socket; the connection keeps itself alive until it closes.
void serve_connection(boost::asio::ip::tcp::socket socket,
                      std::shared_ptr<ListenerContext const> listener);

} // namespace smtpd::rt
