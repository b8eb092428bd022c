// The queue role (OpenSMTPD's queue process): owns the spool, as _smtpq chrooted into it when
// started as root. It opens message files for the dispatcher's sessions and passes them over
// (the dispatcher writes the content, never opens the spool), commits message and envelope
// before the dispatcher may say 250, recovers the spool at start, and runs the deliveries the
// scheduler asks for, one recipient at a time, each forked by the parent as the user. It answers
// smtpctl's show queue and remove (queue/queue_control.hpp).
// Depends on: spool/, role/ (the role skeleton), ipc/, common/.
#pragma once

#include "conf/ast.hpp"
#include "role/daemon_options.hpp"

namespace smtpd::rt {

/// The queue role's main; returns the process's exit status.
[[nodiscard]] int run_queue(DaemonOptions const& options, conf::Config const& config);

} // namespace smtpd::rt
