// The parent role: the only process that keeps root. It prepares the spool for the queue,
// binds the listeners, starts every child role (role/spawn.hpp) and passes the dispatcher its
// sockets, then serves what needs root: local deliveries forked as the recipient's user, and
// password checks of system users (/etc/shadow). A child that exits takes the daemon down
// cleanly: the parent logs which and why, stops the others and exits non-zero. SIGTERM and
// SIGINT stop every role and wait for them; SIGHUP is ignored (no reload).
// Depends on: role/, io/bind_listeners.hpp, deliver/, lookup/, auth/, common/.
#pragma once

#include "conf/ast.hpp"
#include "role/daemon_options.hpp"

#include <string>
#include <vector>

namespace smtpd::rt {

/// The parent's main; `args` is the command line to re-execute the children with.
[[nodiscard]] int run_parent(DaemonOptions const& options, conf::Config const& config,
                             std::vector<std::string> const& args);

} // namespace smtpd::rt
