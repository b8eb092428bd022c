// One try of the recipients still pending at one address of the route: a session taken from the
// pool (session_pool.hpp) or a new connection, its transactions (a 452 sends the rest again in a
// new transaction on the same connection while the one before delivered something), and the
// session parked for the next message or closed when done. A reused session that dies before the
// server said anything (it closed while parked) is replaced by a new connection, its results not
// counted. When an opportunistic STARTTLS handshake fails, the address is tried once more in
// plain text, as OpenSMTPD does. Logs in OpenSMTPD's words (`mta connecting`, `mta connected`,
// `mta tls`, `mta cert-check`, `mta delivery`, `mta disconnected`).
// Depends on: mta/relay_job.hpp, mta/session_pool.hpp, mta/mta_stats.hpp, ipc/messages.hpp.
#pragma once

#include "common/fs.hpp"
#include "common/result.hpp"
#include "conf/ast.hpp"
#include "ipc/messages.hpp"
#include "mta/mta_stats.hpp"
#include "mta/relay_job.hpp"
#include "mta/session_pool.hpp"

#include <utility> // before Asio (Boost 1.74 under -std=c++20)

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace smtpd::rt::mta {

/// The results of one request while it is worked on, by position in the job.
struct Progress {
    std::vector<ipc::RelayResult> results;
    std::vector<bool> final;

    [[nodiscard]] std::vector<std::size_t> pending() const;
    void temp_fail_pending(std::string const& text, std::string const& remote);
};

/// What the attempts of one MTA share.
struct MtaShared {
    boost::asio::any_io_executor executor;
    SessionPool& pool;
    std::shared_ptr<MtaStats> stats;
    /// Connects the action's unix socket (`host lmtp` to a path): the chroot hides it here.
    std::function<boost::asio::awaitable<Result<Fd>>(std::string action)> const& unix_socket;
};

/// What an attempt needs to know of its job besides the job.
struct AttemptContext {
    RelayJob const& job;
    QueuedEnvelope const& envelope;
    conf::MtaLimits const& limits;
    std::string relay;     ///< the relay's text, for the statistics
    std::string place_key; ///< the action's name: a session is reused within one action only
    MessageContent body;
    boost::asio::ssl::context& tls;
};

/// How long an attempt waits for a connection under the limits before it gives up (TempFail).
inline constexpr std::chrono::seconds kLimitWait{300};
/// How long a connection may take to be established.
inline constexpr std::chrono::seconds kConnectTimeout{30};
/// How long a TLS handshake may take (RFC 5321 §4.5.3.2 names none; 5 minutes as a command).
inline constexpr std::chrono::seconds kHandshakeTimeout{300};

/// Tries `destination` for the pending recipients of `progress`; true when some recipient got a
/// final answer there (its backups are then not asked).
[[nodiscard]] boost::asio::awaitable<bool> attempt(MtaShared shared, AttemptContext const& context,
                                                   ipc::RouteDestination const& destination,
                                                   Progress& progress);

/// One `mta delivery` line, in OpenSMTPD's words; `session`, `source` (the bound address) and
/// `relay` are empty when no session was opened (a route or a setting failed first).
void log_result(std::string_view session, QueuedEnvelope const& envelope,
                QueuedRecipient const& rcpt, std::string_view source, std::string_view relay,
                ipc::RelayResult const& result);

} // namespace smtpd::rt::mta
