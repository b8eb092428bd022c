// What the parent prepares before it starts the roles: as root, the accounts exist (with a
// clear error saying how to create them), the chroot directory exists, and the spool belongs to
// the queue's account, mode 0700 (files left by an earlier version are handed over); as a normal
// user, the spool exists and a warning says no privileges will be dropped.
// Depends on: common/privileges.hpp, common/fs.hpp.
#pragma once

#include "common/result.hpp"
#include "role/daemon_options.hpp"

namespace smtpd::rt {

[[nodiscard]] Result<void> prepare_directories(DaemonOptions const& options);

} // namespace smtpd::rt
