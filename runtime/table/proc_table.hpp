// The `proc:` backend: a table process speaking the table protocol 0.1 of OpenSMTPD 7.5+
// (smtpd-tables(7), proc_protocol.hpp) on its stdin and stdout. The process is started at the
// first lookup by whoever looks up (in the daemon the lookup role, after it dropped privileges;
// never by `smtpd -n`); when that is root, the child drops to SMTPD_USER before it runs the
// command, as OpenSMTPD's tables run unprivileged. A reply that does not come within
// kProcTimeout, a garbled line or a process that died is a temporary failure: the process is
// stopped and started again at the next lookup. Depends on: table.hpp, proc_protocol.hpp.
#pragma once

#include "table/table.hpp"

#include <chrono>
#include <memory>
#include <string>

namespace smtpd::rt::table {

inline constexpr std::chrono::milliseconds kProcTimeout{5000};

/// A table process running `command` (through /bin/sh -c, so it may carry arguments).
[[nodiscard]] Result<std::unique_ptr<Table>>
open_proc_table(std::string name, std::string const& command,
                std::chrono::milliseconds timeout = kProcTimeout);

} // namespace smtpd::rt::table
