// The dispatcher role (OpenSMTPD's pony/dispatcher): the SMTP sessions on the sockets the
// parent bound (local deliveries go from the queue to the parent directly). It runs as
// _smtpd chrooted into an empty directory when started as root, with its TLS contexts loaded
// before the drop; it never opens the spool (the queue passes it each message file).
// Depends on: dispatcher/, io/, tls/, role/ (the role skeleton), ipc/.
#pragma once

#include "conf/ast.hpp"
#include "role/daemon_options.hpp"

namespace smtpd::rt {

/// The dispatcher role's main; returns the process's exit status.
[[nodiscard]] int run_dispatcher(DaemonOptions const& options, conf::Config const& config);

} // namespace smtpd::rt
