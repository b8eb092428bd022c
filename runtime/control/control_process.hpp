// The control role (OpenSMTPD's control process): the unix socket smtpctl talks to, mode 0666
// as in OpenSMTPD, so every request from it is validated and none is ever fatal: a malformed
// frame, a wrong version or a message other than ControlRequest closes that client only, and a
// request from a uid that may not send it (control/verbs.hpp: root, or the daemon's own user) is
// answered "permission denied". Requests go to the role that can answer (show queue, remove:
// queue; schedule, pause, resume: scheduler; stop: parent) and the reply goes back to the client.
// Runs as _smtpd chrooted into the empty directory, after creating the socket.
// Depends on: role/ (the role skeleton), ipc/.
#pragma once

#include "conf/ast.hpp"
#include "role/daemon_options.hpp"

namespace smtpd::rt {

/// The control role's main; returns the process's exit status.
[[nodiscard]] int run_control(DaemonOptions const& options, conf::Config const& config);

} // namespace smtpd::rt
