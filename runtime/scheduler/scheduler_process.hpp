// The scheduler role (OpenSMTPD's scheduler): decides when each queued message is delivered and
// retried. It holds no file and touches no disk: the queue tells it of each committed or
// recovered message with the times its envelope records, it answers with delivery requests, at
// most `scheduler limit max-inflight` (kDefaultMaxInFlight by default) at once, waits out the
// back-off of scheduler/policy.hpp after a temporary failure, and asks the queue for delay warnings
// and, past `queue ttl`, for the expiry notice. Depends on: role/ (the role skeleton), ipc/.
#pragma once

#include "conf/ast.hpp"
#include "role/daemon_options.hpp"

#include <chrono>

namespace smtpd::rt {

/// Deliveries the scheduler has asked of the queue and not yet heard back about, unless
/// `scheduler limit max-inflight` says otherwise.
inline constexpr std::size_t kDefaultMaxInFlight = 32;

/// The scheduler role's main; returns the process's exit status.
[[nodiscard]] int run_scheduler(DaemonOptions const& options, conf::Config const& config);

} // namespace smtpd::rt
