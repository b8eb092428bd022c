// The queue encryption key when smtpd.conf does not hold it (`queue encryption -`, `stdin`, or
// no key at all), read once at start as OpenSMTPD's smtpd.c does: one line of the standard
// input, or getpass(3) on the terminal. The parent reads it before it detaches and hands it to
// the queue role as that role's standard input (a pipe), which reads it the same way.
// Depends on: common/result.hpp, spool/coding.hpp.
#pragma once

#include "common/fs.hpp"
#include "common/result.hpp"
#include "spool/coding.hpp"

#include <string>

namespace smtpd::rt {

/// One line of `fd`, its newline dropped; an error unless it is exactly kQueueKeySize octets.
[[nodiscard]] Result<std::string> read_queue_key(int fd);
/// getpass(3) with OpenSMTPD's prompt "queue key: ", checked as read_queue_key().
[[nodiscard]] Result<std::string> ask_queue_key();
/// A pipe whose read end yields `key` and a newline, then end of file: a role's standard input.
[[nodiscard]] Result<Fd> key_pipe(std::string const& key);

} // namespace smtpd::rt
