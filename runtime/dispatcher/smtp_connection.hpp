// One SMTP server connection: moves bytes between the socket and sm::ServerConnection, and
// performs the actions it gives (replies, lookups, credentials, spooling, the TLS handshake).
// Replies are batched and written when no complete command is left in the input (RFC 2920).
// Runs in the dispatcher role; lookups, credentials and the spool are asked of the lookup and
// queue roles over IPC (DispatcherServices). Depends on: statemachine/, dispatcher/, Boost.Asio.
#pragma once

#include "dispatcher/services.hpp"
#include "smtpd/sm/session.hpp"
#include "tls/tls_config.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <utility>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace smtpd::rt {

/// What every connection shares.
struct ServerContext {
    std::string hostname;
    DispatcherServices& services;
    sm::SessionParams session_params{};        ///< smtp limit max-rcpt / max-mails
    std::chrono::seconds command_timeout{300}; ///< RFC 5321 §4.5.3.2.7: at least 5 minutes
};

/// What the connections of one `listen on` line share: the session's policies (TLS, AUTH, DSN,
/// the limits) and its TLS context. Credentials are checked by the lookup role.
struct ListenerContext {
    ServerContext& server;
    std::uint32_t listen_index; ///< the line's place in smtpd.conf, from 0
    sm::SessionParams params;
    std::shared_ptr<tls::ServerTls> tls;  ///< null without tls / smtps
    std::string hostname;                 ///< the greeting's name
    std::string tag{};                    ///< `listen ... tag NAME`, for `match tag`
    std::chrono::seconds tls_timeout{60}; ///< for a TLS handshake
    /// listen ... hostnames <t>: local address -> the greeting's name on that address
    std::vector<std::pair<std::string, std::string>> hostnames{};
    bool mask_src = false;      ///< listen ... mask-src (dispatcher/received.hpp)
    bool received_auth = false; ///< listen ... received-auth
    bool proxy_v2 = false;      ///< listen ... proxy-v2: a PROXY v2 header comes first
};

/// Starts serving an accepted socket; the connection keeps itself alive until it closes.
void serve_connection(boost::asio::ip::tcp::socket socket,
                      std::shared_ptr<ListenerContext const> listener);

} // namespace smtpd::rt
