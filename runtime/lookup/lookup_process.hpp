// The lookup role (OpenSMTPD's lka): answers the dispatcher's recipient lookups from the match
// rules, tables and system users, and checks AUTH credentials against the listeners' tables.
// Passwords of system users are in /etc/shadow, which only root reads: those checks go on to
// the parent. Runs as _smtpd, not chrooted (it needs the passwd database).
// Depends on: lookup/, auth/, role/ (the role skeleton), ipc/.
#pragma once

#include "conf/ast.hpp"
#include "role/daemon_options.hpp"

namespace smtpd::rt {

/// The lookup role's main; returns the process's exit status.
[[nodiscard]] int run_lookup(DaemonOptions const& options, conf::Config const& config);

} // namespace smtpd::rt
