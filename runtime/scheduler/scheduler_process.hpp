// The scheduler role (OpenSMTPD's scheduler): decides when each queued message is delivered and
// retried. It holds no file and touches no disk: the queue tells it of each committed or
// recovered message, it answers with delivery requests, at most kMaxInFlight at once, and it
// waits out a back-off after a temporary failure. Depends on: parent/ (role skeleton), ipc/.
#pragma once

#include "conf/ast.hpp"
#include "parent/daemon_options.hpp"

#include <chrono>

namespace smtpd::rt {

/// Deliveries the scheduler has asked of the queue and not yet heard back about.
inline constexpr std::size_t kMaxInFlight = 32;

/// The wait before the next attempt after `attempts` temporary failures: 1, 2, 4 ... minutes,
/// at most an hour.
[[nodiscard]] std::chrono::seconds retry_delay(unsigned attempts);

/// The scheduler role's main; returns the process's exit status.
[[nodiscard]] int run_scheduler(DaemonOptions const& options, conf::Config const& config);

} // namespace smtpd::rt
